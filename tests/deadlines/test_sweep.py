"""Deadlines opened by the workflow, and the sweep through a simulated fortnight."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from qiservice.deadlines import service
from qiservice.deadlines.models import Deadline, DeadlinePolicy
from qiservice.demands import workflow
from qiservice.notifications.models import Notification

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day, hour=9):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def register(world, **kwargs):
    data = {
        "enterprise": world.ent_jimei,
        "categories": ["metrology"],
        "source": "phone",
        "contact_name": "张经理",
        "contact_phone": "13800001111",
        "description": "计量器具校准",
    }
    data.update(kwargs)
    return workflow.register_demand(by=world.people.specialist, **data)


def test_entering_a_stage_stores_its_due_date_and_a_policy_change_applies_afterwards(world):
    with time_machine.travel(at(dt.date(2026, 9, 24)), tick=False):
        demand = register(world)
        workflow.start_preparation(demand, by=world.people.specialist)
    deadline = Deadline.objects.get(demand=demand, stage="preparation")
    # Thursday 24 Sep + 5 working days, across the Mid-Autumn Festival (Friday 25 Sep) and
    # National Day (1–7 Oct): 28, 29, 30 Sep, 8, 9 Oct.
    assert (deadline.started_on, deadline.due_on, deadline.remind_on) == (
        dt.date(2026, 9, 24),
        dt.date(2026, 10, 9),
        dt.date(2026, 10, 8),
    )
    DeadlinePolicy.objects.filter(stage="preparation").update(working_days=2)
    deadline.refresh_from_db()
    assert deadline.due_on == dt.date(2026, 10, 9), "a stage already entered keeps its due date"
    with time_machine.travel(at(dt.date(2026, 9, 25)), tick=False):
        other = register(world)
        workflow.start_preparation(other, by=world.people.specialist)
    assert Deadline.objects.get(demand=other, stage="preparation").due_on == dt.date(2026, 9, 29)


def test_registration_entered_late_is_recorded(world):
    with time_machine.travel(at(dt.date(2026, 11, 25)), tick=False):
        demand = register(world, collected_on=dt.date(2026, 11, 16))
    deadline = Deadline.objects.get(demand=demand, stage="registration")
    assert deadline.due_on == dt.date(2026, 11, 18)
    assert deadline.met_at is not None
    assert deadline.overdue_working_days == 5  # 19, 20, 23, 24, 25 Nov


def test_the_sweep_over_a_fortnight_sends_each_alert_once_on_the_right_working_day(world):
    specialist, officer = world.people.specialist, world.people.officer_jimei
    with time_machine.travel(at(dt.date(2026, 9, 24)), tick=False):
        demand = register(world)
        workflow.start_preparation(demand, by=specialist)

    sent = {}
    day = dt.date(2026, 9, 24)
    while day <= dt.date(2026, 10, 14):
        for hour in (9, 9, 15):  # the sweep runs several times a day: nothing goes out twice
            with time_machine.travel(at(day, hour), tick=False):
                service.sweep()
        rows = Notification.objects.filter(created_at__date=day).order_by("pk")
        if rows:
            sent[day] = sorted((n.user.username, n.kind) for n in rows)
        day += dt.timedelta(days=1)

    assert sent == {
        dt.date(2026, 10, 8): [("sp_jimei", "reminder")],  # one working day before the 9th
        # The first working day after the due date is Saturday 10 Oct, worked in exchange.
        dt.date(2026, 10, 10): [(officer.username, "overdue"), ("sp_jimei", "overdue")],
    }
    deadline = Deadline.objects.get(demand=demand, stage="preparation")
    assert deadline.overdue_working_days == 4  # 10 (Saturday worked), 12, 13, 14 Oct
    assert deadline.overdue_alerted_at is not None and deadline.reminded_at is not None


def test_meeting_the_stage_stops_its_alerts_and_keeps_the_lateness(world):
    with time_machine.travel(at(dt.date(2026, 11, 2)), tick=False):
        demand = register(world)
        workflow.start_preparation(demand, by=world.people.specialist)
    with time_machine.travel(at(dt.date(2026, 11, 12)), tick=False):
        workflow.save_preparation(
            demand, by=world.people.specialist, plan_notes="计划", content={"metrology": "校准"}, risks={}
        )
        workflow.confirm(demand, by=world.people.specialist, mode="direct", reason="可直接服务")
    deadline = Deadline.objects.get(demand=demand, stage="preparation")
    assert deadline.met_at is not None
    assert deadline.overdue_working_days == 3  # due 9 Nov; met on the 12th
    assert Deadline.objects.get(demand=demand, stage="agreement").met_at is None
    with time_machine.travel(at(dt.date(2026, 11, 13)), tick=False):
        service.sweep()
    assert not Notification.objects.filter(kind="overdue").exists()


def test_terminal_states_cancel_open_deadlines(world):
    demand = register(world)
    workflow.start_preparation(demand, by=world.people.specialist)
    workflow.cancel(demand, by=world.people.admin, reason="企业已迁出厦门")
    assert not Deadline.objects.open().filter(demand=demand).exists()


def test_a_broken_deadline_does_not_stop_the_sweep(world, monkeypatch):
    with time_machine.travel(at(dt.date(2026, 9, 24)), tick=False):
        first, second = register(world), register(world)
        workflow.start_preparation(first, by=world.people.specialist)
        workflow.start_preparation(second, by=world.people.specialist)
    real = service.responsible_users

    def flaky(deadline):
        if deadline.demand_id == first.pk:
            raise RuntimeError("boom")
        return real(deadline)

    monkeypatch.setattr(service, "responsible_users", flaky)
    with time_machine.travel(at(dt.date(2026, 10, 8)), tick=False):
        assert service.sweep() == 1
    assert Deadline.objects.get(demand=second, stage="preparation").reminded_at is not None
    assert Deadline.objects.get(demand=first, stage="preparation").reminded_at is None, "retried next run"


@pytest.mark.parametrize("day", [dt.date(2026, 10, 3), dt.date(2026, 11, 28)])
def test_nothing_is_sent_on_holidays_or_weekends(world, day):
    with time_machine.travel(at(dt.date(2026, 9, 1)), tick=False):
        workflow.start_preparation(register(world), by=world.people.specialist)
    with time_machine.travel(at(day), tick=False):
        assert service.sweep() == 0
