"""The dashboard's counters, kept by database triggers (counters.py).

Plain id columns rather than foreign keys (except the specialist's, joined for the ranking,
without a database constraint): the triggers write them, and a counter row may outlive
the row it counts, at zero.
"""

from django.db import models
from django.db.models import Q


class SpecialistLoad(models.Model):
    """Open (not closed, withdrawn or cancelled) demands assigned to a specialist."""

    specialist = models.OneToOneField(
        "specialists.Specialist", models.DO_NOTHING, primary_key=True, db_constraint=False, related_name="open_load"
    )
    open_demands = models.IntegerField(default=0)

    def __str__(self):
        return f"specialist {self.specialist_id}: {self.open_demands}"


class InstitutionLoad(models.Model):
    """Live dispatches to an institution on open demands, per district of the demand."""

    institution_id = models.BigIntegerField()
    district_id = models.BigIntegerField()
    pending = models.IntegerField(default=0)  # awaiting the institution's answer
    active = models.IntegerField(default=0)  # accepted, the service goes on

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["institution_id", "district_id"], name="institutionload_key"),
        ]

    def __str__(self):
        return f"institution {self.institution_id} district {self.district_id}: {self.pending}+{self.active}"


class DeadlineCounted(models.Model):
    district_id = models.BigIntegerField()
    stage = models.CharField(max_length=30)
    due_on = models.DateField()
    outcome = models.CharField(max_length=10)  # open | on_time | late
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.district_id} {self.stage} {self.due_on} {self.outcome}: {self.n}"


class DeadlineCount(DeadlineCounted):
    """Deadlines that are not cancelled, by the demand's district, stage, due date and how
    they stand: open, met on time or met late (deadlines/outcomes.py)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_id", "stage", "due_on", "outcome"], name="deadlinecount_key"),
        ]
        indexes = [
            models.Index(fields=["due_on", "district_id", "stage", "outcome", "n"], name="deadlinecount_due"),
            # Open deadlines are few among millions met: "overdue" reads only them.
            models.Index(
                fields=["due_on", "district_id", "stage", "n"], condition=Q(outcome="open"), name="deadlinecount_open"
            ),
        ]


class DeadlineMonthCount(DeadlineCounted):
    """DeadlineCount by the month due: `due_on` is the month's first day."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district_id", "stage", "due_on", "outcome"], name="deadlinemonthcount_key"
            ),
        ]
        indexes = [
            models.Index(fields=["due_on", "district_id", "stage", "outcome", "n"], name="deadlinemonthcount_due"),
            models.Index(
                fields=["due_on", "district_id", "stage", "n"],
                condition=Q(outcome="open"),
                name="deadlinemonthcount_open",
            ),
        ]


class DemandOpenDue(models.Model):
    """Each demand with an open deadline, and the earliest due date among them."""

    demand_id = models.BigIntegerField(primary_key=True)
    district_id = models.BigIntegerField()
    due_on = models.DateField()

    def __str__(self):
        return f"demand {self.demand_id}: {self.due_on}"


class OpenDueCount(models.Model):
    """Demands with an open deadline, by district and their earliest due date (so the
    demands overdue today are a sum over a few rows)."""

    district_id = models.BigIntegerField()
    due_on = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district_id", "due_on"], name="openduecount_key")]
        indexes = [models.Index(fields=["due_on", "district_id", "n"], name="openduecount_due")]

    def __str__(self):
        return f"{self.district_id} {self.due_on}: {self.n}"


class CategoryCounted(models.Model):
    registered_on = models.DateField()
    district_id = models.BigIntegerField()
    category = models.CharField(max_length=30)
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.registered_on} {self.district_id} {self.category}: {self.n}"


class CategoryCount(CategoryCounted):
    """Ticked categories (Appendix A) by the demand's registration date and district."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registered_on", "district_id", "category"], name="categorycount_key"),
        ]
        indexes = [models.Index(fields=["registered_on", "district_id", "category", "n"], name="categorycount_day")]


class CategoryMonthCount(CategoryCounted):
    """CategoryCount by the month of registration: `registered_on` is the month's first day."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registered_on", "district_id", "category"], name="categorymonthcount_key"),
        ]
        indexes = [
            models.Index(fields=["registered_on", "district_id", "category", "n"], name="categorymonthcount_month")
        ]


class DemandCounted(models.Model):
    registered_on = models.DateField()
    district_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    source = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.registered_on} {self.district_id} {self.status} {self.source}: {self.n}"


class DemandDayCount(DemandCounted):
    """Demands by registration date, district, status and source (the overview and the
    month chart of a period)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registered_on", "district_id", "status", "source"], name="demanddaycount_key"
            ),
        ]
        indexes = [
            models.Index(fields=["registered_on", "district_id", "status", "source", "n"], name="demanddaycount_day")
        ]


class DemandMonthCount(DemandCounted):
    """DemandDayCount by the month of registration: `registered_on` is the month's first day."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registered_on", "district_id", "status", "source"], name="demandmonthcount_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["registered_on", "district_id", "status", "source", "n"], name="demandmonthcount_month"
            )
        ]


class EvaluationCounted(models.Model):
    submitted_on = models.DateField()
    district_id = models.BigIntegerField()
    n = models.IntegerField(default=0)
    total = models.IntegerField(default=0)
    conduct = models.IntegerField(default=0)
    attitude = models.IntegerField(default=0)
    competence = models.IntegerField(default=0)
    timeliness = models.IntegerField(default=0)
    result = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.submitted_on} {self.district_id}: {self.n}"


class EvaluationDayCount(EvaluationCounted):
    """Appendix C evaluations by the local date submitted and the demand's district: their
    number and the sums of each item and of the total (a mean is a sum over a count)."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submitted_on", "district_id"], name="evaluationdaycount_key")]


class EvaluationMonthCount(EvaluationCounted):
    """EvaluationDayCount by the local month: `submitted_on` is the month's first day."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submitted_on", "district_id"], name="evaluationmonthcount_key")]


class DispatchCounted(models.Model):
    dispatched_on = models.DateField()
    district_id = models.BigIntegerField()
    institution_id = models.BigIntegerField()
    status = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.dispatched_on} {self.district_id} {self.institution_id} {self.status}: {self.n}"


class DispatchDayCount(DispatchCounted):
    """Dispatches by the local date sent, the demand's district, the institution and status."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dispatched_on", "district_id", "institution_id", "status"], name="dispatchdaycount_key"
            ),
        ]


class DispatchMonthCount(DispatchCounted):
    """DispatchDayCount by the local month sent: `dispatched_on` is the month's first day."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dispatched_on", "district_id", "institution_id", "status"], name="dispatchmonthcount_key"
            ),
        ]
