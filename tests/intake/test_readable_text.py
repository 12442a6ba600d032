"""Text a person can read: control characters (NUL, BEL, ESC …) and invisible formatting characters (bidi overrides,
zero-width spaces) are refused in every field people type, as a field error that saves nothing; the texts of several
lines keep their newlines and tabs; a title of invisible characters only is blank. The rule covers every request body
of intake's API."""

from __future__ import annotations

import json
import types
import typing

import pytest
from pydantic import BaseModel, ValidationError

from services.intake.http import complaints as complaints_http
from services.intake.http import access_codes
from services.intake.http import replies
from services.intake.http import work
from services.intake.schemas import FilerIn
from tests.intake.helpers import Actor, FilerClient, staff_token
from tests.intake.test_filing import counts
from tests.pipeline.helpers import wait_routed
from tests.support import complaint_body


def _filer(**values):
    body = complaint_body()
    body["filer"] = {**body["filer"], **values}
    return body


REFUSED = [
    pytest.param(complaint_body(title="\u202e\u200b"), "title", "blank", id="title-of-invisible-characters"),
    pytest.param(complaint_body(title=" \u200b\u00ad "), "title", "blank", id="title-of-spaces-and-invisible"),
    pytest.param(complaint_body(title="停电\x00"), "title", "control_characters", id="nul-in-title"),
    pytest.param(complaint_body(title="\x1b[31m停电\x07"), "title", "control_characters", id="esc-and-bel-in-title"),
    pytest.param(complaint_body(title="停电\u202e了"), "title", "control_characters", id="bidi-override-in-title"),
    pytest.param(complaint_body(title="停电\n四次"), "title", "control_characters", id="newline-in-title"),
    pytest.param(complaint_body(title="停电\u2028四次"), "title", "control_characters", id="line-separator-in-title"),
    pytest.param(complaint_body(text="园区停电\x00四次，损失严重，请尽快处理。"), "text", "control_characters",
                 id="nul-in-text"),
    pytest.param(complaint_body(text="园区停电四次\x1b[2J，请尽快处理。"), "text", "control_characters", id="esc-in-text"),
    pytest.param(complaint_body(address="白沙镇\u200b工业区"), "address", "control_characters", id="zwsp-in-address"),
    pytest.param(_filer(enterprise_name="青山县\u202e陶瓷厂"), "filer.enterprise_name", "control_characters",
                 id="bidi-override-in-enterprise-name"),
    pytest.param(_filer(contact_name="王\x00先生"), "filer.contact_name", "control_characters", id="nul-in-contact"),
    pytest.param(_filer(contact_name="\u200b"), "filer.contact_name", "blank", id="invisible-contact"),
]


@pytest.mark.parametrize(("body", "field", "code"), REFUSED)
async def test_unreadable_characters_are_refused_and_nothing_is_saved(embedded, body, field, code):
    app, client = embedded
    response = await client.post("/v1/complaints", content=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    [error] = [e for e in response.json()["errors"] if e["field"] == field]
    assert error["code"] == code
    assert error["message"] and error["message_zh"]
    assert await counts(app) == (0, 0, 0)


async def test_the_refusal_names_the_characters_but_does_not_echo_the_text(embedded):
    _, client = embedded
    response = await client.post("/v1/complaints", json=complaint_body(title="机密标题\u202e"))
    [error] = response.json()["errors"]
    assert "U+202E" in error["message"] and "U+202E" in error["message_zh"]
    assert "机密标题" not in response.text


async def test_texts_of_several_lines_keep_their_newlines_and_tabs(embedded):
    _, client = embedded
    client = FilerClient(client)
    text = "情况如下：\n\t1. 本周停电四次；\r\n\t2. 没有任何预告。\r请尽快处理。"
    created = await client.post("/v1/complaints", json=complaint_body(title="停电 四次", text=text))
    assert created.status_code == 201, created.text
    shown = (await client.get(f"/v1/complaints/{created.json()['id']}")).json()
    assert shown["text"] == "情况如下：\n\t1. 本周停电四次；\n\t2. 没有任何预告。\n请尽快处理。"
    assert shown["title"] == "停电 四次"


async def test_action_bodies_follow_the_same_rule_and_change_nothing(embedded):
    _, client = embedded
    client = FilerClient(client)
    cid = (await client.post("/v1/complaints", json=complaint_body())).json()["id"]
    await wait_routed(client, cid)
    supervisor = Actor(client, staff_token("supervisor", "王督办"))
    filer = Actor(client, client.tokens[cid])
    before = await supervisor.version(cid)
    for actor, action, body, field, code in (
        (supervisor, "notes", {"text": "内部备注\x1b]0;x\x07"}, "text", "control_characters"),
        (supervisor, "notes", {"text": "\u200b\u2060"}, "text", "blank"),
        (filer, "supplement", {"text": "补充\x00材料"}, "text", "control_characters"),
        (filer, "rating", {"rating": "不满意", "reason": "理由\u202e"}, "reason", "control_characters"),
        (supervisor, "dispatch", {"department": "power\x00"}, "department", "control_characters"),
    ):
        refused = await actor.act(cid, action, body, etag=before, expect=422)
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(field, code)], refused.text
    assert await supervisor.version(cid) == before
    assert (await supervisor.get(f"/v1/complaints/{cid}/messages")).json() == []
    noted = await supervisor.act(cid, "notes", {"text": "第一行\n\t第二行"}, etag=before)
    assert noted.status_code == 200


def _request_models() -> set[type[BaseModel]]:
    """Every model intake's API takes as a request body, and the models nested in them."""
    found: set[type[BaseModel]] = set()
    pending = [param.field_info.annotation for router in (complaints_http.router, work.router, replies.router, access_codes.router) for route in router.routes
               for param in route.dependant.body_params]
    while pending:
        annotation = pending.pop()
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
            pending.extend(typing.get_args(annotation))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in found:
            found.add(annotation)
            pending.extend(field.annotation for field in annotation.model_fields.values())
    return found


def _text_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, field in model.model_fields.items() if field.annotation in (str, str | None)]


def _errors_at(model: type[BaseModel], field: str, value: str) -> list[str]:
    try:
        model.model_validate({field: value})
    except ValidationError as exc:
        return [e["type"] for e in exc.errors() if e["loc"] == (field,)]
    return []


def test_every_text_field_of_every_request_body_follows_the_rule():
    models = _request_models()
    assert FilerIn in models and len(models) >= 8
    multiline = set()
    for model in models:
        for field in _text_fields(model):
            for value in ("甲\x00乙", "甲\x1b乙", "甲\u202e乙", "甲\ufeff乙"):
                assert _errors_at(model, field, value) == ["control_characters"], (model.__name__, field, value)
            if "control_characters" not in _errors_at(model, field, "甲\n乙"):
                multiline.add((model.__name__, field))
                assert "control_characters" not in _errors_at(model, field, "甲\t乙")
    assert multiline == {("ComplaintCreate", "text"), ("TextBody", "text"), ("QuestionBody", "question"),
                         ("ReturnBody", "reason"), ("RatingBody", "reason"), ("ContactBody", "note"),
                         ("AnswerBody", "text"), ("TemplateCreate", "text"), ("TemplateUpdate", "text"),
                         ("ReasonBody", "reason")}
