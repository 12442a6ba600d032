"""The workbench in real headless Chromium (Debian's chromium + chromedriver under Selenium, as the dashboard's test):
a dispatcher logs in and places a complaint from triage, logs out; a handler of that department logs in, claims it,
accepts it, asks the filer for information, answers — first with a version someone changed meanwhile, which shows the
conflict notice and the fresh version, then again — and reads the history; on a phone's width nothing runs off the
screen. Days later the session has expired, and the queue marks the overdue and the nearly due complaints.
Screenshots of the queue and the complaint's page are saved in ``docs/`` (the README shows them).

The whole product serves on a free loopback port (uvicorn in a thread, embedded bus), so the router places the
dispatched complaint and the SLA service opens its clock as in service.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx

from shared import clock
from tests.conftest import embedded_settings
from tests.intake.helpers import bearer, staff_token
from tests.intake.test_work_api import VAGUE
from tests.support import ROOT, Server, chromium, complaint_body, credit_code

DOCS = ROOT / "docs"


def _wait_api(client: httpx.Client, cid: str, token: str, check, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    shown: dict = {}
    while time.monotonic() < deadline:
        shown = client.get(f"/v1/complaints/{cid}", headers=bearer(token)).json()
        if check(shown):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"not reached: {shown}")


def _dispatched(client: httpx.Client, dispatcher: str, n: int, title: str, text: str, **placement) -> str:
    """A complaint of another enterprise, placed by hand with the workbench's handler's department."""
    filer = {**VAGUE["filer"], "credit_code": credit_code(n)}
    cid = client.post("/v1/complaints", json=complaint_body(title, text, filer=filer)).json()["id"]
    _wait_api(client, cid, dispatcher, lambda c: c["status"] in {"triage", "routed"})
    etag = client.get(f"/v1/complaints/{cid}", headers=bearer(dispatcher)).headers["etag"]
    placed = client.post(f"/v1/complaints/{cid}/dispatch", json={"department": "market", **placement},
                         headers={**bearer(dispatcher), "If-Match": etag})
    assert placed.status_code == 200, placed.text
    return cid


def test_the_workbench_in_chromium(tmp_path):
    try:
        with chromium() as driver, Server(embedded_settings(tmp_path)) as server, \
                httpx.Client(base_url=server.url) as client:
            _walk(driver, server.url, client)
    finally:
        clock.set_offset(timedelta(0))


def _walk(driver, url: str, client: httpx.Client) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(driver, 30)
    dispatcher = staff_token("dispatcher", "钱七")
    handler = staff_token("handler", "张三", "market")
    cid = client.post("/v1/complaints", json=VAGUE).json()["id"]
    _wait_api(client, cid, dispatcher, lambda c: c["status"] == "triage")
    late = _dispatched(client, dispatcher, 2, "续贷被要求追加抵押", "农商行到期不给续贷，还要求追加抵押和保证金，资金周转困难。",
                       financial_service=True)  # 5 working days
    soon = _dispatched(client, dispatcher, 3, "食品经营许可证迟迟未办下", "申请食品经营许可证两个月了，窗口一直说在审核，没有任何答复。")

    def login(token: str) -> None:
        driver.get(url + "/workbench")
        wait.until(EC.presence_of_element_located((By.ID, "token")))  # sent to the login page
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "login").click()
        wait.until(EC.presence_of_element_located((By.ID, "who")))

    def submit(form_id: str) -> None:
        driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]").click()

    # the dispatcher places it from triage, with the router's candidates in view
    login(dispatcher)
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#queue-triage article[data-id="{cid}"]')))
    assert "系统候选部门" in row.text and "关键词 协调" in row.text  # the candidates and what pointed to them
    Select(driver.find_element(By.ID, f"d-{cid}-department")).select_by_value("market")
    row.find_element(By.CSS_SELECTOR, "form.dispatch button[type=submit]").click()
    assert "人工分派：已完成" in wait.until(EC.presence_of_element_located((By.ID, "notice"))).text
    _wait_api(client, cid, dispatcher, lambda c: c["status"] == "routed" and c["department"] == "market"
              and c["due_at"] is not None)
    driver.find_element(By.ID, "logout").click()
    wait.until(EC.presence_of_element_located((By.ID, "token")))

    # a handler of that department works it
    login(handler)
    link = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'#queue-lead article[data-id="{cid}"] a')))
    assert driver.find_element(By.CSS_SELECTOR, f'#queue-lead article[data-id="{cid}"] .clock').get_attribute(
        "data-state") in {"running", "soon"}
    link.click()
    wait.until(EC.presence_of_element_located((By.ID, "form-claim")))
    assert "分派依据" in driver.page_source and "派单员 钱七" in driver.find_element(By.ID, "decision").text
    submit("form-claim")
    wait.until(EC.presence_of_element_located((By.ID, "form-accept")))
    submit("form-accept")
    wait.until(EC.presence_of_element_located((By.ID, "question"))).send_keys("请补充贵公司遇到的具体困难和涉及的部门。")
    submit("form-request-info")
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "待补充材料"))

    # the department's template, kept by a supervisor, picked and edited: the history names it
    kept = client.post("/v1/departments/market/reply-templates", headers=bearer(staff_token("supervisor", "王督办")),
                       json={"name": "协调答复", "text": "{filer_name}：您反映的问题（{tracking_number}）已由{department}受理。"})
    assert kept.status_code == 201, kept.text
    driver.set_window_size(1280, 1500)
    driver.get(f"{url}/workbench/complaints/{cid}")
    Select(wait.until(EC.presence_of_element_located((By.ID, "template")))).select_by_visible_text("协调答复")
    submit("pick-template")
    wait.until(EC.presence_of_element_located((By.ID, "answer-template")))
    assert "市场监督管理局受理" in driver.find_element(By.ID, "answer-text").get_attribute("value")
    DOCS.mkdir(exist_ok=True)
    driver.save_screenshot(str(DOCS / "workbench-complaint.png"))

    # someone changes it meanwhile: the answer comes back with the conflict notice, the fresh version and the text
    shown = driver.find_element(By.CSS_SELECTOR, "article.complaint").get_attribute("data-version")
    etag = client.get(f"/v1/complaints/{cid}", headers=bearer(handler)).headers["etag"]
    noted = client.post(f"/v1/complaints/{cid}/notes", json={"text": "同事补充的备注"},
                        headers={**bearer(staff_token("handler", "张三", "market")), "If-Match": etag})
    assert noted.status_code == 200, noted.text
    driver.find_element(By.ID, "answer-text").send_keys("经协调，相关部门将于三个工作日内上门对接。")
    submit("form-answer")
    conflict = wait.until(EC.presence_of_element_located((By.ID, "conflict")))
    assert "有人修改了这件诉求" in conflict.text
    fresh = driver.find_element(By.CSS_SELECTOR, "article.complaint").get_attribute("data-version")
    assert int(fresh) == int(shown) + 1
    assert "同事补充的备注" in driver.find_element(By.ID, "messages").text
    assert "三个工作日内" in driver.find_element(By.ID, "answer-text").get_attribute("value")
    submit("form-answer")
    wait.until(EC.text_to_be_present_in_element((By.ID, "status"), "已答复"))

    answered = [h for h in client.get(f"/v1/complaints/{cid}/history", headers=bearer(handler)).json()
                if h["action"] == "answered"]
    assert answered[0]["detail"]["template_id"] == kept.json()["id"]
    sent = client.get(f"/v1/complaints/{cid}/messages", headers=bearer(handler)).json()[-1]["text"]
    assert "市场监督管理局受理" in sent and sent.endswith("三个工作日内上门对接。")
    history = driver.find_element(By.ID, "history").text
    for entry in ("服务中心已人工分派给", "承办人已签收", "承办部门已受理", "承办部门请您补充材料", "承办部门已答复"):
        assert entry in history, entry

    # on a phone nothing runs off the screen
    driver.set_window_size(390, 844)
    for path in ("/workbench", f"/workbench/complaints/{cid}", "/workbench/search"):
        driver.get(url + path)
        wait.until(EC.presence_of_element_located((By.ID, "who")))
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), path

    # half a day before the 10 days of the other run out: the session has expired (back to the login page); the
    # queue marks what is due within a working day and what is overdue (the 5 working days of a financial service,
    # unless holidays make them the longer), most urgent first
    due = {c: datetime.fromisoformat(_wait_api(client, c, dispatcher, lambda v: v["due_at"])["due_at"])
           for c in (late, soon)}
    then = due[soon] - timedelta(hours=12)
    clock.set_offset(then - datetime.now(timezone.utc))
    driver.set_window_size(1280, 900)
    driver.get(url + "/workbench")
    wait.until(EC.presence_of_element_located((By.ID, "token")))
    login(handler)
    expected = {soon: "soon", **({late: "overdue"} if due[late] <= then else {})}
    for complaint, state in expected.items():
        row = driver.find_element(By.CSS_SELECTOR, f'#queue-lead article[data-id="{complaint}"]')
        assert row.find_element(By.CSS_SELECTOR, ".clock").get_attribute("data-state") == state, complaint
    rows = driver.find_elements(By.CSS_SELECTOR, "#queue-lead article")
    assert [r.get_attribute("data-id") for r in rows] == sorted(due, key=due.get)  # most urgent first
    driver.save_screenshot(str(DOCS / "workbench-queue.png"))
