"""One complaint walked through the whole loop in real headless Chromium, every step on a page, the whole product
(embedded default, SMS through the local provider's file) serving on a loopback port:

a citizen files on ``/file`` (the success page shows the tracking number and the short code); the handler returns it
from the workbench; the dispatcher rejects the return with a reason from the review queue; the handler answers; the
follow-up staff (回访员) read the contact (audited) and record 不满意, which reopens the complaint; the handler answers
again; the follow-up staff record 满意, which closes it.

Then, counted by hand: the history (the API's staff view) holds the steps in order, with the contact reads by the
回访员; the SMS file holds the filing message with the number and code shown on ``/file`` and each later message
the README's table names, once; the dashboard's JSON (what its page reads, as a supervisor) gives 回访率 1/1,
回访满意率 1/2 and 合理退单率 0/1.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from shared import clock
from shared.auth import verify_token
from shared.calendar import SHANGHAI
from tests.conftest import embedded_settings
from tests.intake.helpers import bearer, staff_token
from tests.intake.walking import Pages, poll
from tests.support import AUTH_SECRET, Server, chromium

NAME, MOBILE = "李秀英", "13812345678"
TITLE = "一周停了四次电"
TEXT = "我家在白沙镇新街，这周已经停电四次，没有任何预告，冰箱里的东西都坏了，请供电公司查明原因，保障供电。"
SUPERVISOR = staff_token("supervisor", "王督办")
HANDLER = staff_token("handler", "张三", "power")
DISPATCHER = staff_token("dispatcher", "钱七")
CALLER = staff_token("followup", "赵回访")
REJECTION = "停电属供电局职责，请继续办理"


def _morning() -> datetime:
    """Tomorrow 10:00 in the county: out of the quiet hours whenever the test runs."""
    tomorrow = clock.now().astimezone(SHANGHAI).date() + timedelta(days=1)
    return datetime.combine(tomorrow, day_time(10), tzinfo=SHANGHAI)


def _send_due(server: Server, at: datetime) -> int:
    """The SMS sender's pass at ``at``, run on the server's own event loop (its database is bound there)."""
    app = server.server.config.loaded_app
    while hasattr(app, "app"):  # uvicorn's middleware around the application
        app = app.app
    sender = app.state.runtimes["intake"].components["sms_sender"]
    loop = server.server.servers[0].get_loop()
    return asyncio.run_coroutine_threadsafe(sender.send_due(at), loop).result(30)


def test_a_complaint_returned_rejected_answered_followed_up_reopened_and_closed(tmp_path):
    sms_file = tmp_path / "var" / "sms.txt"
    settings = embedded_settings(tmp_path, sms_local_path=str(sms_file), sms_poll_interval_s=3600)
    with chromium() as driver, Server(settings) as server, httpx.Client(base_url=server.url, timeout=10) as api:
        _walk(Pages(driver, server.url), server, api, sms_file)


def _walk(p: Pages, server: Server, api: httpx.Client, sms_file: Path) -> None:
    staff = bearer(SUPERVISOR)

    def seen(cid: str) -> dict:
        return api.get(f"/v1/complaints/{cid}", headers=staff).json()

    # the citizen files on /file: the success page shows the tracking number and the short code
    p.open("/file")
    p.by_id("filer-name").send_keys(NAME)
    p.by_id("filer-mobile").send_keys(MOBILE)
    p.by_id("title").send_keys(TITLE)
    p.by_id("text").send_keys(TEXT)
    p.press("#submit")
    number, code = p.by_id("tracking-number").text, p.by_id("access-code").text
    assert number.startswith("TS") and code.isdigit(), (number, code)
    cid = verify_token(AUTH_SECRET, parse_qs(urlsplit(p.by_id("link-text").text).query)["t"][0]).complaint
    assert poll(lambda: seen(cid), lambda c: c["status"] == "routed")["department"] == "power"

    # the handler claims it and returns it from the complaint's page
    p.login(HANDLER)
    p.open(f"/workbench/complaints/{cid}")
    p.press("#form-claim button[type=submit]")
    p.by_id("return-reason").send_keys("停电原因在于村组线路，属镇政府管理")
    p.press("#form-return button[type=submit]")
    assert seen(cid)["status"] == "return_review"
    p.logout()

    # the dispatcher rejects the return from the review queue, with the reason
    p.login(DISPATCHER)
    review = f'#queue-review article[data-id="{cid}"]'
    assert "属镇政府管理" in p.driver.find_element(p.By.CSS_SELECTOR, review).text
    p.by_id(f"r-{cid}").send_keys(REJECTION)
    p.press(f"{review} form.reject button[type=submit]")
    assert (seen(cid)["status"], seen(cid)["department"]) == ("routed", "power")
    p.logout()

    def answer(text: str) -> None:
        p.login(HANDLER)
        p.open(f"/workbench/complaints/{cid}")
        p.press("#form-claim button[type=submit]")
        p.by_id("answer-text").send_keys(text)
        p.press("#form-answer button[type=submit]")
        assert p.by_id("status").text == "已答复"
        p.logout()

    def call(rating: str, solved: str, reason: str = "") -> None:
        """The 回访员 takes the complaint from the follow-up queue, reads the contact and records the call."""
        p.login(CALLER)
        row = "#queue-followup article a.title"
        rows = p.driver.find_elements(p.By.CSS_SELECTOR, "#queue-followup article")
        assert len(rows) == 1 and number in rows[0].text, [r.text for r in rows]
        p.press(row)
        p.press("#show-contact")
        assert p.by_id("contact-number").text.replace(" ", "") == MOBILE
        assert p.by_id("contact-name").text == NAME
        for name, value in (("outcome", "reached"), ("solved", solved), ("rating", rating)):
            p.driver.find_element(p.By.CSS_SELECTOR, f'#form-result input[name="{name}"][value="{value}"]').click()
        if reason:
            p.by_id("reason").send_keys(reason)
        p.press("#submit-result")
        assert "回访结果：已记录" in p.by_id("notice").text
        p.logout()

    answer("经查系线路老化，已完成改造，恢复正常供电。")
    call("dissatisfied", "false", "改造后昨天又停了一次电")
    reopened = poll(lambda: seen(cid), lambda c: c["status"] == "reopened")
    assert (reopened["reopen_count"], reopened["department"]) == (1, "power")
    answer("已更换变压器，并安排每周巡线，近一周未再停电。")
    call("satisfied", "true")
    closed = poll(lambda: seen(cid), lambda c: c["status"] == "closed")
    assert closed["rating"] == "satisfied"

    # the history, staff's view: the steps in order, the contact read by the 回访员 before each call
    history = api.get(f"/v1/complaints/{cid}/history", headers=staff).json()
    steps = {"received", "routed", "claimed", "return_requested", "return_rejected", "answered", "contact_viewed",
             "followup_reached", "rated", "reopened", "closed"}
    assert [h["action"] for h in history if h["action"] in steps] == [
        "received", "routed", "claimed", "return_requested", "return_rejected", "claimed", "answered",
        "contact_viewed", "followup_reached", "rated", "reopened", "claimed", "answered",
        "contact_viewed", "followup_reached", "rated", "closed"], [h["action"] for h in history]
    assert [h["actor"] for h in history if h["action"] == "contact_viewed"] == ["followup:赵回访"] * 2
    assert [h["actor"] for h in history if h["action"] == "rated"] == ["followup:赵回访"] * 2
    assert [h["detail"].get("reason") for h in history if h["action"] == "return_rejected"] == [REJECTION]
    for secret in (MOBILE, NAME):
        assert secret not in str([h for h in history if h["action"] == "contact_viewed"])

    # the SMS file: out of the quiet hours the sender sends every message written, each once
    lines = poll(lambda: (_send_due(server, _morning()), _sms(sms_file))[1],
                  lambda got: len(got) >= 6, timeout=30)
    assert _send_due(server, _morning() + timedelta(hours=1)) == 0  # nothing more to send, nothing again
    lines = _sms(sms_file)
    assert {line[1] for line in lines} == {"138****5678"}
    texts = [line[2] for line in lines]
    assert texts == [
        f"【青山县12345】您的诉求已登记，诉求编号{number}，查询码{code}，请妥善保存，凭此查询进度。",
        texts[1],
        f"【青山县12345】诉求{number}已答复，请7日内到http://127.0.0.1:8000/track 评价。",
        f"【青山县12345】诉求{number}已按您的意见重新办理，办理结果将短信告知。",
        f"【青山县12345】诉求{number}已答复，请7日内到http://127.0.0.1:8000/track 评价。",
        f"【青山县12345】诉求{number}已办结，感谢您的支持。",
    ], texts
    assert texts[1].startswith(f"【青山县12345】您的诉求{number}已分派给青山县供电局，将于")
    for personal in (NAME, MOBILE, TITLE, TEXT[:8], REJECTION):
        assert personal not in sms_file.read_text(encoding="utf-8")
    sent = [h["detail"]["template"] for h in api.get(f"/v1/complaints/{cid}/history", headers=staff).json()
            if h["action"] == "sms_sent"]
    assert sorted(sent) == sorted(["filed_with_code", "placed", "answered", "reopened", "answered", "closed"])

    # the dashboard's JSON, as its page reads it: by hand, one complaint answered twice with a contact, its last
    # answer followed up (回访率 1/1); two calls reached, one 满意 (回访满意率 1/2); one return reviewed and
    # rejected (合理退单率 0/1)
    def timeline() -> list[str]:
        drill = api.get(f"/dashboard/api/complaints/{cid}", headers=staff)
        return [e["kind"] for e in drill.json()["timeline"]] if drill.status_code == 200 else []

    poll(timeline, lambda kinds: kinds.count("followed_up") == 2 and "closed" in kinds
          and "return_rejected" in kinds)
    today = clock.now().astimezone(SHANGHAI).date()
    days = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    summary = api.get("/dashboard/api/summary", params=days, headers=staff).json()
    power = next(d for d in summary["departments"] if d["department"] == "power")
    for row in (power, summary["total"]):
        assert (row["answered"], row["with_contact"], row["followed_up"], row["callback_rate"]) == (1, 1, 1, 1.0)
        assert (row["calls"], row["calls_satisfied"], row["call_satisfaction_rate"]) == (2, 1, 0.5)
        assert (row["returns"], row["returns_reviewed"], row["returns_approved"]) == (1, 1, 0)
        assert row["return_approval_rate"] == 0.0
        assert row["reopened"] == 1
        display = row["display"]
        assert (display["callback_rate"], display["call_satisfaction_rate"], display["return_approval_rate"]) == (
            "100.0%", "50.0%", "0.0%")


def _sms(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
