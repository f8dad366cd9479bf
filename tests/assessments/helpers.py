"""A small, hand-countable record of two specialists' work in 2025, for the indicators.

Everything is built row by row with known dates (Asia/Shanghai), so each expected figure
in the tests can be counted by hand from this file."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from qiservice.deadlines import service as deadline_service
from qiservice.deadlines.choices import DayKind, Stage
from qiservice.deadlines.models import Deadline, Holiday
from qiservice.demands import workflow
from qiservice.demands.choices import AssignmentStatus, CaseStatus, DemandStatus
from qiservice.demands.models import Assignment, Demand, TypicalCase
from qiservice.evaluations.models import Evaluation
from qiservice.specialists.models import Training, TrainingAttendance

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date

DEMAND = {
    "categories": ["metrology"],
    "source": "onsite",
    "contact_name": "张经理",
    "contact_phone": "13800001111",
    "description": "需要校准三坐标测量机。",
}


def at(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def demand(world, *, by, enterprise=None, registered_on, specialist=None, status=None, closed_at=None):
    d = workflow.register_demand(by=by, enterprise=enterprise or world.ent_jimei, **DEMAND)
    fields = {
        "registered_on": registered_on,
        "registered_at": at(registered_on.year, registered_on.month, registered_on.day),
    }
    if specialist is not None:
        fields["specialist"] = specialist
    if status is not None:
        fields["status"] = status
    if closed_at is not None:
        fields["closed_at"] = closed_at
    Demand.objects.filter(pk=d.pk).update(**fields)
    d.refresh_from_db()
    return d


def deadline(d, stage, due_on, *, met_at=None, cancelled=False):
    row = Deadline.objects.create(
        demand=d, stage=stage, started_on=due_on - datetime.timedelta(days=7), working_days=5, due_on=due_on
    )
    if met_at is not None:
        deadline_service.meet(d, stage, at=met_at)  # stores the working days late, by the calendar
    if cancelled:
        Deadline.objects.filter(pk=row.pk).update(cancelled_at=at(2025, 10, 1))
    row.refresh_from_db()
    return row


def evaluate(d, specialist, score, submitted_at):
    """An evaluation with every item rated `score` (total 5 × score) … or a dict."""
    items = (
        score
        if isinstance(score, dict)
        else dict.fromkeys(("conduct", "attitude", "competence", "timeliness", "result"), score)
    )
    return Evaluation.objects.create(
        demand=d, specialist=specialist, channel="paper", submitted_at=submitted_at, **items
    )


def national_day_2025():
    """2025 National Day: 1–8 October off, Saturday 11 October worked (调休)."""
    for day in range(1, 9):
        Holiday.objects.update_or_create(date=D(2025, 10, day), defaults={"kind": DayKind.HOLIDAY, "name": "国庆节"})
    Holiday.objects.update_or_create(date=D(2025, 10, 11), defaults={"kind": DayKind.WORKDAY, "name": "国庆节"})


def build_2025(world):
    """The 2025 record of 王建华 (sp_jimei) and 陈丽 (sp_siming). Returns the demands."""
    national_day_2025()
    sp, people = world.sp_jimei, world.people
    closed = DemandStatus.CLOSED
    # collected (registered by 王建华 in 2025): d1, d4 → 2; d2 was registered in 2024, d3 in 2026.
    # closed in 2025 with 王建华 responsible: d1, d2, d5 → 3; d3 closed in 2026.
    d1 = demand(world, by=people.specialist, registered_on=D(2025, 3, 15), status=closed, closed_at=at(2025, 11, 20))
    d2 = demand(world, by=people.specialist, registered_on=D(2024, 12, 20), status=closed, closed_at=at(2025, 1, 10))
    d3 = demand(world, by=people.specialist, registered_on=D(2026, 1, 5), status=closed, closed_at=at(2026, 1, 20))
    d4 = demand(world, by=people.specialist, registered_on=D(2025, 12, 1), status=DemandStatus.IN_SERVICE)
    d5 = demand(
        world,
        by=people.officer_jimei,
        registered_on=D(2025, 5, 6),
        specialist=sp,
        status=closed,
        closed_at=at(2025, 12, 31, 23, 30),  # 23:30 in Xiamen is still 2025 (15:30 UTC)
    )
    # 陈丽 registered one demand of 思明 in 2025 and nothing else.
    demand(world, by=people.specialist_siming, enterprise=world.ent_siming, registered_on=D(2025, 7, 1))

    # Deadlines due in 2025 (reference day 2025-12-31):
    deadline(d1, Stage.REGISTRATION, D(2025, 3, 18), met_at=at(2025, 3, 15))  # on time
    deadline(d1, Stage.PREPARATION, D(2025, 10, 10), met_at=at(2025, 10, 10, 17))  # on time, the same day
    # due Tue 30 Sep, met Thu 9 Oct: 1–8 Oct are the holiday, so 1 working day late (7 by weekdays).
    deadline(d1, Stage.AGREEMENT, D(2025, 9, 30), met_at=at(2025, 10, 9))
    # still open, due Mon 29 Dec: late by 30 and 31 Dec = 2 working days at the period's end.
    deadline(d4, Stage.SUMMARY, D(2025, 12, 29))
    deadline(d4, Stage.PREPARATION, D(2025, 12, 31))  # due on the last day, not late yet: not counted
    deadline(d5, Stage.ESCALATION, D(2025, 6, 2), cancelled=True)  # cancelled: not counted
    deadline(d1, Stage.DISPATCH_ACCEPTANCE, D(2025, 5, 5), met_at=at(2025, 5, 20))  # the institution's: not counted
    deadline(d2, Stage.SUMMARY, D(2024, 12, 30), met_at=at(2025, 1, 8))  # due in 2024: not counted

    # Evaluations submitted in 2025: d1 40, d5 30 → mean 35.0 of 2; d4 has none (left out);
    # d2's (50) was submitted at 00:30 on 1 January 2026 in Xiamen (still 2025 in UTC).
    evaluate(d1, sp, {"conduct": 10, "attitude": 8, "competence": 8, "timeliness": 6, "result": 8}, at(2025, 11, 25))
    evaluate(d5, sp, 6, at(2025, 12, 31, 23, 30))
    evaluate(d2, sp, 10, at(2026, 1, 1, 0, 30))

    # Typical cases: d1 approved in 2025 (counts), d2 returned, d5 only nominated.
    case = {"highlights": "成效显著", "masked_enterprise": "某精密机械企业", "nominated_by": people.specialist}
    TypicalCase.objects.create(
        demand=d1, title="案例一", status=CaseStatus.APPROVED, reviewed_at=at(2025, 12, 1), **case
    )
    TypicalCase.objects.create(
        demand=d2, title="案例二", status=CaseStatus.RETURNED, reviewed_at=at(2025, 11, 1), **case
    )
    TypicalCase.objects.create(demand=d5, title="案例三", **case)

    # Training: 4.5 h in June and 6 h in November 2025 → 10.5; 8 h in December 2024 not counted.
    for held_on, hours in ((D(2025, 6, 10), "4.5"), (D(2025, 11, 3), "6"), (D(2024, 12, 20), "8")):
        training = Training.objects.create(
            title=f"培训{held_on}",
            form="centralized",
            held_on=held_on,
            hours=Decimal(hours),
            organiser="管理中心",
            created_by=people.admin,
        )
        TrainingAttendance.objects.create(
            training=training, specialist=sp, hours=Decimal(hours), recorded_by=people.admin
        )

    # Assignments: one declined in 2025 (counts), one declined in 2024, one accepted.
    for responded_at, status in (
        (at(2025, 8, 1), AssignmentStatus.DECLINED),
        (at(2024, 11, 1), AssignmentStatus.DECLINED),
        (at(2025, 8, 2), AssignmentStatus.ACCEPTED),
    ):
        Assignment.objects.create(
            demand=d4, specialist=sp, status=status, assigned_by=people.admin, responded_at=responded_at, reason="忙"
        )
    return {"d1": d1, "d2": d2, "d3": d3, "d4": d4, "d5": d5}


EXPECTED_JIMEI_2025 = {
    "collected": 2,
    "closed": 3,
    "deadlines_due": 4,
    "deadlines_on_time": 2,
    "on_time_by_stage": {"registration": [1, 1], "preparation": [1, 1], "agreement": [0, 1], "summary": [0, 1]},
    "overdue_days": 3,
    "evaluations": 2,
    "satisfaction_mean": 35.0,
    "cases_approved": 1,
    "training_hours": 10.5,
    "training_hours_year": 10.5,
    "training_required": 16,
    "training_required_to_date": 16.0,
    "declined": 1,
    "complaints": 0,
}
