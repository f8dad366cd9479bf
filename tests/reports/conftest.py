"""A small data set whose every figure was worked out by hand (see the numbers in
test_figures.py): demands of 2025-09 and 2025-10 in 集美, 思明 and 湖里, deadlines met on time,
late and overdue around the 2025 National Day holiday, and three evaluations.

The period reported is the custom period 2025-09-01 … 2025-10-31 (QUERY)."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from qiservice.deadlines import calendar
from qiservice.deadlines.models import Deadline, Holiday
from qiservice.demands.models import Demand, DemandCategory, Dispatch, Escalation
from qiservice.evaluations.models import Evaluation

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUERY = "period=custom&from=2025-09-01&to=2025-10-31"


def local(y, m, d, hh=10, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def national_day_2025():
    """国庆/中秋 2025: 10-01 … 10-08 off; Sunday 09-28 and Saturday 10-11 worked (the seeded
    calendar has them; they are written here so the test does not depend on the seed)."""
    for day in range(1, 9):
        Holiday.objects.update_or_create(
            date=datetime.date(2025, 10, day), defaults={"kind": "holiday", "name": "国庆节、中秋节"}
        )
    for date in (datetime.date(2025, 9, 28), datetime.date(2025, 10, 11)):
        Holiday.objects.update_or_create(date=date, defaults={"kind": "workday", "name": "国庆节调休"})


def make_demand(world, n, district, source, status, categories, registered_on, specialist=None):
    enterprise = {"集美区": world.ent_jimei, "思明区": world.ent_siming, "湖里区": world.ent_huli}[district.name]
    demand = Demand.objects.create(
        number=f"QI-TEST-{n:04d}",
        enterprise=enterprise,
        district=district,
        address="厦门市",
        source=source,
        contact_name="联系人",
        contact_phone="13800000000",
        description=f"测试需求{n}",
        collected_on=registered_on,
        registered_on=registered_on,
        registered_at=local(registered_on.year, registered_on.month, registered_on.day),
        registered_by=world.people.admin,
        status=status,
        specialist=specialist,
    )
    DemandCategory.objects.bulk_create(DemandCategory(demand=demand, category=c) for c in categories)
    return demand


def deadline(demand, stage, due_on, *, met_at=None, cancelled=False):
    return Deadline.objects.create(
        demand=demand,
        stage=stage,
        started_on=due_on - datetime.timedelta(days=5),
        working_days=3,
        due_on=due_on,
        met_at=met_at,
        cancelled_at=local(2025, 10, 31) if cancelled else None,
    )


def evaluate(demand, ratings, submitted_at):
    conduct, attitude, competence, timeliness, result = ratings
    return Evaluation.objects.create(
        demand=demand,
        specialist=demand.specialist,
        conduct=conduct,
        attitude=attitude,
        competence=competence,
        timeliness=timeliness,
        result=result,
        total=sum(ratings),
        channel="paper",
        submitted_at=submitted_at,
    )


def dispatch(demand, institution, status, at, by):
    escalation = Escalation.objects.filter(demand=demand).first() or Escalation.objects.create(
        demand=demand, reason="需要协助", needs="检测", reported_by=by, reported_at=at
    )
    return Dispatch.objects.create(
        escalation=escalation, institution=institution, status=status, dispatched_by=by, dispatched_at=at
    )


@pytest.fixture
def data(world):
    national_day_2025()
    jimei, siming, huli = world.jimei, world.siming, world.huli
    sp_j, sp_s = world.sp_jimei, world.sp_siming
    d = SimpleNamespace()
    d.d1 = make_demand(
        world, 1, jimei, "onsite", "closed", ["metrology", "standardization"], datetime.date(2025, 9, 10), sp_j
    )
    d.d2 = make_demand(world, 2, jimei, "phone", "in_service", ["metrology"], datetime.date(2025, 9, 20), sp_j)
    d.d3 = make_demand(world, 3, jimei, "web", "withdrawn", ["quality_management"], datetime.date(2025, 10, 5))
    d.d4 = make_demand(
        world, 4, siming, "phone", "evaluated", ["inspection_testing"], datetime.date(2025, 10, 15), sp_s
    )
    d.d5 = make_demand(
        world,
        5,
        siming,
        "onsite",
        "service_ended",
        ["inspection_testing", "metrology"],
        datetime.date(2025, 10, 20),
        sp_s,
    )
    d.d6 = make_demand(world, 6, huli, "other", "registered", ["other"], datetime.date(2025, 10, 30))
    # Outside the period (registered the day before and the day after it).
    d.d7 = make_demand(world, 7, jimei, "onsite", "closed", ["metrology"], datetime.date(2025, 8, 31), sp_j)
    d.d8 = make_demand(world, 8, siming, "phone", "in_service", ["metrology"], datetime.date(2025, 11, 1), sp_s)

    # A stage entered on 2025-09-30 with 3 working days is due on Saturday 10-11 (a make-up
    # working day), not 10-03: the holiday moves it.
    d.holiday_due = calendar.add_working_days(datetime.date(2025, 9, 30), 3).day
    deadline(d.d1, "preparation", d.holiday_due, met_at=local(2025, 10, 10))  # on time
    deadline(d.d1, "agreement", datetime.date(2025, 9, 15), met_at=local(2025, 9, 16))  # late
    deadline(d.d2, "preparation", d.holiday_due, met_at=local(2025, 10, 11, 23, 30))  # on time (local date)
    deadline(d.d4, "preparation", d.holiday_due, met_at=local(2025, 10, 12, 0, 30))  # late (10-11 in UTC)
    deadline(d.d5, "summary", datetime.date(2025, 10, 24))  # open: overdue
    deadline(d.d6, "registration", datetime.date(2025, 10, 31), cancelled=True)  # counts nowhere
    deadline(d.d2, "agreement", datetime.date(2025, 11, 5))  # due after the period; overdue now

    evaluate(d.d1, (10, 8, 8, 6, 10), local(2025, 10, 1))  # 42
    evaluate(d.d4, (10, 10, 10, 8, 8), local(2025, 10, 20))  # 46
    evaluate(d.d7, (6, 6, 6, 0, 6), local(2025, 9, 5))  # 24: registered before, evaluated in the period
    # d5 has ended its service without an evaluation: not in the mean.

    admin = world.people.admin
    dispatch(d.d5, world.metrology, "accepted", local(2025, 10, 21), admin)
    dispatch(d.d5, world.testing, "declined", local(2025, 10, 21), admin)
    dispatch(d.d2, world.metrology, "pending", local(2025, 9, 25), admin)
    return d
