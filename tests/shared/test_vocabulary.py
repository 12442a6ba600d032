"""One vocabulary: the README's tables, the dashboard's pages and every service's Chinese text use the words of
``shared.vocabulary`` and none of the words they replace."""

from __future__ import annotations

import re
from pathlib import Path

from services.intake.domain.lifecycle import API_NAMES, Status
from services.sla.dashboard import http as dashboard
from services.sla.dashboard import views as dashboard_views
from shared.vocabulary import ACTION_NAMES, EVENT_NAMES, HISTORY_SUMMARIES, REPLACED, STATUS_EXPLAINED, STATUS_NAMES

ROOT = Path(__file__).resolve().parents[2]
#: Text people read: the README, pages, scripts and every product module (data files hold complaint language).
PRODUCT_TEXT = [ROOT / "README.md", *(ROOT / "services").rglob("*.py"), *(ROOT / "services").rglob("*.html"),
                *(ROOT / "services").rglob("*.js"), *(p for p in (ROOT / "shared").rglob("*.py")
                                                      if p.name != "vocabulary.py")]


def _table_rows(text: str, heading: str) -> dict[str, str]:
    """``| `name` | 中文 | …`` rows of the README table under ``heading``: name → 中文."""
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `([\w-]+)` \| ([^|`]+?) \|", section, flags=re.M))


def test_no_page_or_message_uses_a_replaced_word():
    found = [(path.relative_to(ROOT), old) for path in PRODUCT_TEXT for old in REPLACED
             if old in path.read_text(encoding="utf-8")]
    assert found == []


def test_every_status_and_action_has_its_one_word():
    assert set(STATUS_NAMES) == set(STATUS_EXPLAINED) == {s.value for s in Status}
    assert set(ACTION_NAMES) == set(API_NAMES.values())
    for status, name in STATUS_NAMES.items():
        assert STATUS_EXPLAINED[status].startswith(name), status
    assert len(set(STATUS_NAMES.values())) == len(STATUS_NAMES)
    assert len(set(ACTION_NAMES.values())) == len(ACTION_NAMES)


def test_the_readme_tables_use_the_vocabulary():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _table_rows(readme, "### Statuses") == STATUS_NAMES
    assert _table_rows(readme, "### Actions") == ACTION_NAMES


def test_history_and_the_dashboard_name_actions_with_the_same_words():
    for kind, action in (("claimed", "claim"), ("accepted", "accept"), ("returned", "approve-return"),
                         ("return_rejected", "reject-return"), ("dispatched", "dispatch"), ("answered", "answer")):
        assert EVENT_NAMES[kind] == ACTION_NAMES[action]
        assert ACTION_NAMES[action] in HISTORY_SUMMARIES[kind]
    # the dashboard keeps no words of its own for statuses and timeline entries
    for module in (dashboard, dashboard_views):
        assert not hasattr(module, "STATUS_LABELS") and not hasattr(module, "KIND_LABELS")
    headings = {field: heading for field, heading, _key in dashboard_views.COLUMNS}
    assert headings["received"] == EVENT_NAMES["received"]
    page = (ROOT / "services/sla/dashboard/templates/dashboard.html").read_text(encoding="utf-8")
    script = (ROOT / "services/sla/dashboard/static/dashboard.js").read_text(encoding="utf-8")
    assert "■ 受理" not in page and '" 受理 "' not in script


def test_a_deadline_at_midnight_reads_as_24_00_of_the_day_before():
    from datetime import datetime, timezone

    from shared.calendar import SHANGHAI
    from shared.vocabulary import deadline_text

    assert deadline_text(datetime(2026, 12, 17, tzinfo=SHANGHAI)) == "12月16日（周三）24:00 前"
    assert deadline_text(datetime(2026, 12, 16, 8, 0, tzinfo=timezone.utc)) == "12月16日（周三）16:00 前"
    new_year = datetime(2027, 1, 5, tzinfo=SHANGHAI)
    assert deadline_text(new_year, now=datetime(2026, 12, 28, tzinfo=SHANGHAI)) == "2027年1月4日（周一）24:00 前"
    assert deadline_text(new_year, now=datetime(2027, 1, 2, tzinfo=SHANGHAI)) == "1月4日（周一）24:00 前"
