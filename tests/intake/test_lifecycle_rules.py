"""The lifecycle as pure rules: every written transition, and refusals that list what is allowed."""

from __future__ import annotations

import pytest

from services.intake.domain.duplicates import find_original, similarity
from services.intake.domain.lifecycle import Action, IllegalTransition, Status, api_actions, transition
from services.intake.queue import decode_cursor, encode_cursor

S, A = Status, Action


@pytest.mark.parametrize(("status", "action", "expected"), [
    (S.received, A.route, S.routed),
    (S.received, A.triage, S.triage),
    (S.triage, A.dispatch, S.rerouting),
    (S.rerouting, A.route, S.routed),
    (S.rerouting, A.triage, S.triage),
    (S.routed, A.claim, S.claimed),
    (S.claimed, A.claim, S.claimed),
    (S.claimed, A.accept, S.accepted),
    (S.accepted, A.contact, S.accepted),
    (S.accepted, A.request_info, S.awaiting_info),
    (S.awaiting_info, A.supplement, S.accepted),
    (S.routed, A.supplement, S.routed),
    (S.accepted, A.answer, S.answered),
    (S.accepted, A.return_, S.return_review),
    (S.return_review, A.approve_return, S.rerouting),
    (S.return_review, A.reject_return, S.routed),
    (S.accepted, A.permit_return, S.accepted),
    (S.answered, A.rate_satisfied, S.closed),
    (S.answered, A.rate_dissatisfied, S.reopened),
    (S.reopened, A.claim, S.claimed),
    (S.answered, A.close_unrated, S.closed),
    (S.accepted, A.answer_with_original, S.answered),
])
def test_written_transitions(status, action, expected):
    assert transition(status, action) is expected


def test_second_dissatisfaction_closes():
    assert transition(S.answered, A.rate_dissatisfied, reopened_before=True) is S.closed


@pytest.mark.parametrize(("status", "action"), [
    (S.routed, A.accept), (S.received, A.claim), (S.closed, A.claim), (S.answered, A.answer),
    (S.closed, A.note), (S.accepted, A.rate_satisfied), (S.claimed, A.request_info), (S.answered, A.route),
    (S.claimed, A.dispatch), (S.closed, A.supplement), (S.return_review, A.claim), (S.return_review, A.route),
    (S.return_review, A.return_), (S.accepted, A.approve_return), (S.routed, A.reject_return),
    (S.answered, A.permit_return),
])
def test_unwritten_transitions_are_refused_with_the_allowed_ones(status, action):
    with pytest.raises(IllegalTransition) as refused:
        transition(status, action)
    assert action not in refused.value.allowed
    for allowed in refused.value.allowed:
        transition(status, allowed, reopened_before=False)


def test_api_actions_name_what_a_caller_can_do():
    assert api_actions(S.routed) == ["dispatch", "claim", "notes", "supplement", "permit-return"]
    assert api_actions(S.return_review) == ["notes", "supplement", "approve-return", "reject-return"]
    assert api_actions(S.answered) == ["notes", "rating"]
    assert api_actions(S.closed) == []


def test_duplicate_similarity():
    text = "我厂位于工业园区，本周已经停电四次，没有任何预告，窑炉突然断电，损失很大。"
    assert similarity(text, text) == 1.0
    assert similarity(text, text.replace("四次", "五次")) >= 0.8
    assert similarity(text, "电子税务局登不上去，发票开不出来。") < 0.2
    assert find_original("停电", text, [("a", "发票", "开不出来"), ("b", "停电", text)], 0.8) == "b"


def test_cursor_round_trip():
    from datetime import datetime, timezone

    at = datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)
    assert decode_cursor(encode_cursor(at, "abc")) == (at, "abc")
    assert decode_cursor(encode_cursor(None, "abc")) == (None, "abc")
