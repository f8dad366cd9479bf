from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import DayKind, Stage


def calendar_cache_key(year):
    return f"qi:calendar:{year}"


class Holiday(models.Model):
    """A day that breaks the weekday rule: a statutory holiday on a weekday, or a weekend
    day worked in exchange (调休). Seeded from `chinesecalendar`; the agency adds later years."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)
    is_seeded = models.BooleanField(_("来自内置日历"), default=False, editable=False)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(calendar_cache_key(self.date.year))

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        cache.delete(calendar_cache_key(self.date.year))
        return result

    def clean(self):
        if self.date is None:
            return
        if self.kind == DayKind.WORKDAY and self.date.weekday() < 5:
            raise ValidationError({"kind": _("调休上班日应为周六或周日；工作日本来就上班，无需登记。")})


class DeadlinePolicy(models.Model):
    """The time limit of one stage, in working days, set by the agency admin. A change
    applies to stages entered afterwards: each Deadline keeps the days it was given."""

    stage = models.CharField(_("环节"), max_length=30, choices=Stage.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(
        _("时限（工作日）"), validators=[MinValueValidator(1, _("时限至少为1个工作日。"))]
    )
    remind_days_before = models.PositiveSmallIntegerField(_("提前提醒（工作日）"), default=1)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("修改人")
    )

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        ordering = ["stage"]

    def __str__(self):
        return f"{self.get_stage_display()}：{self.working_days}个工作日"

    def clean(self):
        if (
            self.working_days is not None
            and self.remind_days_before is not None
            and self.remind_days_before >= self.working_days
        ):
            raise ValidationError({"remind_days_before": _("提前提醒的天数应少于时限天数。")})


class DeadlineQuerySet(models.QuerySet):
    def open(self):
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.open().filter(due_on__lt=today)


class Deadline(models.Model):
    """The due date of one stage of one demand, computed when the stage is entered.

    reminded_at / overdue_alerted_at are set in the same transaction as the notifications
    they stand for, so a sweep that runs twice (or restarts midway) sends nothing twice.
    """

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="deadlines")
    stage = models.CharField(_("环节"), max_length=30, choices=Stage.choices)
    started_on = models.DateField(_("起算日期"))
    working_days = models.PositiveSmallIntegerField(_("时限（工作日）"))
    due_on = models.DateField(_("截止日期"))
    remind_on = models.DateField(_("提醒日期"), null=True, blank=True)
    computed_on_weekends_only = models.BooleanField(_("按周末推算"), default=False)
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(_("已发逾期提醒"), null=True, blank=True)
    overdue_working_days = models.PositiveSmallIntegerField(_("逾期工作日"), default=0)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["due_on", "met_at", "cancelled_at"], name="deadline_due_open"),
            models.Index(fields=["demand", "stage"], name="deadline_demand_stage"),
            # The statistics (reports): on-time figures of the deadlines due in a period,
            # and the open overdue ones (a small partial index).
            models.Index(fields=["due_on", "stage", "cancelled_at", "met_at", "demand"], name="deadline_due_stage"),
            models.Index(
                fields=["due_on", "stage", "demand"],
                name="deadline_open_due",
                condition=models.Q(met_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.demand} {self.get_stage_display()} {self.due_on}"

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        if self.cancelled_at:
            return False
        if self.met_at:
            return timezone.localdate(self.met_at) > self.due_on
        return today > self.due_on
