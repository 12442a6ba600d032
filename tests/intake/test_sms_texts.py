"""The messages: data in Chinese, signed with the line's name, each within one SMS segment for the longest values it
can carry, and made only of what may be sent (no complaint text, no name or number)."""

from __future__ import annotations

from datetime import datetime

from services.intake.notify import texts
from services.intake.notify.compose import deadline_day, out_of_quiet_hours
from services.intake.notify.providers import sign_name
from shared.calendar import SHANGHAI
from shared.catalog import load_catalog
from shared.settings import IntakeSettings

#: The longest value each parameter takes with the default settings.
LONGEST = {
    "tracking_number": "TS20261231-ZZZZZZ",
    "code": "999999",
    "department": max((d.name for d in load_catalog().departments), key=len),
    "deadline": "12月31日",
    "track_url": IntakeSettings().sms_track_url,
    "days": str(IntakeSettings().rating_window_days),
}
#: What the templates may name: nothing a filer wrote, nothing that identifies anyone.
ALLOWED = set(LONGEST)


def test_every_message_fits_one_segment_with_the_longest_values():
    name = sign_name(IntakeSettings())
    assert name == "青山县12345"
    for template in texts.templates():
        text = texts.render(template, {p: LONGEST[p] for p in texts.parameters(template)}, name)
        assert text.startswith("【青山县12345】")
        assert len(text) <= texts.SEGMENT_CHARS and texts.segments(text) == 1, (template, len(text))


def test_a_longer_text_takes_more_segments():
    assert texts.segments("字" * 70) == 1 and texts.segments("字" * 71) == 2 and texts.segments("字" * 135) == 3


def test_templates_name_only_what_may_be_sent():
    for template in texts.templates():
        assert set(texts.parameters(template)) <= ALLOWED, template


def test_every_event_the_filer_is_told_of_has_its_template():
    assert set(texts.templates()) == {"filed", "filed_with_code", "placed", "info_requested", "answered",
                                      "reopened", "closed"}
    assert "code" in texts.parameters("filed_with_code") and "code" not in texts.parameters("filed")
    assert "track_url" in texts.parameters("info_requested") and "track_url" in texts.parameters("answered")


def test_quiet_hours_run_from_ten_at_night_to_eight_in_the_morning_in_shanghai():
    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)

    assert out_of_quiet_hours(at(7, 21, 59)) == at(7, 21, 59)
    assert out_of_quiet_hours(at(7, 22)) == at(8, 8)
    assert out_of_quiet_hours(at(8, 0, 30)) == at(8, 8)
    assert out_of_quiet_hours(at(8, 7, 59)) == at(8, 8)
    assert out_of_quiet_hours(at(8, 8)) == at(8, 8)
    # 23:30 UTC is 07:30 in Shanghai: quiet, whatever the zone of the instant
    assert out_of_quiet_hours(datetime.fromisoformat("2026-12-07T23:30:00+00:00")) == at(8, 8)


def test_a_deadline_at_midnight_is_the_day_before():
    assert deadline_day(datetime(2026, 12, 18, 0, 0, tzinfo=SHANGHAI)) == "12月17日"
    assert deadline_day(datetime(2026, 12, 17, 17, 30, tzinfo=SHANGHAI)) == "12月17日"


def test_the_readme_shows_each_message_as_it_is_rendered():
    """The README's table of what the filer is told holds each template as the filer reads it."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = dict(re.findall(r"^\| [^|]+ \| [^|]+ \| `(\w+)` \| (【.+?) \|$", readme, re.MULTILINE))
    example = {"tracking_number": "TS20261207-7K3M9P", "code": "123456", "department": "青山县供电局",
               "deadline": "12月17日", "track_url": IntakeSettings().sms_track_url, "days": "7"}
    assert set(shown) == set(texts.templates())
    for template, text in shown.items():
        assert text == texts.render(template, {p: example[p] for p in texts.parameters(template)}, "青山县12345")
