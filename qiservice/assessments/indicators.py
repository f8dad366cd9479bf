"""The indicators of a specialist's performance in a period (8.6.2), from the records.

Every function takes the specialists' ids and the period's first and last day, and runs
one aggregate query grouped by specialist (no loop over demands in Python); `compute`
gathers them into one dict per specialist, which `Assessment.indicators` stores.

What each figure counts (all dates are Asia/Shanghai calendar days, both ends included):

collected        demands registered in the period by the specialist's own account.
closed           demands closed (办结) in the period that the specialist is responsible for.
deadlines_due /  the specialist's stage deadlines (`deadlines.Deadline` of the demands they
deadlines_on_time  serve) due in the period, either met or already past due at the
                 reference day (the period's last day, or today while it runs); on time =
                 met on or before the due date. Cancelled deadlines, and the stages others
                 must act on (an institution's answer to a dispatch, the enterprise's
                 evaluation), are not counted. `on_time_by_stage` splits them per stage.
overdue_days     working days late, summed over those deadlines: for a met one the days
                 stored when it was met; for a still-open one the working days from its due
                 date to the reference day (the Holiday table's calendar).
evaluations /    the number and mean total (0–50) of Appendix C evaluations of the
satisfaction_mean  specialist submitted in the period; demands without an evaluation are
                 left out of the mean (None when there is none), never counted as 0.
cases_approved   typical cases of the specialist's demands approved in the period.
training_hours   training hours of sessions held in the period; `training_hours_year` the
                 hours from 1 January of the period's last year to its last day, against
                 `training_required` (PoolSettings' yearly requirement).
declined         assignments the specialist declined in the period.
complaints       upheld complaints (see `complaints`).
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from qiservice.deadlines import calendar
from qiservice.deadlines.choices import Stage
from qiservice.deadlines.models import Deadline
from qiservice.demands.choices import AssignmentStatus, CaseStatus, DemandStatus
from qiservice.demands.models import Assignment, Demand, TypicalCase
from qiservice.evaluations.models import Evaluation
from qiservice.specialists.models import PoolSettings, TrainingAttendance

# Stages whose deadline someone else must meet: not held against the specialist.
NOT_THE_SPECIALISTS = (Stage.DISPATCH_ACCEPTANCE, Stage.EVALUATION)


def _grouped(queryset, key, **aggregates):
    return {row[key]: row for row in queryset.values(key).annotate(**aggregates).order_by()}


def reference_day(end, today=None):
    """The day the period's deadlines are judged on: its last day, or today while it runs."""
    return min(end, today or timezone.localdate())


def collected(ids, start, end):
    rows = _grouped(
        Demand.objects.filter(registered_by__specialist__in=ids, registered_on__range=(start, end)),
        "registered_by__specialist",
        n=Count("pk"),
    )
    return {pk: row["n"] for pk, row in rows.items()}


def closed(ids, start, end):
    rows = _grouped(
        Demand.objects.filter(specialist_id__in=ids, status=DemandStatus.CLOSED, closed_at__date__range=(start, end)),
        "specialist_id",
        n=Count("pk"),
    )
    return {pk: row["n"] for pk, row in rows.items()}


def _deadlines(ids, start, end, today=None):
    ref = reference_day(end, today)
    return (
        Deadline.objects.filter(demand__specialist_id__in=ids, cancelled_at__isnull=True, due_on__range=(start, end))
        .exclude(stage__in=NOT_THE_SPECIALISTS)
        .filter(Q(met_at__isnull=False) | Q(due_on__lt=ref))
    ), ref


def on_time(ids, start, end, today=None):
    """{specialist: {stage: [on time, due]}}."""
    deadlines, _ref = _deadlines(ids, start, end, today)
    rows = (
        deadlines.annotate(met_on=TruncDate("met_at"))
        .values("demand__specialist_id", "stage")
        .annotate(due=Count("pk"), met=Count("pk", filter=Q(met_on__lte=F("due_on"))))
        .order_by()
    )
    result = defaultdict(dict)
    for row in rows:
        result[row["demand__specialist_id"]][row["stage"]] = [row["met"], row["due"]]
    return result


def overdue_days(ids, start, end, today=None):
    deadlines, ref = _deadlines(ids, start, end, today)
    result = defaultdict(int)
    for row in (
        deadlines.filter(met_at__isnull=False)
        .values("demand__specialist_id")
        .annotate(days=Sum("overdue_working_days"))
        .order_by()
    ):
        result[row["demand__specialist_id"]] += row["days"] or 0
    # Still open and late: grouped by due date, so the calendar is read once per distinct day.
    by_day = {}
    for row in (
        deadlines.filter(met_at__isnull=True)
        .values("demand__specialist_id", "due_on")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        due = row["due_on"]
        if due not in by_day:
            by_day[due] = calendar.working_days_between(due, ref)
        result[row["demand__specialist_id"]] += by_day[due] * row["n"]
    return dict(result)


def satisfaction(ids, start, end):
    """{specialist: (number of evaluations, mean total)}."""
    rows = _grouped(
        Evaluation.objects.filter(specialist_id__in=ids, submitted_at__date__range=(start, end)),
        "specialist_id",
        n=Count("pk"),
        mean=Avg("total"),
    )
    return {pk: (row["n"], row["mean"]) for pk, row in rows.items()}


def cases_approved(ids, start, end):
    rows = _grouped(
        TypicalCase.objects.filter(
            demand__specialist_id__in=ids, status=CaseStatus.APPROVED, reviewed_at__date__range=(start, end)
        ),
        "demand__specialist_id",
        n=Count("pk"),
    )
    return {pk: row["n"] for pk, row in rows.items()}


def training_hours(ids, start, end):
    rows = _grouped(
        TrainingAttendance.objects.filter(specialist_id__in=ids, training__held_on__range=(start, end)),
        "specialist_id",
        hours=Sum("hours"),
    )
    return {pk: row["hours"] or Decimal(0) for pk, row in rows.items()}


def declined(ids, start, end):
    rows = _grouped(
        Assignment.objects.filter(
            specialist_id__in=ids, status=AssignmentStatus.DECLINED, responded_at__date__range=(start, end)
        ),
        "specialist_id",
        n=Count("pk"),
    )
    return {pk: row["n"] for pk, row in rows.items()}


def complaints(ids, start, end):
    """{specialist id: upheld complaints about them closed in the period} (qiservice/complaints)."""
    from qiservice.complaints.workflow import upheld_counts

    return upheld_counts(ids, start, end)


def compute(specialists, start, end, today=None):
    """{specialist id: the indicators of the period}, ready to store as JSON."""
    ids = [s.pk for s in specialists]
    year_start = datetime.date(end.year, 1, 1)
    required = PoolSettings.current().yearly_training_hours
    figures = {
        "collected": collected(ids, start, end),
        "closed": closed(ids, start, end),
        "on_time": on_time(ids, start, end, today),
        "overdue_days": overdue_days(ids, start, end, today),
        "satisfaction": satisfaction(ids, start, end),
        "cases": cases_approved(ids, start, end),
        "training": training_hours(ids, start, end),
        "training_year": training_hours(ids, year_start, end),
        "declined": declined(ids, start, end),
        "complaints": complaints(ids, start, end),
    }
    # The share of the yearly requirement due by the period's end (a whole year for a
    # yearly period, the elapsed quarters for a quarter).
    year_days = (datetime.date(end.year, 12, 31) - year_start).days + 1
    required_to_date = round(required * ((end - year_start).days + 1) / year_days, 1)
    result = {}
    for specialist in specialists:
        pk = specialist.pk
        by_stage = figures["on_time"].get(pk, {})
        evaluations, mean = figures["satisfaction"].get(pk, (0, None))
        result[pk] = {
            "collected": figures["collected"].get(pk, 0),
            "closed": figures["closed"].get(pk, 0),
            "deadlines_due": sum(due for _met, due in by_stage.values()),
            "deadlines_on_time": sum(met for met, _due in by_stage.values()),
            "on_time_by_stage": by_stage,
            "overdue_days": figures["overdue_days"].get(pk, 0),
            "evaluations": evaluations,
            "satisfaction_mean": round(float(mean), 2) if mean is not None else None,
            "cases_approved": figures["cases"].get(pk, 0),
            "training_hours": float(figures["training"].get(pk, 0)),
            "training_hours_year": float(figures["training_year"].get(pk, 0)),
            "training_required": required,
            "training_required_to_date": required_to_date,
            "declined": figures["declined"].get(pk, 0),
            "complaints": figures["complaints"].get(pk, 0),
        }
    return result
