"""Complaint statuses and the transitions between them (pure rules, no I/O).

``transition(status, action)`` gives the status an action leads to, or raises :class:`IllegalTransition` carrying the
actions that *are* allowed from the current status (the API answers 409 listing them). Every pair is written out in
one ``match``; anything not written there is refused.

    received ──router──► routed ──claim──► claimed ──accept──► accepted ──answer──► answered ──rate──► closed
        └──router──► triage ──dispatch──► rerouting ──router──► routed          │           └─不满意 (once)─► reopened
    claimed/accepted ──return (退回)──► return_review ──approve──► rerouting      accepted ⇄ awaiting_info
                                             └──reject──► routed (the same department claims it again)
"""

from __future__ import annotations

from enum import Enum

from shared.vocabulary import RATINGS, status_name


class Status(str, Enum):
    received = "received"
    triage = "triage"
    rerouting = "rerouting"
    #: A department's return (退回) waits for the center's review (派单异议审核); the department still holds it.
    return_review = "return_review"
    routed = "routed"
    claimed = "claimed"
    accepted = "accepted"
    awaiting_info = "awaiting_info"
    answered = "answered"
    reopened = "reopened"
    closed = "closed"


class Action(str, Enum):
    # from the router's events
    route = "route"
    triage = "triage"
    # dispatcher
    dispatch = "dispatch"
    # handler of the lead department
    claim = "claim"
    accept = "accept"
    contact = "contact"
    request_info = "request_info"
    answer = "answer"
    return_ = "return"
    add_cooperating = "add_cooperating"
    # handlers of the lead or a cooperating department, supervisors
    note = "note"
    # filer
    supplement = "supplement"
    rate_satisfied = "rate_satisfied"
    rate_dissatisfied = "rate_dissatisfied"
    # the center's review of a return (派单异议审核): dispatchers decide, a supervisor permits a return out of rule
    approve_return = "approve_return"
    reject_return = "reject_return"
    permit_return = "permit_return"
    # intake itself
    answer_with_original = "answer_with_original"
    close_unrated = "close_unrated"


S, A = Status, Action

#: Statuses in which the complaint is still being worked (a department's queue shows these by default).
WORKING = frozenset({S.routed, S.claimed, S.accepted, S.awaiting_info, S.reopened})
#: Statuses that are not final.
OPEN = frozenset(set(S) - {S.answered, S.closed})
#: Statuses whose handler must hold the claim's lease to act.
LEASED = frozenset({S.claimed, S.accepted, S.awaiting_info})


class IllegalTransition(Exception):
    def __init__(self, status: Status, action: Action, allowed: list[Action]) -> None:
        super().__init__(f"{action.value} is not allowed while {status.value}")
        self.status = status
        self.action = action
        self.allowed = allowed


def _next(status: Status, action: Action, *, reopened_before: bool) -> Status | None:
    match (status, action):
        # routing decisions (a re-routing after a return or a dispatch replaces the earlier one)
        case (S.received | S.triage | S.rerouting | S.routed, A.route):
            return S.routed
        case (S.received | S.triage | S.rerouting, A.triage):
            return S.triage
        case (S.triage | S.routed, A.dispatch):
            return S.rerouting
        # the lead department's handler
        case (S.routed | S.reopened, A.claim):
            return S.claimed
        case (S.claimed | S.accepted | S.awaiting_info, A.claim):
            return status  # renewing one's own lease, or taking over a lapsed one
        case (S.claimed, A.accept):
            return S.accepted
        case (S.accepted | S.awaiting_info, A.contact):
            return status
        case (S.accepted, A.request_info):
            return S.awaiting_info
        case (S.claimed | S.accepted | S.awaiting_info, A.answer):
            return S.answered
        case (S.claimed | S.accepted | S.awaiting_info, A.return_):
            return S.return_review
        case (S.return_review, A.approve_return):
            return S.rerouting
        case (S.return_review, A.reject_return):
            return S.routed
        case (S.routed | S.reopened | S.claimed | S.accepted | S.awaiting_info, A.permit_return):
            return status
        case (S.claimed | S.accepted | S.awaiting_info, A.add_cooperating):
            return status
        case (s, A.note) if s is not S.closed:
            return status
        # the filer
        case (S.awaiting_info, A.supplement):
            return S.accepted
        case (s, A.supplement) if s in OPEN:
            return status
        case (S.answered, A.rate_satisfied):
            return S.closed
        case (S.answered, A.rate_dissatisfied):
            return S.closed if reopened_before else S.reopened
        # intake itself
        case (s, A.answer_with_original) if s in OPEN:
            return S.answered
        case (S.answered, A.close_unrated):
            return S.closed
        case _:
            return None


def allowed_actions(status: Status | str, *, reopened_before: bool = False) -> list[Action]:
    status = Status(status)
    return [a for a in Action if _next(status, a, reopened_before=reopened_before) is not None]


def transition(status: Status | str, action: Action | str, *, reopened_before: bool = False) -> Status:
    """The status ``action`` leads to from ``status``; raises :class:`IllegalTransition` when it is not allowed."""
    status, action = Status(status), Action(action)
    result = _next(status, action, reopened_before=reopened_before)
    if result is None:
        raise IllegalTransition(status, action, allowed_actions(status, reopened_before=reopened_before))
    return result


#: Actions people take through the API (the rest follow events or run inside intake).
HUMAN_ACTIONS = frozenset({
    A.dispatch, A.claim, A.accept, A.contact, A.request_info, A.answer, A.return_, A.add_cooperating, A.note,
    A.supplement, A.rate_satisfied, A.rate_dissatisfied, A.approve_return, A.reject_return, A.permit_return,
})


def api_actions(status: Status | str, *, reopened_before: bool = False) -> list[str]:
    """The allowed actions a caller could try next, by their API names (``request-info``, ``rating`` …)."""
    names = []
    for action in allowed_actions(status, reopened_before=reopened_before):
        if action in HUMAN_ACTIONS:
            name = API_NAMES[action]
            if name not in names:
                names.append(name)
    return names


API_NAMES: dict[Action, str] = {
    A.dispatch: "dispatch", A.claim: "claim", A.accept: "accept", A.contact: "contact",
    A.request_info: "request-info", A.answer: "answer", A.return_: "return", A.add_cooperating: "cooperating",
    A.note: "notes", A.supplement: "supplement", A.rate_satisfied: "rating", A.rate_dissatisfied: "rating",
    A.approve_return: "approve-return", A.reject_return: "reject-return", A.permit_return: "permit-return",
}


RATINGS_FROM_ZH = {zh: en for en, zh in RATINGS.items()}


def status_zh(status: str) -> str:
    return status_name(status)
