"""Attachments (附件) through the API on the embedded default: what may be attached (by content, not by name), the
limits (10 MB, 10 per complaint), who reads and adds them, the history entry, the download's headers, and that a
failure between storing a file and recording it leaves no row naming a missing file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text

from services.intake.attachments import AttachmentDesk, attach
from shared import clock
from shared.auth import Principal, Role
from tests.conftest import embedded_settings, running_app
from tests.intake import files
from tests.intake.helpers import bearer, staff_token
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body, credit_code, refuse_new_rows

MB = 1024 * 1024
#: A name a scan of an ID card gets on a phone: personal data, which must not be kept anywhere.
PERSONAL_NAME = "王小明身份证13812345678.jpg"
POWER = complaint_body("一周停了四次电", "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大，"
                                        "请供电公司查明原因，保障供电。")


@pytest.fixture
async def app(tmp_path):
    async with running_app(embedded_settings(tmp_path)) as (app, client):
        yield app, client, tmp_path


async def _file(client, body=None) -> tuple[str, dict]:
    created = (await client.post("/v1/complaints", json=body or complaint_body())).json()
    return created["id"], bearer(created["access_token"])


def _upload(client, cid: str, headers: dict, content: bytes, name: str = "photo.jpg", declared: str = "image/jpeg"):
    return client.post(f"/v1/complaints/{cid}/attachments", files={"file": (name, content, declared)},
                       headers=headers)


def _stored(tmp: Path) -> list[Path]:
    return [p for p in (tmp / "attachments").rglob("*") if p.is_file()]


async def test_a_filer_attaches_a_photo_and_reads_it_back_named_without_its_original_name(app):
    _, client, tmp = app
    cid, filer = await _file(client)
    photo = files.jpeg(size=300 * 1024)
    added = await _upload(client, cid, filer, photo, name=PERSONAL_NAME)
    assert added.status_code == 201, added.text
    shown = added.json()
    assert shown["number"] == 1 and shown["kind"] == "image/jpeg" and shown["kind_zh"] == "JPEG 图片"
    assert shown["size"] == len(photo) and shown["added_at"].endswith("+08:00")
    assert added.headers["location"] == shown["url"] == f"/v1/complaints/{cid}/attachments/1"

    listed = (await client.get(f"/v1/complaints/{cid}/attachments", headers=filer)).json()
    assert listed == [shown]
    got = await client.get(shown["url"], headers=filer)
    assert got.status_code == 200 and got.content == photo
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    tracking = (await client.get(f"/v1/complaints/{cid}", headers=filer)).json()["tracking_number"]
    assert got.headers["content-disposition"] == f'attachment; filename="{tracking}-1.jpg"'
    assert "sandbox" in got.headers["content-security-policy"]

    # the file is stored under its content address, and its original name is nowhere: not in the database's file
    assert _stored(tmp) == [tmp / "attachments" / hashlib.sha256(photo).hexdigest()[:2] /
                            hashlib.sha256(photo).hexdigest()]
    for database in tmp.glob("*.db*"):
        assert "王小明".encode() not in database.read_bytes() and b"13812345678.jpg" not in database.read_bytes()


async def test_the_history_counts_each_attachment_with_its_kind_and_size(app):
    _, client, _tmp = app
    cid, filer = await _file(client)
    await _upload(client, cid, filer, files.jpeg(size=1536 * 1024))
    await _upload(client, cid, filer, files.pdf(size=20 * 1024), name="合同.pdf", declared="application/pdf")
    supervisor = bearer(staff_token("supervisor", "王督办"))
    for headers, actor in ((filer, "filer"), (supervisor, "filer")):
        entries = [h for h in (await client.get(f"/v1/complaints/{cid}/history", headers=headers)).json()
                   if h["action"] == "attached"]
        assert [h["detail"] for h in entries] == [
            {"number": 1, "kind": "image/jpeg", "size": 1536 * 1024},
            {"number": 2, "kind": "application/pdf", "size": 20 * 1024},
        ]
        assert [h["summary"] for h in entries] == ["添加附件 1（JPEG 图片，1.5 MB）", "添加附件 2（PDF 文档，20 KB）"]
        assert {h["actor"] for h in entries} == {actor}


@pytest.mark.parametrize("kind", sorted(files.ACCEPTED))
async def test_each_kind_is_recognised_by_its_content_whatever_its_name(app, kind):
    _, client, _tmp = app
    cid, filer = await _file(client)
    name, make = files.ACCEPTED[kind]
    added = await _upload(client, cid, filer, make(), name=name, declared="application/octet-stream")
    assert added.status_code == 201, added.text
    assert added.json()["kind"] == kind
    got = await client.get(added.json()["url"], headers=filer)
    assert got.headers["content-type"] == kind


@pytest.mark.parametrize("what", sorted(files.REFUSED))
async def test_a_renamed_executable_or_page_is_refused_and_nothing_is_kept(app, what):
    _, client, tmp = app
    cid, filer = await _file(client)
    refused = await _upload(client, cid, filer, files.REFUSED[what], name="photo.jpg", declared="image/jpeg")
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "file" and error["code"] == "file_type_not_allowed"
    assert "PDF" in error["message_zh"] and "照片" in error["message_zh"]
    assert _stored(tmp) == []
    history = (await client.get(f"/v1/complaints/{cid}/history", headers=filer)).json()
    assert "attached" not in {h["action"] for h in history}


async def test_an_empty_file_or_no_file_is_a_field_error(app):
    _, client, _tmp = app
    cid, filer = await _file(client)
    empty = await _upload(client, cid, filer, b"")
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "file"
    missing = await client.post(f"/v1/complaints/{cid}/attachments", data={"other": "x"}, headers=filer)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"


async def test_an_11_mb_file_is_refused_with_a_clear_message_and_10_mb_is_taken(app):
    _, client, tmp = app
    cid, filer = await _file(client)
    for size in (11 * MB, 10 * MB + 1):  # refused by the body limit, and by the endpoint inside its envelope
        refused = await _upload(client, cid, filer, files.jpeg(size=size))
        assert refused.status_code == 413, size
        body = refused.json()
        assert body["error"] == "file_too_large"
        assert body["errors"][0]["field"] == "file" and body["errors"][0]["code"] == "file_too_large"
        assert "附件不能超过 10 MB" in body["errors"][0]["message_zh"]
    assert _stored(tmp) == []
    taken = await _upload(client, cid, filer, files.jpeg(size=10 * MB))
    assert taken.status_code == 201 and taken.json()["size"] == 10 * MB


async def test_only_the_upload_route_takes_a_large_body(app):
    _, client, _tmp = app
    cid, filer = await _file(client)
    big = {**complaint_body(), "text": "停电" * 40_000}
    refused = await client.post("/v1/complaints", json=big)
    assert refused.status_code == 413 and refused.json()["error"] == "body_too_large"
    supplement = await client.post(f"/v1/complaints/{cid}/supplement", content=b"x" * (200 * 1024),
                                   headers={**filer, "If-Match": '"1"', "Content-Type": "application/json"})
    assert supplement.status_code == 413


async def test_at_most_ten_per_complaint_and_the_same_file_again_is_the_one_it_has(app):
    _, client, _tmp = app
    cid, filer = await _file(client)
    for n in range(10):
        assert (await _upload(client, cid, filer, files.png(n), name="p.png")).status_code == 201
    again = await _upload(client, cid, filer, files.png(3), name="again.png")
    assert again.status_code == 200 and again.json()["number"] == 4
    refused = await _upload(client, cid, filer, files.png(10))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "too_many_attachments"
    assert "最多 10 个附件" in refused.json()["errors"][0]["message_zh"]
    listed = (await client.get(f"/v1/complaints/{cid}/attachments", headers=filer)).json()
    assert [a["number"] for a in listed] == list(range(1, 11))
    history = (await client.get(f"/v1/complaints/{cid}/history", headers=filer)).json()
    assert sum(h["action"] == "attached" for h in history) == 10


async def test_attachments_are_served_only_to_whoever_may_read_the_complaint(app):
    _, client, _tmp = app
    cid, filer = await _file(client, POWER)
    await wait_routed(_Reader(client, filer), cid)
    assert (await _upload(client, cid, filer, files.jpeg())).status_code == 201
    _other, other_filer = await _file(client, {**POWER, "filer": {**POWER["filer"], "credit_code": credit_code(7)}})
    tax = bearer(staff_token("handler", "赵六", "tax"))
    url = f"/v1/complaints/{cid}/attachments"
    for headers in (other_filer, tax):
        for response in (await client.get(url, headers=headers), await client.get(f"{url}/1", headers=headers),
                         await _upload(client, cid, headers, files.jpeg(1))):
            assert response.status_code == 404, response.text
            assert response.json()["error"] == "not_found"
    assert (await client.get(f"{url}/1")).status_code == 401
    power = bearer(staff_token("handler", "张三", "power"))
    assert (await client.get(f"{url}/1", headers=power)).status_code == 200
    handler_added = await _upload(client, cid, power, files.pdf(), declared="application/pdf")
    assert handler_added.status_code == 201 and handler_added.json()["added_by"] == "handler:power:张三"
    # the filer reads it too, without the handler's name
    by_filer = (await client.get(url, headers=filer)).json()
    assert [a["added_by"] for a in by_filer] == ["filer", "handler:power"]
    assert (await client.get(f"{url}/2", headers=filer)).content == files.pdf()
    assert (await client.get(f"{url}/3", headers=filer)).status_code == 404
    supervisor = bearer(staff_token("supervisor", "王督办"))
    assert len((await client.get(url, headers=supervisor)).json()) == 2
    refused = await _upload(client, cid, supervisor, files.jpeg(2))
    assert refused.status_code == 403


class _Reader:
    """A client reading with one token (what ``wait_routed`` polls with)."""

    def __init__(self, client, headers: dict) -> None:
        self.client, self.headers = client, headers

    async def get(self, url: str):
        return await self.client.get(url, headers=self.headers)


async def test_a_closed_complaint_takes_no_more_attachments(app):
    application, client, _tmp = app
    cid, filer = await _file(client)
    async with application.state.runtimes["intake"].db.unit_of_work() as uow:
        await uow.session.execute(text("UPDATE intake_complaint SET status = 'closed' WHERE id = :id"), {"id": cid})
        await uow.commit()
    refused = await _upload(client, cid, filer, files.jpeg())
    assert refused.status_code == 409 and "已办结" in refused.json()["message_zh"]


async def test_a_failure_after_storing_leaves_no_row_naming_a_missing_file_and_the_retry_succeeds(tmp_path):
    settings = embedded_settings(tmp_path)
    async with running_app(settings) as (application, client):
        cid, _filer = await _file(client)
        runtime = application.state.runtimes["intake"]
        desk: AttachmentDesk = runtime.components["attachments"]
        filer = Principal(role=Role.filer, name="filer", complaint=cid)
        photo = files.jpeg(size=4096)
        await refuse_new_rows(settings.database_url_for("intake"), "intake_attachment")
        with pytest.raises(Exception, match="refused_by_the_test"):
            await attach(runtime.db, desk, filer, cid, photo, clock.now())
        key = hashlib.sha256(photo).hexdigest()
        assert await desk.store.get(key) == photo  # stored, unreachable: no row names it
        async with runtime.db.unit_of_work() as uow:
            assert (await uow.session.execute(text("SELECT count(*) FROM intake_attachment"))).scalar() == 0
            assert (await uow.session.execute(text(
                "SELECT count(*) FROM intake_history WHERE action = 'attached'"))).scalar() == 0
            await uow.session.execute(text("DROP TRIGGER refused_by_the_test"))
            await uow.commit()
        retried = await attach(runtime.db, desk, filer, cid, photo, clock.now())
        assert retried.created and retried.attachment.sha256 == key
        assert _stored(tmp_path) == [tmp_path / "attachments" / key[:2] / key]  # the same object, once


def test_the_document_declares_the_attachment_endpoints():
    from tests.test_api_properties import _document

    document = _document()
    paths = document["paths"]
    upload = paths["/v1/complaints/{complaint_id}/attachments"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    form = document["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]] if "$ref" in form else form
    assert form["required"] == ["file"]
    assert form["properties"]["file"]["contentMediaType"] == "application/octet-stream"
    assert {"200", "201", "400", "401", "403", "404", "409", "413", "422", "503"} <= set(upload["responses"])
    listing = paths["/v1/complaints/{complaint_id}/attachments"]["get"]
    assert {"200", "401", "404", "422", "503"} <= set(listing["responses"])
    one = paths["/v1/complaints/{complaint_id}/attachments/{number}"]["get"]
    assert set(one["responses"]["200"]["content"]) == set(files.ACCEPTED)
    assert {"401", "404", "422", "503"} <= set(one["responses"])


async def test_an_attachment_does_not_change_where_the_complaint_stands_for_partners(tmp_path):
    """Open311's ``status_notes`` and ``extended_status`` come from the last entry that says where the complaint stands:
    an attachment added after it is not that entry. (Intake alone: nothing routes the complaint meanwhile.)"""
    from services.intake.app import build_app as intake_alone
    from services.intake.open311.listing import last_entries

    async with running_app(embedded_settings(tmp_path), build=intake_alone) as (application, client):
        cid, filer = await _file(client)
        assert (await _upload(client, cid, filer, files.jpeg())).status_code == 201
        history = (await client.get(f"/v1/complaints/{cid}/history", headers=filer)).json()
        assert [h["action"] for h in history] == ["received", "attached"]  # the filer sees it
        async with application.state.runtimes["intake"].db.unit_of_work() as uow:
            assert (await last_entries(uow.session, [cid]))[cid].action == "received"
