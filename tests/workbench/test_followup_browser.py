"""The follow-up staff's queue and form in real headless Chromium: a 回访员 logs in and lands on the follow-up queue,
opens the answered complaint, starts the call with the contact read (written to the history), records the result —
refused by field first (no rating; 不满意 without a reason), with what was chosen kept — then 不满意 with the reason,
which reopens the complaint, and the call is in the follow-up's record; on a phone's width nothing runs off the
screen. A screenshot of the follow-up page is saved in ``docs/`` (the README shows it)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from shared import clock
from tests.conftest import embedded_settings
from tests.intake.helpers import bearer, staff_token
from tests.support import ROOT, Server, chromium, complaint_body
from tests.workbench.test_browser import _wait_api

DOCS = ROOT / "docs"
OUTAGE = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")


def _answered(client: httpx.Client, handler: str, supervisor: str) -> str:
    cid = client.post("/v1/complaints", json=OUTAGE).json()["id"]
    _wait_api(client, cid, supervisor, lambda c: c["status"] == "routed" and c["department"] == "power")
    for action, body in (("claim", None), ("answer", {"text": "经查系线路老化，已完成改造，恢复正常供电。"})):
        etag = client.get(f"/v1/complaints/{cid}", headers=bearer(handler)).headers["etag"]
        done = client.post(f"/v1/complaints/{cid}/{action}", json=body, headers={**bearer(handler), "If-Match": etag})
        assert done.status_code == 200, done.text
    return cid


def test_the_follow_up_queue_and_form_in_chromium(tmp_path):
    try:
        with chromium() as driver, Server(embedded_settings(tmp_path)) as server, \
                httpx.Client(base_url=server.url) as client:
            _walk(driver, server.url, client)
    finally:
        clock.set_offset(timedelta(0))


def _walk(driver, url: str, client: httpx.Client) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    supervisor = staff_token("supervisor", "王督办")
    cid = _answered(client, staff_token("handler", "张三", "power"), supervisor)

    driver.get(url + "/workbench")
    wait.until(EC.presence_of_element_located((By.ID, "token"))).send_keys(staff_token("followup", "赵回访"))
    driver.find_element(By.ID, "login").click()
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#queue-followup article")))
    assert "回访员 赵回访" in driver.find_element(By.ID, "who").text
    assert "一周停了四次电" in row.text and "青山县供电" in row.text
    assert row.find_element(By.CSS_SELECTOR, ".clock").get_attribute("data-state") == "soon"  # to call today
    row.find_element(By.CSS_SELECTOR, "a.title").click()

    wait.until(EC.presence_of_element_located((By.ID, "form-result")))
    task_page = driver.current_url
    driver.set_window_size(1280, 1150)
    DOCS.mkdir(exist_ok=True)
    driver.save_screenshot(str(DOCS / "workbench-followup.png"))
    assert "已完成改造" in driver.page_source and not driver.find_elements(By.ID, "contact-number")
    history = client.get(f"/v1/complaints/{cid}/history", headers=bearer(supervisor)).json()
    assert "contact_viewed" not in [h["action"] for h in history]
    driver.find_element(By.ID, "show-contact").click()
    number = wait.until(EC.presence_of_element_located((By.ID, "contact-number"))).text
    assert number.replace(" ", "") == OUTAGE["filer"]["mobile"]
    history = client.get(f"/v1/complaints/{cid}/history", headers=bearer(supervisor)).json()
    assert [h["actor"] for h in history if h["action"] == "contact_viewed"] == ["followup:赵回访"]

    def choose(name: str, value: str) -> None:
        driver.find_element(By.CSS_SELECTOR, f'#form-result input[name="{name}"][value="{value}"]').click()

    def submit() -> None:
        driver.find_element(By.ID, "submit-result").click()

    choose("outcome", "reached")
    choose("solved", "false")
    submit()
    error = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '.field-error[data-field="rating"]')))
    assert "满意程度" in error.text
    assert driver.find_element(By.CSS_SELECTOR, 'input[name="outcome"][value="reached"]').is_selected()
    choose("rating", "dissatisfied")
    submit()
    error = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '.field-error[data-field="reason"]')))
    assert "不满意的理由" in error.text
    assert _wait_api(client, cid, supervisor, lambda c: True)["status"] == "answered"  # nothing written

    driver.find_element(By.ID, "reason").send_keys("改造后昨天又停了一次电")
    submit()
    assert "回访结果：已记录" in wait.until(EC.presence_of_element_located((By.ID, "notice"))).text
    assert not driver.find_elements(By.CSS_SELECTOR, "#queue-followup article")
    reopened = _wait_api(client, cid, supervisor, lambda c: c["status"] == "reopened")
    assert (reopened["reopen_count"], reopened["rating"]) == (1, "dissatisfied")

    # on a phone nothing runs off the screen
    driver.set_window_size(390, 844)
    for page in (url + "/workbench/followups", task_page):
        driver.get(page)
        wait.until(EC.presence_of_element_located((By.ID, "who")))
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), page
    assert "回访员 赵回访 · 回访员已电话回访：不满意" in driver.find_element(By.ID, "calls").text
