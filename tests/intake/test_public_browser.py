"""The public site in real headless Chromium (Debian's chromium + chromedriver, driven by Selenium), as a citizen on a
phone uses it: file on ``/file`` with a bad mobile (the error shows by the field, what was typed stays), then
correctly; open the private tracking link (the token leaves the address; a reload keeps the page); after a handler
asks a question through the API, answer it on ``/track``; after the answer, rate 不满意 with a reason, then — once
answered again — 满意, the page saying each status in plain words. Screenshots of both pages go to ``docs/``.

The whole product serves on a free loopback port (uvicorn in a background thread, the router really routing); the
test plays the handler through the JSON API.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from services.intake.pages.public_common import PLAIN_STATUS
from shared.auth import verify_token
from tests.conftest import embedded_settings
from tests.intake.helpers import bearer, staff_token
from tests.support import AUTH_SECRET, ROOT, Server, chromium_async, page_replaced

DOCS = ROOT / "docs"
PHONE = (430, 1500)


async def test_a_citizen_files_and_follows_on_a_phone(tmp_path):
    async with chromium_async() as driver:
        settings = embedded_settings(tmp_path)
        with Server(settings) as server:
            await asyncio.to_thread(_walk, driver, server.url)


def _walk(driver, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(*PHONE)
    by_id = lambda name: driver.find_element(By.ID, name)  # noqa: E731

    def submit(button: str) -> None:
        """Press a form's button and wait for the page it answers with."""
        old = driver.find_element(By.TAG_NAME, "html")
        by_id(button).click()
        WebDriverWait(driver, 20).until(page_replaced(old))

    driver.get(url + "/file")
    assert by_id("kind-individual").is_selected()
    assert not by_id("filer-enterprise_name").is_displayed()  # only the chosen kind's fields show
    by_id("filer-name").send_keys("李秀英")
    by_id("filer-mobile").send_keys("1381234567")  # one digit short
    by_id("title").send_keys("一周停了四次电")
    by_id("text").send_keys("我家开小卖部，这周已经停电四次，没有任何预告，冰柜里的东西都坏了，请供电部门尽快处理。")
    submit("submit")
    error = by_id("err-filer-mobile")
    assert error.text == "手机号码无效"
    assert error.location["y"] - by_id("filer-mobile").location["y"] < 120  # by its field
    assert by_id("filer-mobile").get_attribute("aria-invalid") == "true"
    assert by_id("filer-name").get_attribute("value") == "李秀英"  # nothing typed is lost
    assert driver.find_elements(By.CLASS_NAME, "field-error") == [error]
    assert _fits(driver)
    DOCS.mkdir(exist_ok=True)
    driver.save_screenshot(str(DOCS / "file.png"))

    by_id("filer-mobile").clear()
    by_id("filer-mobile").send_keys("13812345678")
    submit("submit")
    tracking_number = by_id("tracking-number").text
    link = by_id("link-text").text
    token = parse_qs(urlsplit(link).query)["t"][0]
    complaint_id = verify_token(AUTH_SECRET, token).complaint
    submit("track-link")
    assert urlsplit(driver.current_url).path == f"/track/{tracking_number}"
    assert "t=" not in driver.current_url  # the token left the address bar and the history
    driver.refresh()
    assert by_id("tracking-number").text == tracking_number

    with httpx.Client(base_url=url, timeout=10) as api:
        department = _routed(api, complaint_id, token)
        handler = _Handler(api, complaint_id, staff_token("handler", "张三", department))
        handler.act("claim")
        handler.act("accept")
        handler.act("request-info", {"question": "请说明停电的具体日期和时段"})

        driver.refresh()
        assert by_id("status-word").text == "待补充材料"
        assert by_id("status-plain").text == PLAIN_STATUS["awaiting_info"]
        assert by_id("question").text == "请说明停电的具体日期和时段"
        by_id("text").send_keys("12月1日、3日、4日、5日下午，每次两三个小时")
        submit("supplement-submit")
        assert by_id("status-word").text == "已受理"
        assert "12月1日、3日" in by_id("messages").text

        handler.act("answer", {"text": "经查系线路老化，已安排改造，本周内完成。"})
        driver.refresh()
        assert by_id("status-plain").text == PLAIN_STATUS["answered"]
        driver.find_element(By.CSS_SELECTOR, "input[name=rating][value=不满意]").click()
        submit("rating-submit")  # 不满意 without a reason: the API's refusal, by the field
        assert "理由" in by_id("err-reason").text
        driver.find_element(By.CSS_SELECTOR, "input[name=rating][value=不满意]").click()
        by_id("reason").send_keys("改造一直没有开始，昨天又停电了")
        submit("rating-submit")
        assert by_id("status-word").text == "重新办理"
        assert by_id("status-plain").text == PLAIN_STATUS["reopened"]

        handler.act("claim")
        handler.act("answer", {"text": "线路改造已于今日完成，并已上门回访。"})
        driver.refresh()
        driver.find_element(By.CSS_SELECTOR, "input[name=rating][value=满意]").click()
        submit("rating-submit")
        assert by_id("status-word").text == "已办结"
        assert by_id("status-plain").text == PLAIN_STATUS["closed"]
        assert by_id("rating").text == "满意"
        assert not driver.find_elements(By.ID, "rating-section")
        assert _fits(driver)
        driver.save_screenshot(str(DOCS / "track.png"))
        assert "13812345678" not in driver.page_source and "李秀英" not in driver.page_source


def _fits(driver) -> bool:
    """Nothing runs off a phone's screen sideways."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def _routed(api: httpx.Client, complaint_id: str, token: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = api.get(f"/v1/complaints/{complaint_id}", headers=bearer(token)).json()
        if seen["department"] and seen["status"] == "routed":
            return seen["department"]
        time.sleep(0.1)
    raise AssertionError(f"not routed: {seen}")


class _Handler:
    def __init__(self, api: httpx.Client, complaint_id: str, token: str) -> None:
        self.api, self.complaint_id, self.headers = api, complaint_id, bearer(token)

    def act(self, action: str, body: dict | None = None) -> None:
        etag = self.api.get(f"/v1/complaints/{self.complaint_id}", headers=self.headers).headers["etag"]
        done = self.api.post(f"/v1/complaints/{self.complaint_id}/{action}", json=body,
                             headers={**self.headers, "If-Match": etag})
        assert done.status_code == 200, f"{action}: {done.text}"
