"""The drill-down's status and department are intake's, in whatever order the dashboard's consumer group gets the
intake topic and the router topic relative to each other (each topic keeps one complaint's events in order, nothing
orders the two): every interleaving of a complaint's intake events with the router's decisions about it.

Each story is lived as intake lives it — its transitions through ``services/intake/domain/lifecycle.py``, the router's
decisions applied (or ignored) the way intake's ``on_routed`` / ``on_triage_required`` do — which gives the events
and the status and department intake ends with.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import combinations

import pytest

from services.intake.domain.lifecycle import Action, IllegalTransition, Status, transition
from services.sla.dashboard import handlers, rows, store
from shared import events as ev
from tests.dashboard.helpers import deliver, projection_db, sh

RECEIVED = sh("2026-03-02 09:00")


class Story:
    """One complaint as intake lives it: its intake events and the router's decisions, each in its own order; the
    status and lead department intake has at the end."""

    def __init__(self, cid: str) -> None:
        self.cid = cid
        self.at = RECEIVED
        self.intake: list[ev.EventData] = [ev.ComplaintReceivedV1(
            complaint_id=cid, tracking_number=f"TS-{cid}"[:32], title="停电", text="正文", channel="api",
            enterprise_name="企业", received_at=RECEIVED)]
        self.router: list[ev.EventData] = []
        self.merged: list[ev.EventData] = []
        self.status, self.department, self.version, self.requests = Status.received, None, 1, 0
        self.reopened = False

    def act(self, action: Action, *events: tuple[type, dict], department: str | None = None) -> None:
        """One transition of intake's and the events it emits (``department``: the one they name, when not the lead
        department)."""
        self.status = transition(self.status, action, reopened_before=self.reopened)
        self.at += timedelta(minutes=10)
        self.version += 1
        for cls, fields in events:
            self.intake.append(cls(complaint_id=self.cid, actor="x", status=self.status.value, version=self.version,
                                   at=self.at, department=department or self.department, **fields))

    def decide(self, department: str | None) -> None:
        """The router's decision on the latest request: placed with ``department``, or sent to triage (None)."""
        self.at += timedelta(minutes=1)
        if department is None:
            self.router.append(ev.ComplaintTriageRequiredV1(
                complaint_id=self.cid, confidence=0.2, financial_service=False, sla_policy="standard",
                received_at=RECEIVED))
        else:
            self.router.append(ev.ComplaintRoutedV1(
                complaint_id=self.cid, department=department, score=1.0, confidence=0.9, financial_service=False,
                sla_policy="standard", received_at=RECEIVED, routed_at=self.at, attempt=self.requests))
        try:
            self.status = transition(self.status, Action.triage if department is None else Action.route)
        except IllegalTransition:
            return  # intake ignores a decision that finds the complaint past routing
        self.department = department
        self.version += 1

    # -- what people do ---------------------------------------------------------------------------------------------

    def claim(self) -> None:
        self.act(Action.claim, (ev.ComplaintClaimedV1, {"lease_until": self.at + timedelta(hours=1)}))

    def answer(self) -> None:
        self.act(Action.answer, (ev.ComplaintAnsweredV1, {}))

    def answered_with_original(self) -> None:
        self.act(Action.answer_with_original, (ev.ComplaintAnsweredV1, {}))

    def supplement(self) -> None:
        self.act(Action.supplement, (ev.ComplaintSupplementedV1, {}))

    def rate(self, rating: str) -> None:
        action = Action.rate_dissatisfied if rating == "dissatisfied" else Action.rate_satisfied
        reopens = action is Action.rate_dissatisfied and not self.reopened
        self.act(action, (ev.ComplaintRatedV1, {"rating": rating}),
                 (ev.ComplaintReopenedV1, {"reason": "没有解决"}) if reopens else (ev.ComplaintClosedV1,
                                                                                 {"rating": rating}))
        self.reopened = self.reopened or reopens

    def give_back(self) -> None:
        """A return, and the center's review approving it (only the approval asks the router for a decision)."""
        returned = {"returned_by": self.department, "reason": "不属本部门"}
        self.act(Action.return_, (ev.ComplaintReturnRequestedV1, returned))
        self.requests += 1
        self.act(Action.approve_return, (ev.ComplaintReturnedV1, returned))
        self.department = None

    def dispatch(self, department: str) -> None:
        self.requests += 1
        self.act(Action.dispatch, (ev.ComplaintDispatchedV1, {"financial_service": False}), department=department)
        self.department = None


Steps = list[tuple]
REOPENED_AND_REROUTED: Steps = [("decide", "power"), ("claim",), ("answer",), ("rate", "dissatisfied"), ("claim",),
                                ("give_back",), ("decide", "township")]
#: Stories as the steps of people and of the router, in the order intake lives them.
STORIES: dict[str, Steps] = {
    "reopened-returned-rerouted": REOPENED_AND_REROUTED,
    "rerouted-answered-rated": REOPENED_AND_REROUTED + [("claim",), ("answer",), ("rate", "satisfied")],
    "returned-to-triage": [("decide", "power"), ("claim",), ("give_back",), ("supplement",), ("decide", None)],
    "triage-dispatched": [("decide", None), ("supplement",), ("dispatch", "market"), ("decide", "market")],
    "redispatched-before-claim": [("decide", "power"), ("dispatch", "market"), ("decide", "market")],
    "returned-triage-dispatched-claimed": [("decide", "power"), ("claim",), ("give_back",), ("decide", None),
                                           ("dispatch", "market"), ("decide", "market"), ("claim",)],
    "twice-returned": [("decide", "power"), ("claim",), ("give_back",), ("decide", "township"), ("claim",),
                       ("give_back",), ("decide", "housing")],
    "duplicate-answered-before-routing": [("answered_with_original",), ("decide", "power")],
}


def live(cid: str, steps: Steps) -> Story:
    story = Story(cid)
    for step, *args in steps:
        getattr(story, step)(*args)
    return story


def interleavings(name: str, steps: Steps) -> Iterator[Story]:
    """The story once per way of merging its intake events with the router's (each stream in its own order)."""
    shape = live("shape", steps)
    n, m = len(shape.intake), len(shape.router)
    for k, router_slots in enumerate(combinations(range(n + m), m)):
        lived = live(f"{name}-{k}", steps)
        intake, router = iter(lived.intake), iter(lived.router)
        lived.merged = [next(router) if i in router_slots else next(intake) for i in range(n + m)]
        yield lived


def test_the_dashboard_knows_where_intake_applies_a_routing_decision():
    for action, statuses in ((Action.route, handlers.ROUTES_FROM), (Action.triage, handlers.TRIAGES_FROM)):
        applies = set()
        for status in Status:
            try:
                transition(status, action)
                applies.add(status.value)
            except IllegalTransition:
                pass
        assert applies == statuses


@pytest.mark.parametrize("batch", [5, 500])
async def test_status_and_department_are_intakes_in_every_order(tmp_path, batch):
    lived = [s for name, steps in STORIES.items() for s in interleavings(name, steps)]
    envelopes = [data.envelope(event_id=f"{s.cid}-{i}", time=sh("2026-03-10 09:00"))
                 for s in lived for i, data in enumerate(s.merged)]
    db = await projection_db(f"sqlite+aiosqlite:///{tmp_path}/sla.db")
    try:
        await deliver(db, envelopes, twice=False, batch=batch)
        wrong = []
        for s in lived:
            row, _timeline = await store.complaint(db, s.cid)
            if (row.status, rows.holder(row)) != (s.status.value, s.department):
                wrong.append((s.cid, [type(e).__name__ for e in s.merged], row.status, rows.holder(row),
                              s.status.value, s.department))
        assert not wrong, f"{len(wrong)} of {len(lived)} differ, e.g. {wrong[:3]}"
    finally:
        await db.dispose()
