"""The workbench's clocks (time left, overdue, due within a working day, working days left) and the router's reasons
as intake keeps them: pure functions on fixed instants of a known calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.pages.clocks import clocks, span, time_left, working_days_left
from services.intake.domain.reasons import candidates, condensed
from services.intake.schemas import HistoryItem
from shared.calendar import SHANGHAI, WorkingCalendar
from shared.events import RankedDepartmentV1

CALENDAR = WorkingCalendar.load()
#: Monday 2026-12-07, 10:00 in Shanghai.
MONDAY = datetime(2026, 12, 7, 10, tzinfo=SHANGHAI)


def test_time_left_in_hours_and_working_days_and_the_states():
    friday_end = datetime(2026, 12, 12, tzinfo=SHANGHAI)  # 24:00 of Friday 11 December
    assert working_days_left(friday_end, MONDAY, CALENDAR) == 5
    assert time_left(friday_end, MONDAY, CALENDAR) == ("running", "剩 4 天 14 小时，5 个工作日（含今天）")
    tuesday_end = datetime(2026, 12, 9, tzinfo=SHANGHAI)  # 24:00 of Tuesday: due within a working day
    assert time_left(tuesday_end, MONDAY, CALENDAR)[0] == "soon"
    assert time_left(tuesday_end + timedelta(minutes=1), MONDAY, CALENDAR)[0] == "running"
    assert time_left(MONDAY - timedelta(hours=26), MONDAY, CALENDAR) == ("overdue", "已超期 1 天 2 小时")
    assert time_left(friday_end, MONDAY, CALENDAR, overdue=True)[0] == "overdue"  # the SLA service said so
    saturday = datetime(2026, 12, 12, 10, tzinfo=SHANGHAI)  # a rest day: Monday's end is within a working day
    assert time_left(datetime(2026, 12, 15, tzinfo=SHANGHAI), saturday, CALENDAR) == (
        "soon", "剩 2 天 14 小时，1 个工作日")
    assert span(timedelta(minutes=59)) == "59 分钟" and span(timedelta(hours=3, minutes=5)) == "3 小时 5 分钟"


def test_a_years_calendar_unknown_gives_the_time_left_without_working_days():
    far = datetime(2099, 3, 1, tzinfo=SHANGHAI)
    assert working_days_left(far, MONDAY, CALENDAR) is None
    assert "工作日" not in time_left(far, MONDAY, CALENDAR)[1]


def _entry(action: str, **detail) -> HistoryItem:
    return HistoryItem(at=MONDAY, actor="sla", action=action, summary="", detail=detail)


def test_the_clocks_follow_the_history_opened_changed_and_stopped():
    contact = datetime(2026, 12, 9, tzinfo=SHANGHAI).isoformat()
    resolution = datetime(2026, 12, 18, tzinfo=SHANGHAI)
    history = [
        _entry("clock_opened", milestones={"contact": contact, "resolution": resolution.isoformat()}),
        _entry("deadline_changed", milestone="resolution", due_at=(resolution + timedelta(days=3)).isoformat()),
        _entry("contacted"),
    ]
    shown = clocks(history, resolution + timedelta(days=3), False, MONDAY, CALENDAR)
    assert [(k.name, k.state) for k in shown] == [("联系诉求人时限", "stopped"), ("办结时限", "running")]
    assert shown[1].deadline == "12月20日（周日）24:00 前"
    assert clocks([], None, False, MONDAY, CALENDAR) == []
    alone = clocks([], resolution, True, MONDAY, CALENDAR)
    assert [(k.name, k.state) for k in alone] == [("办结时限", "overdue")]


def test_the_routers_reasons_keep_departments_scores_and_terms_only():
    explanation = [
        {"department": "center", "role": "triage", "reason": "confidence 0.27 below the triage threshold 0.40"},
        {"department": "power", "role": "lead", "score": 0.9, "duties": "…", "evidence": 24.0,
         "terms": [{"term": "停电", "weight": 6.0}, {"term": "停电", "weight": 3.0}, {"term": "断电", "weight": 2.0}],
         "memory": [{"similar_correction": "另一件诉求的标题", "similarity": 0.9}]},
        {"department": "market", "suggested_by": "returning department"},
    ]
    assert condensed(explanation) == [
        {"department": "power", "role": "lead", "score": 0.9, "terms": ["停电", "断电"]},
        {"department": "market", "role": "suggested", "score": None, "terms": []},
    ]
    ranked = [RankedDepartmentV1(department="power", score=0.5), RankedDepartmentV1(department="tax", score=0.2)]
    assert candidates(ranked, explanation) == [
        {"department": "power", "score": 0.5, "terms": ["停电", "断电"]},
        {"department": "tax", "score": 0.2, "terms": []},
    ]
