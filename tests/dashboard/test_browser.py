"""The dashboard in real headless Chromium (Debian's chromium + chromedriver, driven by Selenium; nothing is
downloaded): log in, read the per-department table and compare it with figures computed here from the generated
data, read the reopened list, see a live update arrive without reloading, open an overdue complaint's history; at
1280 px wide the lists fit without scrolling sideways (a long title takes two lines) and every label of the trend
chart lies inside it, and on a phone nothing runs off the screen; save screenshots (``test-output/``).

Data: a generated month of ~300 complaints (``dataset.py``), fed as events straight into the SLA service's projection
(the dashboard consumer's own handlers) before the product starts; the whole product then serves on a free loopback
port with uvicorn in a background thread. "Now" is pinned to 12:00 Shanghai today so no deadline falls during the run.
"""

from __future__ import annotations

import asyncio
import re
import time as _time
from datetime import datetime, time, timedelta, timezone
from pathlib import Path


from shared import clock
from shared.auth import issue_token
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.catalog import load_catalog
from tests.conftest import embedded_settings
from tests.dashboard.dataset import LONG, LONG_TITLE, Truth, generate
from tests.dashboard.helpers import Feed, deliver, projection_db
from tests.support import ROOT, Server, chromium_async

OUTPUT = ROOT / "test-output"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
FIELDS = ("received", "received_answered", "open", "due_soon", "overdue", "answered", "on_time_rate",
          "completion_rate", "avg_handling", "follow_up_rate", "satisfaction_rate", "reroute_rate", "reopened")


# -- the figures, computed here from the generated facts (not with figures.py) --------------------------------------


def across_refreshes(read, attempts: int = 5):
    """Run ``read`` (which finds elements and reads them) again when the live refresh replaced an element it held."""
    from selenium.common.exceptions import StaleElementReferenceException

    for attempt in range(attempts):
        try:
            return read()
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise
            _time.sleep(0.2)


def pct(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{part / whole * 100:.1f}%"


def expected_table(truths: list[Truth], now: datetime) -> dict[str, dict[str, str]]:
    calendar = WorkingCalendar.load()
    today = now.astimezone(SHANGHAI).date()
    soon = datetime.combine(calendar.next_working_day(today) + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    out: dict[str, dict[str, str]] = {}
    depts = {t.department for t in truths}
    for dept in depts:
        mine = [t for t in truths if t.department == dept]
        open_ = [t for t in mine if t.answered_at is None]
        overdue = [t for t in open_ if t.due_at is not None and t.due_at < now]
        due_soon = [t for t in open_ if t.due_at is not None and now <= t.due_at <= soon]
        answered = [t for t in mine if t.answered_at is not None]
        on_time = [t for t in answered if t.answered_at <= t.due_at]
        rated = [t for t in answered if t.rated_at is not None and t.rated_at >= t.answered_at]  # not re-answered
        ratings = [t for t in mine if t.rated_at is not None]  # every first rating falls in the month shown
        happy = [t for t in ratings if t.rating in ("satisfied", "basically_satisfied")]
        first = [t for t in truths if t.first_department == dept and t.routed_count >= 1]
        hours = [(t.answered_at - t.received_at).total_seconds() / 3600 for t in answered]
        reopened = [t for t in truths if t.reopened_at is not None and t.department == dept]
        out[dept or "unplaced"] = {
            "received": str(len(mine)), "received_answered": str(len(answered)), "reopened": str(len(reopened)),
            "open": str(len(open_)), "due_soon": str(len(due_soon)),
            "overdue": str(len(overdue)), "answered": str(len(answered)),
            "on_time_rate": pct(len(on_time), len(answered)), "completion_rate": pct(len(answered), len(mine)),
            "avg_handling": "—" if not hours else f"{sum(hours) / len(hours) / 24:.1f} 天",
            "follow_up_rate": pct(len(rated), len(answered)), "satisfaction_rate": pct(len(happy), len(ratings)),
            "reroute_rate": pct(sum(1 for t in first if t.routed_count >= 2), len(first)),
        }
    return out


def pinned_now() -> datetime:
    real = datetime.now(timezone.utc)
    noon = datetime.combine(real.astimezone(SHANGHAI).date(), time(12), tzinfo=SHANGHAI)
    clock.set_offset(noon - real)
    return noon


async def test_dashboard_in_chromium(tmp_path):
    try:
        async with chromium_async() as driver:
            await _run(driver, tmp_path)
    finally:
        clock.set_offset(timedelta(0))


async def _run(driver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    now = pinned_now()
    settings = embedded_settings(tmp_path)
    envelopes, truths = generate(now, count=300)
    db = await projection_db(settings.database_url_for("sla"))
    try:
        await deliver(db, envelopes, twice=False)
    finally:
        await db.dispose()
    expected = expected_table(truths, now)
    assert any(row["overdue"] != "0" for row in expected.values())
    reopened = {t.complaint_id: t for t in truths if t.reopened_at is not None}
    assert reopened
    token = issue_token(settings.auth_secret, role="supervisor", name="王督办", now=datetime.now(timezone.utc))
    names = {d.id: d.name for d in load_catalog().departments}

    with Server(settings) as server:
        def browse() -> None:
            wait = WebDriverWait(driver, 30)
            driver.get(server.url + "/dashboard")
            wait.until(EC.presence_of_element_located((By.ID, "token")))  # redirected to the login page
            driver.find_element(By.ID, "token").send_keys(token)
            driver.find_element(By.ID, "login").click()
            wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#departments tbody tr")))
            wait.until(lambda d: d.find_element(By.ID, "live").get_attribute("class") == "live on")

            def table_as_shown() -> None:
                for dept, figures_ in expected.items():
                    row = driver.find_element(By.CSS_SELECTOR, f'#departments tr[data-dept="{dept}"]')
                    assert row.find_element(By.TAG_NAME, "th").text == names.get(dept, "待分派")
                    for field in FIELDS:
                        cell = row.find_element(By.CSS_SELECTOR, f'td[data-field="{field}"]').text
                        assert cell == figures_[field], (dept, field, cell, figures_[field])
                late = driver.find_elements(By.CSS_SELECTOR, '#departments td.late[data-field="overdue"]')
                assert late, "overdue counts are shown in red"
                assert "按时办结率" in driver.page_source and "回访满意率" in driver.page_source

            def reopenings_as_shown() -> None:
                # 不满意重办: every reopening of the period, under the department whose answer was rated 不满意.
                rows = driver.find_elements(By.CSS_SELECTOR, "#reopened tbody tr[data-complaint]")
                assert {r.get_attribute("data-complaint") for r in rows} == set(reopened)
                for row in rows:
                    truth = reopened[row.get_attribute("data-complaint")]
                    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
                    assert cells[0] == f"TS-{truth.complaint_id}" and cells[2] == names[truth.department]
                    assert cells[4] and cells[5], cells  # the filer's reason, the status now
                assert driver.find_element(By.ID, "reopened-count").text == str(len(reopened))

            across_refreshes(table_as_shown)
            across_refreshes(reopenings_as_shown)

        await asyncio.to_thread(browse)

        # A complaint filed for 税务局 now shows up without reloading the page (server-sent events).
        before = int(expected["tax"]["received"])
        feed = Feed()
        feed._n = 90000
        feed.received("LIVE1", now - timedelta(hours=1), title="新进投诉")
        feed.routed("LIVE1", "tax", now - timedelta(hours=1), now - timedelta(minutes=59))
        live_db = await projection_db(settings.database_url_for("sla"))
        try:
            await deliver(live_db, feed.envelopes, twice=False)
        finally:
            await live_db.dispose()

        def live_and_drill() -> None:
            from selenium.common.exceptions import StaleElementReferenceException

            marker = driver.execute_script("window.__same_page = true; return true;")
            assert marker
            WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException]).until(lambda d: d.find_element(
                By.CSS_SELECTOR, '#departments tr[data-dept="tax"] td[data-field="received"]').text == str(before + 1))
            assert driver.execute_script("return window.__same_page === true;"), "the page was not reloaded"

            def drill() -> str:
                link = driver.find_element(By.CSS_SELECTOR, "#overdue a.drill")
                complaint_id = link.get_attribute("data-complaint")
                link.click()
                return complaint_id

            complaint_id = across_refreshes(drill)
            WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException]).until(
                lambda d: d.find_element(By.ID, "detail").is_displayed()
                and len(d.find_elements(By.CSS_SELECTOR, "#timeline li")) >= 3)
            timeline = across_refreshes(lambda: driver.find_element(By.ID, "timeline").text)
            assert "登记" in timeline and "超期" in timeline
            # who acted, in words: the filer, the router, the SLA service — no actor or channel codes
            assert "诉求人" in timeline and "系统自动分派" in timeline and "时限监控" in timeline, timeline
            assert not re.search(r"[a-z]", timeline), timeline
            assert driver.find_element(By.ID, "detail").get_attribute("data-complaint") == complaint_id
            source = driver.page_source
            assert not MOBILE.search(source), "contact data on the page"
            OUTPUT.mkdir(exist_ok=True)
            driver.find_element(By.ID, "detail").location_once_scrolled_into_view
            driver.save_screenshot(str(OUTPUT / "dashboard-drilldown.png"))
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(OUTPUT / "dashboard.png"))

        await asyncio.to_thread(live_and_drill)

        def layout() -> None:
            driver.set_window_size(1280, 1000)
            assert driver.execute_script("return window.innerWidth") == 1280
            trend_redrawn(driver)
            for table in ("overdue", "reopened", "departments"):
                wide, room = driver.execute_script(FITS, table)
                assert wide <= room, f"#{table} is {wide} px wide in {room} px: it scrolls sideways at 1280 px"
            height, line, whole, text_height = driver.execute_script(TITLE_LINES, LONG)
            assert height <= 2 * line + 1, f"the long title takes {height / line:.1f} lines"
            assert text_height > height and whole == LONG_TITLE, "the title is cut, and whole in its tooltip"
            labels_inside(driver, expected_last=now.strftime("%m-%d"))
            driver.save_screenshot(str(OUTPUT / "dashboard-1280.png"))
            driver.find_element(By.ID, "overdue").location_once_scrolled_into_view
            driver.save_screenshot(str(OUTPUT / "dashboard-1280-lists.png"))

            # A phone: nothing runs off the screen sideways; the lists are cards.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
            try:
                trend_redrawn(driver)
                page_width, screen = driver.execute_script(
                    "return [document.documentElement.scrollWidth, window.innerWidth];")
                assert page_width <= screen, (page_width, screen)
                for table in ("overdue", "reopened"):
                    wide, room = driver.execute_script(FITS, table)
                    assert wide <= room, (table, wide, room)
                labels_inside(driver, expected_last=now.strftime("%m-%d"))
                driver.execute_script("window.scrollTo(0, 0)")
                driver.save_screenshot(str(OUTPUT / "dashboard-phone.png"))
            finally:
                driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            driver.get("about:blank")  # closes the event stream before the server stops

        await asyncio.to_thread(layout)
    assert (OUTPUT / "dashboard.png").stat().st_size > 10_000


#: (the table's width, its scrolling container's visible width)
FITS = """
const table = document.getElementById(arguments[0]);
return [table.scrollWidth, table.closest(".table-wrap").clientWidth];
"""
#: For the overdue complaint ``arguments[0]``: its title's height, a line's height, the title's tooltip, and the
#: height the whole title would take.
TITLE_LINES = """
const box = document.querySelector(`#overdue tr[data-complaint="${arguments[0]}"] td:nth-child(2) .clamp`);
return [box.getBoundingClientRect().height, parseFloat(getComputedStyle(box).lineHeight), box.title,
        box.scrollHeight];
"""
#: The trend chart's box and each of its day labels' boxes (left, right, top, bottom, text), in page order.
TREND_BOXES = """
const svg = document.querySelector("#trend svg");
const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; };
return [box(svg), [...svg.querySelectorAll("text.axis-day")].map((t) => [...box(t), t.textContent])];
"""


def trend_redrawn(driver) -> None:
    """Wait until the trend chart is drawn at the width its box has now (it redraws after a resize)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const svg = document.querySelector('#trend svg');"
        "return svg && svg.getAttribute('width') == String(Math.max(svg.parentNode.clientWidth, 240));"))


def labels_inside(driver, *, expected_last: str) -> None:
    """Every day label of the trend chart lies inside the chart, none over another, the last one today's."""
    (left, right, top, bottom), labels = driver.execute_script(TREND_BOXES)
    assert labels and labels[-1][4] == expected_last, labels
    for l_, r_, t_, b_, text in labels:
        assert left <= l_ and r_ <= right and top <= t_ and b_ <= bottom, (text, (l_, r_), (left, right))
    for before, after in zip(labels, labels[1:]):
        assert before[1] <= after[0], f"{before[4]} and {after[4]} overlap"
