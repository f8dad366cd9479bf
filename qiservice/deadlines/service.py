"""Deadlines of demand stages: opened when a stage is entered, met when it is left,
swept on a schedule for reminders and overdue alerts.

The demand rules call `on_register`, `on_transition` and `meet`; the queue calls `sweep`.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import calendar
from .choices import DEFAULT_POLICIES, Stage
from .models import Deadline, DeadlinePolicy

logger = logging.getLogger("qiservice.deadlines")


def ensure_policies():
    for stage, (days, remind) in DEFAULT_POLICIES.items():
        DeadlinePolicy.objects.get_or_create(stage=stage, defaults={"working_days": days, "remind_days_before": remind})


def subtract_working_days(day, days):
    while days > 0:
        day -= datetime.timedelta(days=1)
        if calendar.is_working_day(day):
            days -= 1
    return day


def open_deadline(demand, stage, started_on=None):
    """Compute and store the due date of a stage the demand enters now."""
    policy = DeadlinePolicy.objects.filter(stage=stage, is_active=True).first()
    if policy is None:
        return None
    started_on = started_on or timezone.localdate()
    due = calendar.add_working_days(started_on, policy.working_days)
    remind_on = subtract_working_days(due.day, policy.remind_days_before) if policy.remind_days_before else None
    return Deadline.objects.create(
        demand=demand,
        stage=stage,
        started_on=started_on,
        working_days=policy.working_days,
        due_on=due.day,
        remind_on=remind_on,
        computed_on_weekends_only=due.fallback,
    )


def meet(demand, stage, at=None):
    """The stage is done: close its open deadline and keep how late it was."""
    at = at or timezone.now()
    for deadline in Deadline.objects.open().filter(demand=demand, stage=stage):
        deadline.met_at = at
        deadline.overdue_working_days = calendar.working_days_between(deadline.due_on, timezone.localdate(at))
        deadline.save(update_fields=["met_at", "overdue_working_days"])


def cancel_all(demand, at=None):
    Deadline.objects.open().filter(demand=demand).update(cancelled_at=at or timezone.now())


def on_register(demand):
    """8.1.3 — the registration's own limit counts from the day the demand was collected."""
    deadline = open_deadline(demand, Stage.REGISTRATION, started_on=demand.collected_on)
    if deadline is not None:
        meet(demand, Stage.REGISTRATION, at=demand.registered_at)


# Which stage a status enters, and which stages leaving it meets.
ENTERS = {
    "preparing": [Stage.PREPARATION],
    "dispatched": [Stage.DISPATCH_ACCEPTANCE],
    "accepted": [Stage.AGREEMENT],
    "service_ended": [Stage.SUMMARY, Stage.EVALUATION],
}
MEETS = {
    "confirmed": [Stage.PREPARATION],
    "escalated": [Stage.ESCALATION, Stage.DISPATCH_ACCEPTANCE],
    "accepted": [Stage.DISPATCH_ACCEPTANCE],
    "agreement_signed": [Stage.AGREEMENT],
    "summary_submitted": [Stage.SUMMARY],
    "evaluated": [Stage.SUMMARY],
}
TERMINAL = {"closed", "withdrawn", "cancelled"}


def on_transition(demand, from_status, to_status):
    for stage in MEETS.get(to_status, []):
        meet(demand, stage)
    if to_status in TERMINAL:
        cancel_all(demand)
        return
    stages = list(ENTERS.get(to_status, []))
    if to_status == "confirmed":
        # 8.4.2 a escalation counts from confirmation; a direct service signs an agreement.
        stages.append(Stage.ESCALATION if demand.service_mode == "assisted" else Stage.AGREEMENT)
    for stage in stages:
        open_deadline(demand, stage)


# --- the sweep ---------------------------------------------------------------------------


def responsible_users(deadline):
    """Who must act before this deadline."""
    from qiservice.accounts.models import User
    from qiservice.demands.models import Dispatch

    demand = deadline.demand
    users = []
    if deadline.stage == Stage.DISPATCH_ACCEPTANCE:
        institutions = Dispatch.objects.filter(demand=demand, status="pending").values("institution_id")
        users += list(
            User.objects.filter(
                role_assignments__role="institution_staff", role_assignments__institution__in=institutions
            )
        )
    else:
        if demand.specialist_id:
            users.append(demand.specialist.user)
        if deadline.stage == Stage.EVALUATION:
            users += list(
                User.objects.filter(
                    role_assignments__role="enterprise_user", role_assignments__enterprise=demand.enterprise_id
                )
            )
    return users


def district_staff(demand):
    from qiservice.accounts.models import User

    return list(
        User.objects.filter(role_assignments__role="agency_staff", role_assignments__district=demand.district_id)
    )


def _process(deadline_id, today, now):
    """One deadline in its own transaction: a crash midway loses nothing and repeats nothing."""
    from qiservice.notifications.choices import NotificationKind
    from qiservice.notifications.service import notify

    with transaction.atomic():
        deadline = (
            Deadline.objects.select_for_update(of=("self",))
            .select_related("demand__specialist__user")
            .filter(pk=deadline_id, met_at__isnull=True, cancelled_at__isnull=True)
            .first()
        )
        if deadline is None:
            return 0
        demand = deadline.demand
        url = demand.get_absolute_url()
        sent = 0
        if deadline.due_on < today:
            deadline.overdue_working_days = calendar.working_days_between(deadline.due_on, today)
            if deadline.overdue_alerted_at is None:
                title = _("【逾期】%(number)s %(stage)s 已超过截止日期 %(due)s") % {
                    "number": demand.number,
                    "stage": deadline.get_stage_display(),
                    "due": deadline.due_on.isoformat(),
                }
                notify(
                    responsible_users(deadline) + district_staff(demand),
                    NotificationKind.OVERDUE,
                    title,
                    url=url,
                    demand=demand,
                )
                deadline.overdue_alerted_at = now
                sent += 1
            deadline.save(update_fields=["overdue_working_days", "overdue_alerted_at"])
        elif deadline.remind_on and deadline.remind_on <= today and deadline.reminded_at is None:
            title = _("【提醒】%(number)s %(stage)s 将于 %(due)s 到期") % {
                "number": demand.number,
                "stage": deadline.get_stage_display(),
                "due": deadline.due_on.isoformat(),
            }
            notify(responsible_users(deadline), NotificationKind.REMINDER, title, url=url, demand=demand)
            deadline.reminded_at = now
            deadline.save(update_fields=["reminded_at"])
            sent += 1
        return sent


def sweep(now=None):
    """Send the reminders and overdue alerts due today. Runs on working days only (on a
    weekend or holiday nothing is sent; Monday's run catches up). Idempotent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not calendar.is_working_day(today):
        return 0
    candidates = (
        Deadline.objects.open()
        .filter(Q(due_on__lt=today) | Q(remind_on__lte=today, reminded_at__isnull=True))
        .values_list("pk", flat=True)
    )
    sent = 0
    for deadline_id in list(candidates):
        try:
            sent += _process(deadline_id, today, now)
        except Exception:  # one bad row must not stop the sweep
            logger.exception("deadline %s could not be processed", deadline_id)
    return sent
