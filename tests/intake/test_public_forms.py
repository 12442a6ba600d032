"""The public site's forms beyond the private link: ``/track`` opened by tracking number and short code (the cookie
the private link sets; a wrong pair like a missing one; guessing limited, in Chinese), ``/file`` with a photo (and
its limits: an 11 MB file, a renamed executable, each refused by the file field with nothing filed), the filer's
attachments on ``/track``, and the operator's filing page for a caller on the phone."""

from __future__ import annotations

import re

import httpx

from tests.intake.files import ELF, jpeg, pdf
from tests.intake.helpers import bearer, staff_token
from tests.intake.test_filing import counts
from tests.workbench.helpers import Desk

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CITIZEN = {"filer.kind": "individual", "filer.name": "李秀英", "filer.mobile": "13912345678",
           "title": "路灯坏了", "text": "小区门口的路灯坏了一个月，晚上出行不便。"}


async def _file(client: httpx.AsyncClient, upload: tuple[str, bytes, str] | None = None, **fields: str
                ) -> httpx.Response:
    form = await client.get("/file")
    data = {"csrf": CSRF.search(form.text).group(1), **CITIZEN, **fields}
    files = {"file": upload} if upload else {"file": ("", b"", "application/octet-stream")}
    return await client.post("/file", data=data, files=files)


def _filed(answer: httpx.Response) -> tuple[str, str]:
    assert answer.status_code == 201, answer.text
    number = re.search(r'id="tracking-number"[^>]*>([^<]+)<', answer.text).group(1)
    code = re.search(r'id="access-code"[^>]*>([^<]+)<', answer.text).group(1)
    return number, code




async def _track_by_code(client: httpx.AsyncClient, number: str, code: str) -> httpx.Response:
    form = await client.get("/track")
    return await client.post("/track", data={"csrf": CSRF.search(form.text).group(1), "tracking_number": number,
                                             "access_code": code})


async def test_a_photo_filed_with_the_complaint_is_its_attachment_and_the_filer_adds_another(embedded):
    _, client = embedded
    answer = await _file(client, ("现场.jpg", jpeg(1), "image/jpeg"))
    number, code = _filed(answer)
    assert 'id="file-kept"' in answer.text and 'id="file-error"' not in answer.text
    client.cookies.clear()
    opened = await _track_by_code(client, number, code)
    assert opened.status_code == 303 and opened.headers["location"] == f"/track/{number}"
    assert f"Path=/track/{number}" in opened.headers["set-cookie"] and "HttpOnly" in opened.headers["set-cookie"]
    page = await client.get(f"/track/{number}")
    assert page.status_code == 200 and 'id="files"' in page.text and code not in page.text
    photo = await client.get(f"/track/{number}/attachments/1")
    assert photo.status_code == 200 and photo.content == jpeg(1)
    csrf = CSRF.search(page.text).group(1)
    refused = await client.post(f"/track/{number}/attachments", data={"csrf": csrf},
                                files={"file": ("photo.jpg", ELF, "image/jpeg")})
    assert refused.status_code == 422 and 'id="err-file"' in refused.text
    forged = await client.post(f"/track/{number}/attachments", data={"csrf": "forged"},
                               files={"file": ("a.pdf", pdf(2), "application/pdf")})
    assert forged.status_code == 403
    added = await client.post(f"/track/{number}/attachments", data={"csrf": csrf},
                              files={"file": ("a.pdf", pdf(3), "application/pdf")})
    assert added.status_code == 303
    listed = (await client.get(f"/track/{number}")).text
    assert f"/track/{number}/attachments/2" in listed and f"/track/{number}/attachments/3" not in listed
    client.cookies.clear()
    assert (await client.get(f"/track/{number}/attachments/1")).status_code == 404  # the cookie is the way in


async def test_an_11_mb_file_and_a_renamed_executable_are_refused_by_the_file_field_and_nothing_is_filed(embedded):
    app, client = embedded
    before = await counts(app)
    for upload in (("big.jpg", jpeg(1, size=11 * 1024 * 1024), "image/jpeg"), ("photo.jpg", ELF, "image/jpeg")):
        refused = await _file(client, upload, title="带附件的诉求")
        assert refused.status_code == 422, refused.text
        assert re.search(r'id="err-file" role="alert">[^<]+<', refused.text)
        assert 'value="带附件的诉求"' in refused.text  # what was typed is kept
    assert await counts(app) == before
    huge = await _file(client, ("huge.jpg", jpeg(2, size=25 * 1024 * 1024), "image/jpeg"))
    assert huge.status_code == 413


async def test_tracking_by_code_a_wrong_pair_is_a_missing_one_and_guessing_is_limited(embedded):
    _, client = embedded
    number, code = _filed(await _file(client))
    client.cookies.clear()
    wrong_code = str((int(code) + 1) % 1_000_000).zfill(6)
    wrong = await _track_by_code(client, number, wrong_code)
    missing = await _track_by_code(client, "TS20200101-AAAAAA", code)
    assert wrong.status_code == missing.status_code == 404
    said = re.compile(r'id="notice">([^<]*)<')
    assert said.search(wrong.text).group(1) == said.search(missing.text).group(1)
    assert wrong_code not in wrong.text and "complaint_track" not in wrong.headers.get("set-cookie", "")
    assert (await client.post("/track", data={"csrf": "forged", "tracking_number": number,
                                              "access_code": code})).status_code == 403
    statuses = [(await _track_by_code(client, number, wrong_code)).status_code for _ in range(6)]
    assert statuses[-1] == 429, statuses
    locked = await _track_by_code(client, number, code)  # even the right code waits
    assert locked.status_code == 429 and "尝试次数过多" in locked.text and "秒后再试" in locked.text
    assert (await client.get(f"/track/{number}")).status_code == 404


async def test_the_operator_files_for_an_anonymous_caller_and_reads_out_number_and_code(embedded):
    app, client = embedded
    desk = Desk(app)
    try:
        await desk.login(staff_token("operator", "话务员01"))
        assert 'href="/workbench/operator/file"' in (await desk.get("/workbench/operator")).text
        form = await desk.get("/workbench/operator/file")
        assert form.status_code == 200 and 'id="kind-anonymous"' in form.text
        data = {"csrf": desk.csrf, "filer.kind": "anonymous", "title": "窗口推诿",
                "text": "在政务大厅办理营业执照变更，窗口人员互相推诿，跑了三次还没办成。"}
        refused = await desk.client.post("/workbench/operator/file", data={**data, "title": ""})
        assert refused.status_code == 422 and 'id="err-title"' in refused.text
        filed = await desk.client.post("/workbench/operator/file", data=data)
        number, code = _filed(filed)
        assert 'id="track-link"' not in filed.text
        mine = (await desk.get("/workbench/operator")).text
        assert number in mine
        history = await client.post("/v1/track", json={"tracking_number": number, "access_code": code})
        assert history.status_code == 200
        shown = await client.get(f"/v1/complaints/{history.json()['id']}",
                                 headers=bearer(history.json()["access_token"]))
        assert shown.json()["channel"] == "hotline" and shown.json()["filer"]["kind"] == "anonymous"
        landline = await desk.client.post("/workbench/operator/file", data={
            **data, "filer.kind": "individual", "filer.name": "王先生", "filer.mobile": "0571-88888888",
            "idempotency_key": "landline-1"})
        assert landline.status_code == 201, landline.text
        assert (await desk.client.post("/workbench/operator/file", data={**data, "csrf": "x"})).status_code == 403
        handler = Desk(app)
        await handler.login(staff_token("handler", "张三", "power"))
        refused_handler = await handler.client.post("/workbench/operator/file", data={**data, "csrf": handler.csrf})
        assert refused_handler.status_code == 404
        await handler.close()
    finally:
        await desk.close()
