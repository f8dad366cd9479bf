"""The dashboard's counters (reports/counters.py) are kept by database triggers: whatever
writes demands, dispatches and deadlines — the ORM, queryset updates, deletes, raw SQL —
the counters equal a recount from the records. The random walk through the real workflow
(tests/demands/test_state_machine_property.py) checks the same after every step."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from qiservice.deadlines.models import Deadline
from qiservice.demands.choices import DemandStatus, DispatchStatus
from qiservice.demands.models import Demand, DemandCategory, Dispatch, Escalation
from qiservice.evaluations.models import Evaluation
from qiservice.reports import counters, stats
from qiservice.reports.models import (
    CategoryCount,
    DeadlineCount,
    DemandOpenDue,
    DispatchDayCount,
    EvaluationDayCount,
    InstitutionLoad,
    OpenDueCount,
    SpecialistLoad,
)
from qiservice.reports.periods import parse_period
from qiservice.reports.tasks import check_counters

from .conftest import deadline, dispatch, evaluate, local, make_demand

STATUSES = DemandStatus.values
# The last day is in another month, so moves cross between month counter rows too.
DAYS = [datetime.date(2025, 10, 9), datetime.date(2025, 10, 10), datetime.date(2025, 11, 20)]


def operations():
    """One write of any kind on the counted tables, as (name, numbers to pick targets with)."""
    pick = st.integers(0, 1000)
    return st.one_of(
        st.tuples(st.just("new demand"), st.sampled_from(STATUSES), pick, pick),
        st.tuples(st.just("set status"), st.sampled_from(STATUSES), pick, pick),
        st.tuples(st.just("set specialist"), pick, pick, pick),
        st.tuples(st.just("delete demand"), pick, pick, pick),
        st.tuples(st.just("dispatch"), st.sampled_from(DispatchStatus.values), pick, pick),
        st.tuples(st.just("answer dispatch"), st.sampled_from(DispatchStatus.values), pick, pick),
        st.tuples(st.just("move dispatch"), pick, pick, pick),
        st.tuples(st.just("delete dispatch"), pick, pick, pick),
        st.tuples(st.just("deadline"), st.sampled_from(["preparation", "agreement", "summary"]), pick, pick),
        st.tuples(st.just("meet deadline"), pick, pick, pick),
        st.tuples(st.just("reopen deadline"), pick, pick, pick),
        st.tuples(st.just("move due date"), pick, pick, pick),
        st.tuples(st.just("cancel all (queryset update)"), pick, pick, pick),
        st.tuples(st.just("delete deadline"), pick, pick, pick),
        st.tuples(st.just("tick category"), pick, pick, pick),
        st.tuples(st.just("untick category"), pick, pick, pick),
        st.tuples(st.just("set source"), st.sampled_from(["onsite", "phone", "web", "other"]), pick, pick),
        st.tuples(st.just("evaluate"), pick, pick, pick),
        st.tuples(st.just("rate again"), pick, pick, pick),
        st.tuples(st.just("delete evaluation"), pick, pick, pick),
        st.tuples(st.just("redate dispatch"), pick, pick, pick),
    )


class TestTriggers(TestCase):
    """Each example runs in its own transaction, rolled back afterwards."""

    def setUp(self):
        from tests.conftest import build_world

        self.world = build_world()

    def nth(self, queryset, n):
        rows = list(queryset.order_by("pk"))
        return rows[n % len(rows)] if rows else None

    def apply(self, op):
        w = self.world
        name, a, b, c = op
        specialists = [None, w.sp_jimei, w.sp_siming]
        districts = [w.jimei, w.siming, w.huli]
        institutions = [w.metrology, w.testing]
        categories = [["metrology"], ["metrology", "standardization"], []]
        if name == "new demand":
            make_demand(
                w,
                Demand.objects.count() + 1,
                districts[b % 3],
                "onsite",
                a,
                categories[b % 3],
                DAYS[c % 3],
                specialists[c % 3],
            )
        elif name == "set status" and (demand := self.nth(Demand.objects, b)):
            Demand.objects.filter(pk=demand.pk).update(status=a)
        elif name == "set specialist" and (demand := self.nth(Demand.objects, a)):
            demand.specialist = specialists[b % 3]
            demand.save()  # every column, as a plain save does
        elif name == "delete demand" and (demand := self.nth(Demand.objects, a)):
            Evaluation.objects.filter(demand=demand).delete()  # protected: goes first
            demand.delete()
        elif name == "dispatch" and (demand := self.nth(Demand.objects, b)):
            dispatch(demand, institutions[c % len(institutions)], a, local(2025, 10, 9), w.people.admin)
        elif name == "answer dispatch" and (row := self.nth(Dispatch.objects, b)):
            row.status = a
            row.save(update_fields=["status"])
        elif name == "move dispatch" and (row := self.nth(Dispatch.objects, a)):
            Dispatch.objects.filter(pk=row.pk).update(institution=institutions[b % len(institutions)])
            if c % 2 and (other := self.nth(Demand.objects, c)):
                escalation = Escalation.objects.create(
                    demand=other, reason="r", needs="n", reported_by=w.people.admin, reported_at=local(2025, 10, 9)
                )
                Dispatch.objects.filter(pk=row.pk).update(escalation=escalation)
        elif name == "delete dispatch" and (row := self.nth(Dispatch.objects, a)):
            row.delete()
        elif name == "deadline" and (demand := self.nth(Demand.objects, b)):
            deadline(demand, a, DAYS[c % 3])
        elif name == "meet deadline" and (row := self.nth(Deadline.objects, a)):
            # On the due date late in the evening (on time by the local date), or the next day.
            row.met_at = local(row.due_on.year, row.due_on.month, row.due_on.day, 23, 30) + datetime.timedelta(
                days=b % 2
            )
            row.save()
        elif name == "reopen deadline" and (row := self.nth(Deadline.objects, a)):
            Deadline.objects.filter(pk=row.pk).update(met_at=None, cancelled_at=None)
        elif name == "move due date" and (row := self.nth(Deadline.objects, a)):
            Deadline.objects.filter(pk=row.pk).update(due_on=DAYS[b % 3])
        elif name == "cancel all (queryset update)" and (demand := self.nth(Demand.objects, a)):
            Deadline.objects.filter(demand=demand, met_at__isnull=True).update(cancelled_at=local(2025, 10, 31))
        elif name == "delete deadline" and (row := self.nth(Deadline.objects, a)):
            row.delete()
        elif name == "tick category" and (demand := self.nth(Demand.objects, a)):
            DemandCategory.objects.get_or_create(demand=demand, category=["other", "metrology"][b % 2])
        elif name == "untick category" and (row := self.nth(DemandCategory.objects, a)):
            row.delete()
        elif name == "set source" and (demand := self.nth(Demand.objects, b)):
            Demand.objects.filter(pk=demand.pk).update(source=a)
        elif name == "evaluate" and (demand := self.nth(Demand.objects.filter(evaluation__isnull=True), a)):
            # Late in the evening local time: the UTC date is the day before.
            evaluate(demand, [10, 8, 6, 10, b % 11], local(2025, 10, 9 + c % 3, 23, 30))
        elif name == "rate again" and (row := self.nth(Evaluation.objects, a)):
            row.conduct, row.total = 0, row.total - row.conduct
            row.save()
        elif name == "delete evaluation" and (row := self.nth(Evaluation.objects, a)):
            row.delete()
        elif name == "redate dispatch" and (row := self.nth(Dispatch.objects, a)):
            Dispatch.objects.filter(pk=row.pk).update(dispatched_at=local(2025, 10, 1 + b % 20, 23, 50))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operations(), min_size=1, max_size=25))
    def test_counters_equal_a_recount_after_any_writes(self, ops):
        for op in ops:
            self.apply(op)
            note(op)
            assert counters.check() == {}
        assert not SpecialistLoad.objects.filter(open_demands__lt=0).exists()
        assert not InstitutionLoad.objects.filter(pending__lt=0).exists()
        assert not DeadlineCount.objects.filter(n__lt=0).exists()
        assert not OpenDueCount.objects.filter(n__lt=0).exists()
        assert not CategoryCount.objects.filter(n__lt=0).exists()


@pytest.mark.django_db
def test_counters_hold_the_hand_computed_figures(data, world):
    """The small data set of test_figures: the counters hold exactly its open figures."""
    assert counters.check() == {}
    held = counters.stored()
    assert held["reports_specialistload"] == counters.recount()["reports_specialistload"]
    # Some rows of every table are counted (the data set has open demands, live dispatches
    # and open deadlines), so the comparison above is not between empty tables.
    assert all(held[table] for table in held), held


@pytest.mark.django_db
def test_a_wrong_counter_is_found_and_rebuilt(data, world, caplog):
    SpecialistLoad.objects.update(open_demands=99)
    DemandOpenDue.objects.all().delete()
    CategoryCount.objects.update(n=7)
    wrong = counters.check()
    assert set(wrong) == {"reports_specialistload", "reports_demandopendue", "reports_categorycount"}
    with pytest.raises(CommandError, match="--repair"):
        call_command("check_counters")
    assert check_counters.call_local() == {
        table: len(rows) for table, rows in wrong.items()
    }  # the nightly task rebuilds and says how much was wrong
    assert "differ" in caplog.text
    assert counters.check() == {}
    call_command("check_counters")  # matches now: no error


@pytest.mark.django_db(transaction=True)
def test_bulk_writes_without_triggers_are_recounted(world):
    """A bulk loader suspends the triggers and the counters are rebuilt once at the end."""
    with counters.suspended():
        demand = make_demand(world, 1, world.jimei, "onsite", "in_service", [], DAYS[0], world.sp_jimei)
        deadline(demand, "agreement", DAYS[1])
        assert not SpecialistLoad.objects.filter(open_demands__gt=0).exists()  # no trigger ran
    assert SpecialistLoad.objects.get(pk=world.sp_jimei.pk).open_demands == 1
    assert DemandOpenDue.objects.get(demand_id=demand.pk).due_on == DAYS[1]
    # The triggers are back.
    Demand.objects.filter(pk=demand.pk).update(status="closed")
    assert SpecialistLoad.objects.get(pk=world.sp_jimei.pk).open_demands == 0
    assert counters.check() == {}


@pytest.mark.django_db
def test_dashboard_now_figures_come_from_the_counters(data, world):
    """The dashboard reads the counters: change a counter by hand and the figure follows (so
    the page does not scan the open rows), and the figures equal a direct count."""
    view = stats.View(district_ids=None)
    period = parse_period({"period": "custom", "from": "2025-09-01", "to": "2025-10-31"})
    today = datetime.date(2025, 11, 3)
    figures = stats.dashboard(view, period, today=today)
    direct_overdue = (
        Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True, due_on__lt=today)
        .values("demand_id")
        .distinct()
        .count()
    )
    assert figures["overdue"]["count"] == direct_overdue
    open_total = Demand.objects.exclude(status__in=["closed", "withdrawn", "cancelled"]).filter(
        specialist__status="active"
    )
    assert figures["specialists"]["open_total"] == open_total.exclude(specialist=None).count()

    SpecialistLoad.objects.filter(pk=world.sp_jimei.pk).update(open_demands=40)
    changed = stats.dashboard(view, period, today=today)
    assert changed["specialists"]["busiest"][0]["name"] == world.sp_jimei.name
    assert changed["specialists"]["busiest"][0]["open"] == 40


def test_the_triggers_exist_on_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'qi_cnt_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'qi_cnt_%'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {name for name, *_rest in counters.triggers(connection.vendor)}


@pytest.mark.django_db
def test_closing_and_reopening_a_demand_moves_its_live_dispatches(world):
    demand = make_demand(world, 1, world.jimei, "onsite", "dispatched", [], DAYS[0], world.sp_jimei)
    dispatch(demand, world.metrology, "pending", local(2025, 10, 9), world.people.admin)
    dispatch(demand, world.testing, "accepted", local(2025, 10, 9), world.people.admin)
    dispatch(demand, world.testing, "declined", local(2025, 10, 9), world.people.admin)

    def load():
        return {
            (row.institution_id, row.district_id): (row.pending, row.active)
            for row in InstitutionLoad.objects.exclude(pending=0, active=0)
        }

    live = {(world.metrology.pk, world.jimei.pk): (1, 0), (world.testing.pk, world.jimei.pk): (0, 1)}
    assert load() == live
    Demand.objects.filter(pk=demand.pk).update(status="cancelled")
    assert load() == {}
    Demand.objects.filter(pk=demand.pk).update(status="in_service")  # reopened (by the admin)
    assert load() == live
    assert counters.check() == {}


@pytest.mark.django_db
def test_evaluations_and_dispatches_are_counted_per_local_day(world):
    demand = make_demand(world, 1, world.jimei, "onsite", "evaluated", [], DAYS[0], world.sp_jimei)
    # 23:30 in Xiamen on 10-09 is 15:30 UTC: the local day counts.
    row = evaluate(demand, [10, 8, 6, 10, 8], local(2025, 10, 9, 23, 30))
    sent = dispatch(demand, world.metrology, "accepted", local(2025, 10, 9, 23, 50), world.people.admin)
    day = EvaluationDayCount.objects.get()
    assert (day.submitted_on, day.district_id, day.n, day.total, day.result) == (
        datetime.date(2025, 10, 9),
        world.jimei.pk,
        1,
        42,
        8,
    )
    assert DispatchDayCount.objects.get(n=1).dispatched_on == datetime.date(2025, 10, 9)
    row.result, row.total = 0, 34
    row.save()
    assert EvaluationDayCount.objects.get().total == 34
    Dispatch.objects.filter(pk=sent.pk).update(status="declined")
    assert DispatchDayCount.objects.get(n=1).status == "declined"
    row.delete()
    assert EvaluationDayCount.objects.get().n == 0
    assert counters.check() == {}
