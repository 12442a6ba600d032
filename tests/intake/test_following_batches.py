"""Intake follows the routing and SLA events about its complaints a batch at a time (one prefetch, the updates and
history lines written together at commit): a batch must leave every complaint exactly as applying its events one by
one does — on SQLite and on PostgreSQL, through the consumer the service really runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.intake.app import build_runtime
from services.intake.models import Complaint, Cooperation, HistoryEntry
from shared import events as ev
from shared.settings import IntakeSettings
from tests.support import database_url, records

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
async def runtime(request, tmp_path):
    async with database_url(request.param, tmp_path / "intake.db") as url:
        built = build_runtime(IntakeSettings(database_url=url), None)  # type: ignore[arg-type] - no bus needed
        await built.migrate()
        yield built
        await built.db.dispose()


async def file(runtime, complaint_id: str) -> None:
    async with runtime.db.unit_of_work() as uow:
        uow.session.add(Complaint(
            id=complaint_id, tracking_number=f"T-{complaint_id}", title="停电", text="工业园区一周停电四次",
            channel="api", enterprise_name="青山县某陶瓷厂", credit_code="91350100M000100Y43", status="received",
            received_at=T0, updated_at=T0, version=1,
        ))
        await uow.commit()


def story(cid: str) -> list[ev.Envelope]:
    """Two complaints' events in the order the topics deliver them: routed with a cooperating department, the
    clock opened, re-routed to the former cooperator (who leaves the cooperating list) with the first lead now
    cooperating, an SLA warning; the second goes to triage, then a dispatcher routes it."""
    other = f"{cid}-b"
    due = T0 + timedelta(days=10)
    data: list[tuple[ev.EventData, datetime]] = [
        (ev.ComplaintRoutedV1(complaint_id=cid, department="power", also=["housing"], score=3.0, confidence=0.9,
                              financial_service=False, sla_policy="standard", received_at=T0,
                              routed_at=T0 + timedelta(seconds=1), attempt=0), T0 + timedelta(seconds=1)),
        (ev.ComplaintTriageRequiredV1(complaint_id=other, confidence=0.2, financial_service=False,
                                      sla_policy="standard", received_at=T0), T0 + timedelta(seconds=1)),
        (ev.SlaClockOpenedV1(complaint_id=cid, department="power", policy="standard",
                             milestones=[ev.SlaMilestoneV1(milestone="resolution", due_at=due)]),
         T0 + timedelta(seconds=2)),
        (ev.ComplaintRoutedV1(complaint_id=cid, department="housing", also=["power"], score=1.0, confidence=1.0,
                              financial_service=False, sla_policy="standard", received_at=T0,
                              routed_at=T0 + timedelta(seconds=3), attempt=1, decided_by="dispatcher:李四"),
         T0 + timedelta(seconds=3)),
        (ev.ComplaintRoutedV1(complaint_id=other, department="market", score=1.0, confidence=1.0,
                              financial_service=False, sla_policy="standard", received_at=T0,
                              routed_at=T0 + timedelta(seconds=3), attempt=1, decided_by="dispatcher:李四"),
         T0 + timedelta(seconds=3)),
        (ev.SlaWarningV1(complaint_id=cid, department="housing", policy="standard", milestone="resolution", step=0,
                         due_at=due, fire_at=T0 + timedelta(seconds=4)), T0 + timedelta(seconds=4)),
    ]
    return [payload.envelope(time=at) for payload, at in data]


async def state(runtime, cid: str) -> dict:
    async with runtime.db.unit_of_work() as uow:
        complaint = await uow.session.get(Complaint, cid)
        history = (await uow.session.scalars(
            select(HistoryEntry.action).where(HistoryEntry.complaint_id == cid).order_by(HistoryEntry.id))).all()
        cooperating = (await uow.session.scalars(
            select(Cooperation.department).where(Cooperation.complaint_id == cid)
            .order_by(Cooperation.department))).all()
    return {"status": complaint.status, "department": complaint.department, "also": complaint.also,
            "version": complaint.version, "due_at": complaint.due_at and complaint.due_at.astimezone(timezone.utc),
            "deadlines": complaint.deadlines, "overdue": complaint.overdue, "history": list(history),
            "cooperating": list(cooperating)}


async def test_a_batch_leaves_complaints_as_applying_the_events_one_by_one_does(runtime):
    consumer = runtime.consumers[0]
    for cid in ("together", "together-b", "alone", "alone-b"):
        await file(runtime, cid)

    await consumer.handle_together(records(story("together")))
    for record in records(story("alone")):
        await consumer.handle(record)

    together, alone = await state(runtime, "together"), await state(runtime, "alone")
    assert together == alone
    assert await state(runtime, "together-b") == await state(runtime, "alone-b")
    assert together["status"] == "routed" and together["department"] == "housing"
    assert together["also"] == ["power"] and together["cooperating"] == ["power"]
    assert together["version"] == 3  # filed, routed, re-routed: the clock and the warning are not transitions
    assert together["due_at"] == T0 + timedelta(days=10)
    assert together["history"] == ["routed", "clock_opened", "routed", "warning"]
    other = await state(runtime, "together-b")
    assert (other["status"], other["department"], other["version"]) == ("routed", "market", 3)
    assert other["history"] == ["triage_required", "routed"]


async def test_redelivering_a_batch_changes_nothing(runtime):
    consumer = runtime.consumers[0]
    for cid in ("again", "again-b"):
        await file(runtime, cid)
    batch = records(story("again"))
    await consumer.handle_together(batch)
    before = await state(runtime, "again")
    await consumer.handle_together(batch)
    for record in batch:
        await consumer.handle(record)
    assert await state(runtime, "again") == before


async def test_events_about_a_complaint_intake_does_not_hold_are_skipped(runtime):
    consumer = runtime.consumers[0]
    await consumer.handle_together(records(story("unknown")))
    async with runtime.db.unit_of_work() as uow:
        assert (await uow.session.scalars(select(HistoryEntry))).all() == []


async def test_a_deadline_changed_in_the_batch_that_opened_the_clock_keeps_the_other_deadlines(runtime):
    """A reopening or an extension can reach intake in the same batch as the clock it moves: the change must start from
    the deadlines the clock announced earlier in the batch (still queued, not yet written), not from none."""
    consumer = runtime.consumers[0]
    for cid in ("together", "alone"):
        await file(runtime, cid)
    due = {"contact": T0 + timedelta(days=1), "resolution": T0 + timedelta(days=10)}
    extended = T0 + timedelta(days=20)

    def events(cid: str) -> list[ev.Envelope]:
        return [
            ev.SlaClockOpenedV1(complaint_id=cid, department="power", policy="standard", milestones=[
                ev.SlaMilestoneV1(milestone=milestone, due_at=at) for milestone, at in due.items()
            ]).envelope(time=T0 + timedelta(seconds=1)),
            ev.SlaDeadlineChangedV1(complaint_id=cid, milestone="contact", due_at=T0 + timedelta(days=2),
                                    previous_due_at=due["contact"], cause="extension", reason="企业负责人出差",
                                    actor="supervisor:王五").envelope(time=T0 + timedelta(seconds=2)),
            ev.SlaDeadlineChangedV1(complaint_id=cid, milestone="resolution", due_at=extended,
                                    previous_due_at=due["resolution"], cause="extension", reason="需现场勘查",
                                    actor="supervisor:王五").envelope(time=T0 + timedelta(seconds=3)),
        ]

    await consumer.handle_together(records(events("together")))
    for record in records(events("alone")):
        await consumer.handle(record)

    together = await state(runtime, "together")
    assert together == await state(runtime, "alone")
    assert together["deadlines"] == {"contact": (T0 + timedelta(days=2)).isoformat(),
                                     "resolution": extended.isoformat()}
    assert together["due_at"] == extended
    assert together["history"] == ["clock_opened", "deadline_changed", "deadline_changed"]


def routing(cid: str, department: str, also: list[str], attempt: int) -> ev.Envelope:
    at = T0 + timedelta(seconds=attempt + 1)
    return ev.ComplaintRoutedV1(complaint_id=cid, department=department, also=also, score=1.0, confidence=1.0,
                                financial_service=False, sla_policy="standard", received_at=T0, routed_at=at,
                                attempt=attempt, decided_by="dispatcher:李四").envelope(time=at)


async def test_cooperating_departments_changed_back_and_forth_in_one_batch_end_as_one_by_one(runtime):
    """Each routing starts from the cooperating departments the batch's earlier routings left (still to be written):
    a department added then made the lead leaves the list, the former lead joins it and stays when a third routing
    names no cooperating department."""
    consumer = runtime.consumers[0]
    for cid in ("together", "alone"):
        await file(runtime, cid)

    def events(cid: str) -> list[ev.Envelope]:
        return [routing(cid, "power", ["housing"], 0), routing(cid, "housing", ["power"], 1),
                routing(cid, "market", [], 2)]

    await consumer.handle_together(records(events("together")))
    for record in records(events("alone")):
        await consumer.handle(record)

    together = await state(runtime, "together")
    assert together == await state(runtime, "alone")
    assert together["department"] == "market" and together["also"] == ["power"]
    assert together["cooperating"] == ["power"] and together["version"] == 4


@pytest.mark.parametrize("order", ["breach-then-extension", "extension-then-breach"])
async def test_overdue_follows_the_last_sla_event_of_the_batch(runtime, order):
    """A breach marks the complaint overdue; a deadline moved past the moment of its event clears it. In one batch
    the second must start from what the first left."""
    consumer = runtime.consumers[0]
    for cid in ("together", "alone"):
        await file(runtime, cid)
    due = T0 + timedelta(days=1)

    def events(cid: str) -> list[ev.Envelope]:
        opened = ev.SlaClockOpenedV1(complaint_id=cid, department="power", policy="standard",
                                     milestones=[ev.SlaMilestoneV1(milestone="resolution", due_at=due)])
        breached = ev.SlaBreachedV1(complaint_id=cid, department="power", policy="standard", milestone="resolution",
                                    step=2, due_at=due, fire_at=due)
        extended = ev.SlaDeadlineChangedV1(complaint_id=cid, milestone="resolution", due_at=due + timedelta(days=5),
                                           previous_due_at=due, cause="extension", reason="需现场勘查",
                                           actor="supervisor:王五")
        later = [(breached, due), (extended, due + timedelta(hours=1))]
        if order == "extension-then-breach":
            later = [(extended, due - timedelta(hours=1)), (breached, due + timedelta(hours=1))]
        return [opened.envelope(time=T0)] + [payload.envelope(time=at) for payload, at in later]

    await consumer.handle_together(records(events("together")))
    for record in records(events("alone")):
        await consumer.handle(record)

    together = await state(runtime, "together")
    assert together == await state(runtime, "alone")
    assert together["overdue"] is (order == "extension-then-breach")
    assert together["due_at"] == due + timedelta(days=5)
