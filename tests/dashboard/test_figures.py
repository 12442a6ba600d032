"""The dashboard's figures on a small fixed data set, fed as events through the projection handlers (each event
delivered twice), against hand-computed values — on SQLite and on PostgreSQL; a department answering more in the
period than was filed in it, whose 办结率 still counts only what was filed; and, for any rows at all, no rate above
100%.

Now is Friday 2026-03-20 10:00 (Shanghai); the next working day is Monday 03-23, so "due within one working day"
means due at or before 2026-03-24 00:00. The period is 2026-03-01 … 2026-03-20.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.sla.dashboard import figures, store, views
from services.sla.dashboard.periods import Period
from services.sla.dashboard.projection import ReportComplaint
from services.sla.dashboard.rows import UNPLACED, on_time
from services.sla.dashboard.trend import trend as daily_trend
from services.sla.dashboard.worklists import ReopenedItem, overdue_list, reopened_list
from shared import events as ev
from shared.calendar import WorkingCalendar
from shared.catalog import load_catalog
from tests.dashboard.helpers import Feed, deliver, projection_db, sh

NOW = sh("2026-03-20 10:00")
PERIOD = Period(NOW.date().replace(day=1), NOW.date())


def data_set() -> Feed:
    f = Feed()
    # 供电局 (power)
    f.received("P1", sh("2026-03-02 09:00"))
    f.routed("P1", "power", sh("2026-03-02 09:00"), sh("2026-03-02 09:01"))
    f.clock("P1", "power", sh("2026-03-13 00:00"), at=sh("2026-03-02 09:01"))
    f.answered("P1", "power", sh("2026-03-13 00:00"))          # exactly at the deadline: on time
    f.rated("P1", "power", sh("2026-03-14 10:00"), "satisfied")

    f.received("P2", sh("2026-03-02 10:00"))
    f.routed("P2", "power", sh("2026-03-02 10:00"), sh("2026-03-02 10:01"))
    f.clock("P2", "power", sh("2026-03-13 00:00"), at=sh("2026-03-02 10:01"))
    f.answered("P2", "power", sh("2026-03-13 00:01"))          # one minute after: late
    f.rated("P2", "power", sh("2026-03-14 11:00"), "basically_satisfied")

    f.received("P3", sh("2026-03-03 09:00"))
    f.routed("P3", "power", sh("2026-03-03 09:00"), sh("2026-03-03 09:01"))
    f.clock("P3", "power", sh("2026-03-14 00:00"), at=sh("2026-03-03 09:01"))
    f.answered("P3", "power", sh("2026-03-10 10:00"))
    f.rated("P3", "power", sh("2026-03-11 08:00"), "dissatisfied")
    f.reopened("P3", "power", sh("2026-03-11 09:00"), reason="没有解决")
    f.deadline("P3", sh("2026-03-22 00:00"), sh("2026-03-14 00:00"), sh("2026-03-11 09:00"))  # due soon now

    f.received("P4", sh("2026-03-05 09:00"))
    f.routed("P4", "power", sh("2026-03-05 09:00"), sh("2026-03-05 09:01"))
    f.clock("P4", "power", sh("2026-03-16 00:00"), at=sh("2026-03-05 09:01"))
    f.step("breached", "P4", "power", sh("2026-03-16 00:00"), sh("2026-03-16 00:00"), "department_lead")
    f.step("escalated", "P4", "power", sh("2026-03-16 00:00"), sh("2026-03-17 00:00"), "center_supervision")

    # returned by power, re-routed to 市场监管局 (market)
    f.received("P5", sh("2026-03-06 09:00"))
    f.routed("P5", "power", sh("2026-03-06 09:00"), sh("2026-03-06 09:01"))
    f.clock("P5", "power", sh("2026-03-17 00:00"), at=sh("2026-03-06 09:01"))
    f.transition(ev.ComplaintReturnedV1, "P5", "power", sh("2026-03-06 15:00"), "rerouting", returned_by="power",
                 reason="不属于本部门职责", suggested_department="market")
    f.routed("P5", "market", sh("2026-03-06 09:00"), sh("2026-03-06 15:01"), attempt=1)
    f.answered("P5", "market", sh("2026-03-12 10:00"))
    f.transition(ev.ComplaintClosedV1, "P5", "market", sh("2026-03-19 10:00"), "closed")  # closed unrated

    # market
    f.received("M1", sh("2026-03-10 09:00"))
    f.routed("M1", "market", sh("2026-03-10 09:00"), sh("2026-03-10 09:01"))
    f.clock("M1", "market", sh("2026-03-21 00:00"), at=sh("2026-03-10 09:01"))  # due soon

    f.received("M2", sh("2026-02-20 09:00"))                   # received before the period, answered in it
    f.routed("M2", "market", sh("2026-02-20 09:00"), sh("2026-02-20 09:01"))
    f.clock("M2", "market", sh("2026-03-03 00:00"), at=sh("2026-02-20 09:01"))
    f.answered("M2", "market", sh("2026-03-02 12:00"))
    f.rated("M2", "market", sh("2026-03-03 12:00"), "satisfied")

    # 财政局 (finance), financial-service policy: answered late
    f.received("F1", sh("2026-03-09 09:00"))
    f.routed("F1", "finance", sh("2026-03-09 09:00"), sh("2026-03-09 09:01"), policy="financial_service")
    f.clock("F1", "finance", sh("2026-03-17 00:00"), policy="financial_service", at=sh("2026-03-09 09:01"))
    f.answered("F1", "finance", sh("2026-03-18 09:00"))
    f.rated("F1", "finance", sh("2026-03-18 12:00"), "basically_satisfied")

    # waiting for the dispatcher
    f.received("T1", sh("2026-03-19 09:00"))
    f.triage("T1", sh("2026-03-19 09:00"))

    # a duplicate: left out of every figure
    f.received("D1", sh("2026-03-11 09:00"))
    f.routed("D1", "power", sh("2026-03-11 09:00"), sh("2026-03-11 09:01"))
    f.transition(ev.ComplaintDuplicateLinkedV1, "D1", "power", sh("2026-03-11 09:02"), "answered", original_id="P1")
    return f


def by_dept(summary: figures.Summary) -> dict[str, figures.DepartmentFigures]:
    return {f.department: f for f in summary.departments}


NAMES = {d.id: d.name for d in load_catalog().departments}
CALENDAR = WorkingCalendar.load()


async def _reopened(db, policy=None) -> list[ReopenedItem]:
    return reopened_list(await store.reopenings(db, PERIOD, policy), period=PERIOD, names=NAMES,
                                 policy=policy)


async def _summary(db, policy=None) -> figures.Summary:
    rows = await store.rows_for(db, PERIOD, policy)
    return figures.summarise(rows, now=NOW, period=PERIOD, calendar=CALENDAR, names=NAMES,
                             reopened=await _reopened(db, policy), policy=policy)


async def check_figures(db) -> None:
    summary = await _summary(db)
    d = by_dept(summary)
    power, market, finance, unplaced = d["power"], d["market"], d["finance"], d[UNPLACED]

    assert (power.received, power.open, power.due_soon, power.overdue) == (4, 2, 1, 1)
    assert power.overdue_max_hours == pytest.approx(4 * 24 + 10)          # since 03-16 00:00
    assert (power.answered, power.answered_on_time) == (2, 1)
    assert power.on_time_rate == pytest.approx(0.5)                       # 按时办结率: P1 on time, P2 late
    assert power.completion_rate == pytest.approx(2 / 4)                  # 办结率: P1, P2 of P1–P4
    assert power.follow_up_rate == pytest.approx(1.0)                     # 回访率: P1, P2 rated
    assert (power.ratings, power.satisfied) == (3, 2)                     # P3's 不满意 counts though reopened
    assert power.satisfaction_rate == pytest.approx(2 / 3)                # 回访满意率
    assert power.avg_handling_hours == pytest.approx((255 + 254 + 1 / 60) / 2)
    assert (power.routed, power.rerouted) == (5, 1)                       # P5 re-routed away from power
    assert power.reroute_rate == pytest.approx(0.2)
    assert power.reopened == 1                                            # P3: its answer rated 不满意

    assert (market.received, market.open, market.due_soon, market.overdue) == (2, 1, 1, 0)
    assert (market.answered, market.answered_on_time) == (2, 2)
    assert market.on_time_rate == pytest.approx(1.0)
    assert market.completion_rate == pytest.approx(0.5)
    assert (market.rated, market.ratings, market.satisfied) == (1, 1, 1)  # P5 closed unrated
    assert market.follow_up_rate == pytest.approx(0.5)
    assert market.avg_handling_hours == pytest.approx((145 + 243) / 2)
    assert (market.routed, market.rerouted, market.reroute_rate) == (1, 0, 0.0)

    assert (finance.received, finance.answered, finance.answered_on_time) == (1, 1, 0)
    assert finance.on_time_rate == 0.0 and finance.satisfaction_rate == 1.0
    assert finance.avg_handling_hours == pytest.approx(9 * 24)

    assert (unplaced.received, unplaced.open, unplaced.overdue, unplaced.due_soon) == (1, 1, 0, 0)
    assert d["tax"].received == 0 and d["tax"].on_time_rate is None

    assert market.reopened == 0 and finance.reopened == 0
    reopened = await _reopened(db)
    assert [(i.complaint_id, i.department, i.department_name, i.reopened_at, i.reason, i.status)
            for i in reopened] == [("P3", "power", NAMES["power"], sh("2026-03-11 09:00"), "没有解决", "reopened")]
    assert await _reopened(db, "financial_service") == []

    total = summary.total
    assert total.reopened == 1
    assert (total.received, total.open, total.overdue, total.answered, total.answered_on_time) == (8, 4, 1, 5, 3)
    assert total.on_time_rate == pytest.approx(3 / 5)
    assert total.satisfaction_rate == pytest.approx(4 / 5)

    only_financial = by_dept(await _summary(db, "financial_service"))
    assert only_financial["finance"].answered == 1 and only_financial["power"].received == 0

    rows = await store.rows_for(db, PERIOD)
    overdue = overdue_list(rows, now=NOW, names={"power": "供电局"})
    assert [i.complaint_id for i in overdue] == ["P4"] and overdue[0].escalation_level == "center_supervision"
    trend = {p.day.isoformat(): p for p in daily_trend(rows, now=NOW, period=PERIOD)}
    assert trend["2026-03-02"].received == 2 and trend["2026-03-02"].answered == 1        # P1, P2 / M2
    assert trend["2026-03-13"].answered == 2                                               # P1 at 00:00, P2
    assert trend["2026-03-16"].overdue == 1 and trend["2026-03-15"].overdue == 0           # P4 from 03-16 00:00
    assert trend["2026-03-17"].overdue == 2                                                # + F1 until answered
    assert trend["2026-03-18"].overdue == 1

    row, timeline = await store.complaint(db, "P3")
    assert row is not None and row.reopened_count == 1 and not row.answered
    kinds = [e.kind for e in timeline]
    assert kinds == ["received", "routed", "clock_opened", "answered", "rated", "reopened", "deadline_changed"]
    assert "13812345678" not in str([e.detail for e in timeline])


async def test_figures_sqlite(tmp_path):
    db = await projection_db(f"sqlite+aiosqlite:///{tmp_path}/sla.db")
    try:
        await deliver(db, data_set().envelopes)
        await check_figures(db)
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_figures_postgres(postgres_url):
    db = await projection_db(postgres_url)
    try:
        await deliver(db, data_set().envelopes)
        await check_figures(db)
    finally:
        await db.dispose()


@pytest.mark.parametrize("batch", [7, 1000])
async def test_figures_from_batches_sqlite(tmp_path, batch):
    """What one fetch brings is projected in one transaction: the figures are those of one-by-one delivery."""
    db = await projection_db(f"sqlite+aiosqlite:///{tmp_path}/sla.db")
    try:
        await deliver(db, data_set().envelopes, batch=batch)
        await check_figures(db)
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("batch", [7, 1000])
async def test_figures_from_batches_postgres(postgres_url, batch):
    db = await projection_db(postgres_url)
    try:
        await deliver(db, data_set().envelopes, batch=batch)
        await check_figures(db)
    finally:
        await db.dispose()


async def test_answer_at_deadline_is_on_time_and_a_minute_later_is_late():
    due = sh("2026-03-13 00:00")
    at = ReportComplaint(complaint_id="a", due_at=due, last_answered_at=sh("2026-03-13 00:00"), answered=True)
    late = ReportComplaint(complaint_id="b", due_at=due, last_answered_at=sh("2026-03-13 00:01"), answered=True)
    assert on_time(at) and not on_time(late)


def answers_outnumber_filings() -> Feed:
    """营商环境服务中心 (center) in the period: two complaints filed (one answered), four answered — three of them filed
    in February — and one reopened in February, outside the period."""
    f = Feed()
    for cid, received, answered in (("S1", "2026-03-03 09:00", "2026-03-05 09:00"), ("S2", "2026-03-04 09:00", None),
                                    ("S3", "2026-02-20 09:00", "2026-03-02 09:00"),
                                    ("S4", "2026-02-24 09:00", "2026-03-06 09:00"),
                                    ("S5", "2026-02-26 09:00", "2026-03-09 09:00")):
        f.received(cid, sh(received))
        f.routed(cid, "center", sh(received), sh(received))
        f.clock(cid, "center", sh(received) + timedelta(days=11), at=sh(received))
        if answered:
            f.answered(cid, "center", sh(answered))
    f.received("S6", sh("2026-02-02 09:00"))
    f.routed("S6", "center", sh("2026-02-02 09:00"), sh("2026-02-02 09:00"))
    f.answered("S6", "center", sh("2026-02-10 09:00"))
    f.rated("S6", "center", sh("2026-02-11 09:00"), "dissatisfied")
    f.reopened("S6", "center", sh("2026-02-11 09:00"))
    return f


async def test_answers_in_the_period_may_outnumber_filings_but_no_rate_exceeds_100(tmp_path):
    db = await projection_db(f"sqlite+aiosqlite:///{tmp_path}/sla.db")
    try:
        await deliver(db, answers_outnumber_filings().envelopes)
        center = by_dept(await _summary(db))["center"]
        assert await _reopened(db) == []                                       # S6 reopened in February
    finally:
        await db.dispose()
    # Filed in the period: S1, S2 — of them S1 answered. Answered in the period: S1, S3, S4, S5.
    assert (center.received, center.received_answered, center.answered) == (2, 1, 4)
    assert center.completion_rate == pytest.approx(0.5)
    assert (center.open, center.reopened) == (2, 0)                            # S2 and S6, open now
    shown = views.display(center)
    assert (shown["received"], shown["received_answered"], shown["completion_rate"], shown["answered"]) == (
        "2", "1", "50.0%", "4")
    assert all(0 <= rate <= 1 for rate in rates(center))


def rates(f: figures.DepartmentFigures) -> list[float]:
    return [r for r in (f.on_time_rate, f.completion_rate, f.follow_up_rate, f.satisfaction_rate, f.reroute_rate)
            if r is not None]


DAY0 = sh("2026-02-15 00:00")
_instants = st.integers(min_value=0, max_value=40 * 24).map(lambda h: DAY0 + timedelta(hours=h))
_departments = st.sampled_from(["power", "market", "center", None])


@st.composite
def report_rows(draw) -> ReportComplaint:
    received = draw(_instants)
    answered = draw(st.booleans())
    answer_at = received + timedelta(hours=draw(st.integers(0, 30 * 24))) if answered else None
    first = draw(st.sampled_from([None, "satisfied", "basically_satisfied", "dissatisfied"])) if answered else None
    first_at = answer_at + timedelta(hours=draw(st.integers(0, 72))) if first else None
    return ReportComplaint(
        complaint_id=draw(st.uuids()).hex, received_at=received, status=draw(st.sampled_from(
            ["received", "triage", "rerouting", "routed", "claimed", "answered", "reopened", "closed"])),
        department=draw(_departments), first_department=draw(_departments), answered=answered,
        answered_department=draw(_departments), last_answered_at=answer_at,
        due_at=received + timedelta(days=draw(st.integers(1, 15))), routed_count=draw(st.integers(0, 3)),
        first_rating=first, first_rated_at=first_at, first_rating_department=draw(_departments),
        rating=first, rated_at=first_at, rating_department=draw(_departments),
        duplicate_of=draw(st.sampled_from([None, None, None, "X"])),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(report_rows(), max_size=40))
def test_no_rate_exceeds_100_percent_whatever_the_rows(rows):
    """Each rate's numerator is a part of its denominator, for every department and the total."""
    summary = figures.summarise(rows, now=NOW, period=PERIOD, calendar=CALENDAR, names=NAMES, reopened=[])
    for f in [*summary.departments, summary.total]:
        assert f.received_answered <= f.received and f.answered_on_time <= f.answered and f.rated <= f.answered
        assert f.satisfied <= f.ratings and f.rerouted <= f.routed
        assert all(0 <= rate <= 1 for rate in rates(f)), f
