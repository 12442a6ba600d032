"""Two complaints walked entirely through pages in real headless Chromium (Debian's chromium + chromedriver under
Selenium, as the dashboard's and the workbench's tests), the whole product serving on a loopback port.

1. A citizen files on ``/file`` — first with a bad mobile, the error by the field — a text too vague for the router,
   so it lands in triage; a dispatcher places it from triage on the workbench; a handler claims, accepts and asks for
   information; the citizen supplements on ``/track``; the handler answers from a reply template; the citizen rates
   不满意 (reopened); the handler claims and answers again; the citizen rates 满意. The history (the API's, as the
   workbench shows it) and the supervisors' dashboard (its drill-down JSON, the page's own source) agree with what
   was done, counted here by hand.
2. An enterprise files with a photo attached and, in a fresh browser, follows it on ``/track`` by tracking number and
   short code alone, the photo listed and downloadable.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from shared.auth import verify_token
from tests.conftest import embedded_settings
from tests.intake.files import jpeg
from tests.intake.helpers import bearer, staff_token
from tests.intake.walking import Pages, poll
from tests.support import AUTH_SECRET, Server, chromium, credit_code

VAGUE_TITLE = "有个问题想反映"
VAGUE_TEXT = "我们遇到一些困难，希望政府能帮忙协调解决一下，具体情况电话里说。"
SUPERVISOR = staff_token("supervisor", "王督办")


def _browser(tmp_path: Path, walk) -> None:
    with chromium() as driver, Server(embedded_settings(tmp_path)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as api:
        walk(driver, server.url, api, tmp_path)


def test_a_citizen_s_complaint_walked_through_pages_from_filing_to_satisfied(tmp_path):
    _browser(tmp_path, _citizen_walk)


def _citizen_walk(driver, url: str, api: httpx.Client, _tmp: Path) -> None:
    from selenium.webdriver.support.ui import Select

    p = Pages(driver, url)
    staff_window = None
    p.open("/file")
    p.by_id("filer-name").send_keys("李秀英")
    p.by_id("filer-mobile").send_keys("1381234567")  # one digit short
    p.by_id("title").send_keys(VAGUE_TITLE)
    p.by_id("text").send_keys(VAGUE_TEXT)
    p.press("#submit")
    error = p.by_id("err-filer-mobile")
    assert error.text == "手机号码无效"
    assert error.location["y"] - p.by_id("filer-mobile").location["y"] < 120  # by its field
    p.by_id("filer-mobile").clear()
    p.by_id("filer-mobile").send_keys("13812345678")
    p.press("#submit")
    number = p.by_id("tracking-number").text
    token = parse_qs(urlsplit(p.by_id("link-text").text).query)["t"][0]
    cid = verify_token(AUTH_SECRET, token).complaint
    p.press("#track-link")
    citizen_window = driver.current_window_handle

    # the router cannot place it: it waits in triage, and the dispatcher places it from there
    poll(lambda: api.get(f"/v1/complaints/{cid}", headers=bearer(token)).json(), lambda c: c["status"] == "triage")
    driver.switch_to.new_window("window")
    staff_window = driver.current_window_handle
    p.login(staff_token("dispatcher", "钱七"))
    Select(p.by_id(f"d-{cid}-department")).select_by_value("market")
    p.press(f'#queue-triage article[data-id="{cid}"] form.dispatch button[type=submit]')
    assert "人工分派：已完成" in p.by_id("notice").text
    poll(lambda: api.get(f"/v1/complaints/{cid}", headers=bearer(token)).json(),
          lambda c: c["status"] == "routed" and c["department"] == "market")
    p.logout()

    # the handler claims, accepts and asks
    p.login(staff_token("handler", "张三", "market"))
    p.open(f"/workbench/complaints/{cid}")
    p.press("#form-claim button[type=submit]")
    p.press("#form-accept button[type=submit]")
    p.by_id("question").send_keys("请说明需要协调的具体事项和涉及的部门。")
    p.press("#form-request-info button[type=submit]")
    assert p.by_id("status").text == "待补充材料"

    # the citizen supplements on /track
    driver.switch_to.window(citizen_window)
    driver.refresh()
    assert p.by_id("question").text == "请说明需要协调的具体事项和涉及的部门。"
    p.by_id("text").send_keys("小卖部门口的人行道被占用，城管和街道互相推诿。")
    p.press("#supplement-submit")
    assert "互相推诿" in p.by_id("messages").text

    # the handler answers from a template the supervisor keeps
    kept = api.post("/v1/departments/market/reply-templates", headers=bearer(SUPERVISOR),
                    json={"name": "协调答复", "text": "{filer_name}：您反映的问题（{tracking_number}）已由{department}受理。"})
    assert kept.status_code == 201, kept.text
    driver.switch_to.window(staff_window)
    p.open(f"/workbench/complaints/{cid}")
    Select(p.by_id("template")).select_by_visible_text("协调答复")
    p.press("#pick-template button[type=submit]")
    p.by_id("answer-text").send_keys("经协调，占道问题已交街道处理。")
    p.press("#form-answer button[type=submit]")
    assert p.by_id("status").text == "已答复"

    def rate(choice: str, reason: str = "") -> None:
        driver.switch_to.window(citizen_window)
        driver.refresh()
        driver.find_element(p.By.CSS_SELECTOR, f"input[name=rating][value={choice}]").click()
        if reason:
            p.by_id("reason").send_keys(reason)
        p.press("#rating-submit")

    rate("不满意", "人行道还是被占着")
    assert p.by_id("status-word").text == "重新办理"
    driver.switch_to.window(staff_window)
    p.open(f"/workbench/complaints/{cid}")
    p.press("#form-claim button[type=submit]")
    p.by_id("answer-text").send_keys("街道已清理占道摊位，并安排每日巡查。")
    p.press("#form-answer button[type=submit]")
    rate("满意")
    assert p.by_id("status-word").text == "已办结" and p.by_id("rating").text == "满意"

    # the history says what was done, once each, in order
    history = [h["action"] for h in api.get(f"/v1/complaints/{cid}/history", headers=bearer(SUPERVISOR)).json()]
    done = [a for a in history if a in {"dispatched", "claimed", "accepted", "info_requested", "supplemented",
                                        "answered", "rated", "reopened", "closed"}]
    assert done == ["dispatched", "claimed", "accepted", "info_requested", "supplemented", "answered", "rated",
                    "reopened", "claimed", "answered", "rated", "closed"], history
    answered = [h for h in api.get(f"/v1/complaints/{cid}/history", headers=bearer(SUPERVISOR)).json()
                if h["action"] == "answered"]
    assert answered[0]["detail"]["template_id"] == kept.json()["id"]
    driver.switch_to.window(staff_window)
    p.open(f"/workbench/complaints/{cid}")
    shown = p.by_id("history").text
    for entry in ("服务中心已人工分派给", "承办人已签收", "承办部门请您补充材料", "承办部门已答复"):
        assert entry in shown, entry

    # the supervisors' dashboard agrees: its drill-down (the JSON its page reads), counted by hand
    drill = poll(lambda: api.get(f"/dashboard/api/complaints/{cid}", headers=bearer(SUPERVISOR)),
                  lambda r: r.status_code == 200 and r.json()["status"] == "closed").json()
    assert drill["tracking_number"] == number and drill["department"] == "market"
    assert drill["reopened_count"] == 1 and drill["rating"] == "满意" and drill["answered_at"]
    kinds = Counter(e["kind"] for e in drill["timeline"])
    assert kinds["answered"] == 2 and kinds["reopened"] == 1 and kinds["closed"] == 1, kinds
    reopened = api.get("/dashboard/api/reopened", headers=bearer(SUPERVISOR)).json()
    assert cid in str(reopened)


def test_an_enterprise_files_with_a_photo_and_follows_by_number_and_code(tmp_path):
    _browser(tmp_path, _enterprise_walk)


def _enterprise_walk(driver, url: str, api: httpx.Client, tmp: Path) -> None:
    p = Pages(driver, url)
    photo = tmp / "现场照片.jpg"
    photo.write_bytes(jpeg(7, size=40_000))
    p.open("/file")
    p.by_id("kind-enterprise").click()
    p.by_id("filer-enterprise_name").send_keys("青山县白沙陶瓷厂")
    p.by_id("filer-credit_code").send_keys(credit_code(41))
    p.by_id("filer-contact_name").send_keys("王先生")
    p.by_id("filer-mobile").send_keys("13812345678")
    p.by_id("title").send_keys("厂区门口道路塌陷")
    p.by_id("text").send_keys("厂区门口的道路塌陷了一个大坑，货车无法进出，已经影响生产一周。")
    p.by_id("file").send_keys(str(photo))
    p.press("#submit")
    assert "所附文件已随诉求保存" in p.by_id("file-kept").text
    number, code = p.by_id("tracking-number").text, p.by_id("access-code").text

    driver.delete_all_cookies()  # another browser: nothing but the number and the code
    p.open("/track")
    p.by_id("tracking_number").send_keys(number)
    p.by_id("access_code").send_keys(code)
    p.press("#open")
    assert urlsplit(driver.current_url).path == f"/track/{number}" and code not in driver.current_url
    assert p.by_id("tracking-number").text == number
    link = p.by_id("files").find_element(p.By.TAG_NAME, "a")
    assert link.text == "附件 1"
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    downloaded = httpx.get(link.get_attribute("href"), cookies=cookies)
    assert downloaded.status_code == 200 and downloaded.content == photo.read_bytes()
    assert "13812345678" not in driver.page_source
