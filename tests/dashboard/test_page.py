"""The page as served: each column heading of the summary table says which complaints it counts (grouped by
population, a definition per heading, a legend), the reopened list has its JSON endpoint, and the page keeps its
rules — everything it shows escaped, no inline event handlers, nothing loaded from another host."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from services.sla.dashboard import views
from shared.auth import issue_token
from tests.conftest import embedded_settings, running_app
from tests.dashboard.helpers import deliver, projection_db, sh
from tests.dashboard.test_figures import answers_outnumber_filings

DASHBOARD = Path(__file__).resolve().parents[2] / "services" / "sla" / "dashboard"
PERIOD = "from=2026-03-01&to=2026-03-20"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'


class Page(HTMLParser):
    """The elements the tests look at: headings of the summary table, the legend, the embedded snapshot."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[dict[str, str | None]] = []
        self.groups: list[dict[str, str | None]] = []
        self.texts: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._open.append((tag, {**attributes, "_text": ""}))

    def handle_data(self, data):
        for _, attributes in self._open:
            attributes["_text"] = (attributes["_text"] or "") + data

    def handle_endtag(self, tag):
        while self._open:
            name, attributes = self._open.pop()
            if name == "th" and attributes.get("data-field"):
                self.headings.append(attributes)
            if name == "th" and attributes.get("scope") == "colgroup":
                self.groups.append(attributes)
            if attributes.get("id"):
                self.texts[attributes["id"]] = attributes["_text"] or ""
            if name == tag:
                break


async def _served(tmp_path) -> tuple[str, dict, list, int]:
    settings = embedded_settings(tmp_path)
    feed = answers_outnumber_filings()
    feed.received("X1", sh("2026-03-10 09:00"), title=HOSTILE)
    feed.routed("X1", "power", sh("2026-03-10 09:00"), sh("2026-03-10 09:01"))
    feed.answered("X1", "power", sh("2026-03-12 09:00"))
    feed.rated("X1", "power", sh("2026-03-13 09:00"), "dissatisfied")
    feed.reopened("X1", "power", sh("2026-03-13 09:00"), reason=HOSTILE)
    db = await projection_db(settings.database_url_for("sla"))
    try:
        await deliver(db, feed.envelopes, twice=False)
    finally:
        await db.dispose()
    supervisor = {"Authorization": "Bearer " + issue_token(settings.auth_secret, role="supervisor", name="王督办")}
    async with running_app(settings) as (_app, client):
        page = await client.get(f"/dashboard?{PERIOD}", headers=supervisor)
        assert page.status_code == 200
        reopened = await client.get(f"/dashboard/api/reopened?{PERIOD}", headers=supervisor)
        assert reopened.status_code == 200
        power_only = await client.get(f"/dashboard/api/reopened?{PERIOD}&department=power", headers=supervisor)
        center_only = await client.get(f"/dashboard/api/reopened?{PERIOD}&department=center", headers=supervisor)
        assert power_only.json() == reopened.json() and center_only.json() == []
        unauthenticated = (await client.get(f"/dashboard/api/reopened?{PERIOD}")).status_code
    snapshot = json.loads(re.search(r'<script id="snapshot" type="application/json">(.*?)</script>', page.text,
                                    re.S).group(1))
    return page.text, snapshot, reopened.json(), unauthenticated


async def test_each_heading_says_which_complaints_it_counts(tmp_path):
    html, snapshot, reopened, unauthenticated = await _served(tmp_path)
    page = Page()
    page.feed(html)

    assert [g["_text"] for g in page.groups] == ["当前", "区间内登记", "区间内办结", "区间内回访", "区间内评价", "区间内退回"]
    assert all(CHINESE.search(g["title"] or "") for g in page.groups)
    fields = [h["data-field"] for h in page.headings]
    assert fields == [field for field, _, _ in views.COLUMNS]
    assert set(fields) == set(snapshot["summary"]["total"]["display"])
    for heading in page.headings:
        assert CHINESE.search(heading["title"] or ""), heading
    titles = {h["data-field"]: h["title"] for h in page.headings}
    assert "区间内登记" in titles["received_answered"] and "不会多于登记" in titles["received_answered"]
    assert "含区间前登记的" in titles["answered"]
    assert "其中已办结 ÷ 登记" in titles["completion_rate"]
    assert "不满意" in titles["reopened"]
    assert "已回访 ÷ 留有联系方式的办结" in titles["callback_rate"] and "解决" in titles["solved_rate"]
    legend = page.texts["populations"]
    assert "办结可以多于登记" in legend and "办结率＝其中已办结÷登记" in legend
    assert "合理退单率＝同意退回÷已审核" in legend and "待审核的不计" in titles["return_approval_rate"]
    # The definitions are on the page for a phone too (no tooltips there).
    for _, _, columns in views.GROUPS:
        for _, heading, _, definition in columns:
            assert f"<dt>{heading}</dt><dd>{definition}</dd>" in html

    # The center's row: four answered in the period, two filed, one of them answered: 办结率 50%.
    center = next(d for d in snapshot["summary"]["departments"] if d["department"] == "center")
    assert (center["received"], center["received_answered"], center["answered"]) == (2, 1, 4)
    assert center["display"]["completion_rate"] == "50.0%"
    power = next(d for d in snapshot["summary"]["departments"] if d["department"] == "power")
    assert power["reopened"] == 1 and snapshot["summary"]["total"]["reopened"] == 1

    # 不满意重办: the same list in the page's data and at its endpoint, the filer's reason with it.
    assert snapshot["reopened"] == reopened and unauthenticated == 401
    [item] = reopened
    assert (item["tracking_number"], item["department"], item["reason"], item["status"]) == (
        "TS-X1", "power", HOSTILE, "reopened")
    assert item["display"] == {"reopened_at": "2026-03-13 09:00", "status": "重新办理", "policy": "一般投诉（10日）"}

    # Escaped everywhere: the hostile title and reason are data, never markup.
    assert "<img" not in html and "alert(2)</script>" not in html
    assert [d for d in snapshot["overdue"] + snapshot["reopened"] if d["title"] == HOSTILE]


def test_the_page_keeps_its_rules():
    """No inline event handler or script, nothing from another host, in the templates and the script."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in
             [*(DASHBOARD / "templates").rglob("*.html"), *(DASHBOARD / "static").iterdir()]}
    for name, text in texts.items():
        assert not re.search(r"\son[a-z]+\s*=", text), name
        assert not re.search(r"(?:src|href|url)\s*[=(]\s*[\"']?(?:https?:)?//", text), name
        assert not re.search(r"\.innerHTML|insertAdjacentHTML|document\.write", text), name
    for name in ("dashboard.html", "login.html"):
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", texts[name], re.S)
        assert all('type="application/json"' in attrs or not body.strip() for attrs, body in scripts), name


async def test_the_pages_carry_the_security_headers_and_an_unknown_address_is_a_page(tmp_path):
    """The login form and the dashboard may not be framed and run only their own script; a supervisor following an
    old link reads where to go back to, while the JSON API under ``/dashboard/api`` keeps answering programs in JSON."""
    settings = embedded_settings(tmp_path)
    supervisor = {"Authorization": "Bearer " + issue_token(settings.auth_secret, role="supervisor", name="王督办")}
    async with running_app(settings) as (_app, client):
        for path in ("/dashboard/login", f"/dashboard?{PERIOD}"):
            page = await client.get(path, headers=supervisor)
            assert page.status_code == 200 and page.headers["x-frame-options"] == "DENY", path
            assert "script-src 'self'" in page.headers["content-security-policy"], path
        lost = await client.get("/dashboard/reports/2026", headers=supervisor)
        assert lost.status_code == 404 and lost.headers["content-type"].startswith("text/html")
        assert "没有这个页面" in lost.text and 'href="/dashboard"' in lost.text
        assert lost.headers["x-frame-options"] == "DENY"
        for path in ("/dashboard/api/nowhere", "/dashboard/api/complaints/nobody"):
            answer = await client.get(path, headers=supervisor)
            assert answer.status_code == 404 and answer.json()["message_zh"], path
        assert (await client.get("/dashboard/static/nothing.css")).status_code == 404
        assert (await client.get("/dashboard/static/nothing.css")).headers["content-type"] == "application/json"
