"""8.6.2 performance assessment, 8.6.3 improvement actions, and return visits after a
demand closed. The indicators are computed in `indicators.py`, turned into a total,
grade and rank in `scoring.py`, and written only through `workflow.py`."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet

from .choices import ActionStatus, Grade, PeriodKind, PeriodStatus, VisitMethod

PUBLISHED = (PeriodStatus.PUBLISHED, PeriodStatus.CLOSED)


class AssessmentWeights(models.Model):
    """The agency admin's weights of the indicators and the grade thresholds (one row).

    Each weight is a non-negative integer; the total is the weighted mean of the
    indicators' 0–100 scores (see `scoring.py`), so only the ratios matter. A result is
    优秀 from `excellent_from`, 良好 from `good_from`, 合格 from `pass_from`, else 不合格."""

    collected = models.PositiveSmallIntegerField(_("收集需求数权重"), default=10)
    closed = models.PositiveSmallIntegerField(_("办结需求数权重"), default=15)
    on_time = models.PositiveSmallIntegerField(_("按时完成率权重"), default=15)
    overdue_days = models.PositiveSmallIntegerField(_("逾期工作日权重"), default=5)
    satisfaction = models.PositiveSmallIntegerField(_("满意度权重"), default=20)
    cases = models.PositiveSmallIntegerField(_("典型案例权重"), default=5)
    training = models.PositiveSmallIntegerField(_("培训学时权重"), default=10)
    declined = models.PositiveSmallIntegerField(_("拒绝指派权重"), default=5)
    complaints = models.PositiveSmallIntegerField(_("投诉权重"), default=5)
    supervisor = models.PositiveSmallIntegerField(_("评议打分权重"), default=10)
    excellent_from = models.PositiveSmallIntegerField(_("优秀分数线"), default=90, validators=[MaxValueValidator(100)])
    good_from = models.PositiveSmallIntegerField(_("良好分数线"), default=80, validators=[MaxValueValidator(100)])
    pass_from = models.PositiveSmallIntegerField(_("合格分数线"), default=60, validators=[MaxValueValidator(100)])
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("修改人")
    )

    WEIGHT_FIELDS = (
        "collected",
        "closed",
        "on_time",
        "overdue_days",
        "satisfaction",
        "cases",
        "training",
        "declined",
        "complaints",
        "supervisor",
    )

    class Meta:
        verbose_name = _("绩效评估权重")
        verbose_name_plural = _("绩效评估权重")

    def __str__(self):
        return str(self._meta.verbose_name)

    def clean(self):
        if not any(getattr(self, name) for name in self.WEIGHT_FIELDS):
            raise ValidationError(_("权重不能全部为零。"))
        if not (self.excellent_from > self.good_from > self.pass_from):
            raise ValidationError(_("分数线应满足：优秀 > 良好 > 合格。"))

    @property
    def weights(self):
        return {name: getattr(self, name) for name in self.WEIGHT_FIELDS}

    @property
    def thresholds(self):
        return {"excellent": self.excellent_from, "good": self.good_from, "pass": self.pass_from}

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()


class PeriodQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        if action == "view" and scope.is_agency:
            return self
        if action == "view" and scope.is_specialist:
            return self.filter(status__in=PUBLISHED, assessments__specialist_id=scope.specialist_id).distinct()
        return self.none()


class AssessmentPeriod(models.Model):
    """8.6.2 — one quarter or year in which every active specialist is assessed."""

    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("周期"), max_length=10, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    computed_at = models.DateTimeField(_("指标计算时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("评估周期")
        verbose_name_plural = _("评估周期")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "quarter"], name="unique_assessment_period"),
            models.UniqueConstraint(
                fields=["kind", "year"], condition=Q(quarter__isnull=True), name="unique_assessment_year"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assessments:period", args=[self.pk])

    @property
    def status_badge(self):
        return PeriodStatus.badge(self.status)

    @property
    def is_published(self):
        return self.status in PUBLISHED


class AssessmentQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk__in=[])
        if scope.district_ids:
            q |= Q(specialist__district_id__in=scope.district_ids)
        if action == "view" and scope.is_specialist:
            q |= Q(specialist_id=scope.specialist_id, period__status__in=PUBLISHED)
        return self.filter(q)


class Assessment(models.Model):
    """One specialist's result in one period.

    indicators  the raw figures from the records (`indicators.compute`), frozen once the
                period is scored, so later changes of the records do not change a result.
    scores      each indicator normalised to 0–100 (`scoring.normalise`); None = no data.
    total       the weighted mean of the scores; grade and rank follow from it.
    """

    period = models.ForeignKey(AssessmentPeriod, models.CASCADE, related_name="assessments", verbose_name=_("评估周期"))
    specialist = models.ForeignKey(
        "specialists.Specialist", models.PROTECT, related_name="assessments", verbose_name=_("服务专员")
    )
    indicators = models.JSONField(_("指标"), default=dict)
    scores = models.JSONField(_("指标得分"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    supervisor_score = models.DecimalField(
        _("评议打分"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    supervisor_comments = models.TextField(_("评议意见"), blank=True)
    is_flagged = models.BooleanField(_("需要改进"), default=False)
    flag_reason = models.CharField(_("需改进事项"), max_length=200, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("评议人")
    )
    scored_at = models.DateTimeField(_("评议时间"), null=True, blank=True)
    total = models.DecimalField(_("总分"), max_digits=4, decimal_places=1, null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=10, choices=Grade.choices, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    specialist_comment = models.TextField(_("专员意见"), blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("绩效评估")
        verbose_name_plural = _("绩效评估")
        ordering = ["period", "rank", "pk"]
        constraints = [models.UniqueConstraint(fields=["period", "specialist"], name="unique_period_specialist")]

    def __str__(self):
        return f"{self.period} {self.specialist}"

    def get_absolute_url(self):
        return reverse("assessments:detail", args=[self.pk])

    @property
    def grade_badge(self):
        return Grade.badge(self.grade)

    @property
    def is_low(self):
        from .choices import LOW_GRADES

        return self.grade in LOW_GRADES or self.is_flagged


class ActionQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(owner_id=scope.user_id)
        if scope.district_ids:
            q |= Q(assessment__specialist__district_id__in=scope.district_ids)
        if action == "view" and scope.is_specialist:
            q |= Q(assessment__specialist_id=scope.specialist_id, assessment__period__status__in=PUBLISHED)
        return self.filter(q)

    def overdue(self, today=None):
        return self.filter(status=ActionStatus.OPEN, due_on__lt=today or timezone.localdate())


class ImprovementAction(models.Model):
    """8.6.3 — what is to be improved after a low (or flagged) result, by whom and when;
    followed up in the next period."""

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="actions", verbose_name=_("绩效评估"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("责任人"))
    description = models.TextField(_("改进措施"))
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    follow_up = models.TextField(_("跟踪记录"), blank=True)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("提出人"))
    created_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("改进措施")
        verbose_name_plural = _("改进措施")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="improvement_status_due")]

    def __str__(self):
        return self.description[:30]

    def get_absolute_url(self):
        return reverse("assessments:action", args=[self.pk])

    @property
    def status_badge(self):
        return ActionStatus.badge(self.status)

    @property
    def is_overdue(self):
        return self.status == ActionStatus.OPEN and self.due_on < timezone.localdate()


class ReturnVisitQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        from qiservice.demands.models import Demand

        return self.filter(demand__in=Demand.objects.all().visible_to(scope, "view").values("pk"))


class ReturnVisit(models.Model):
    """回访 — after a demand closed, the agency or the specialist who served it asks the
    enterprise how things stand; further needs may start a new demand (`Demand.follows`)."""

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="return_visits", verbose_name=_("需求"))
    visited_on = models.DateField(_("回访日期"), default=timezone.localdate)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("回访人"))
    method = models.CharField(_("回访方式"), max_length=10, choices=VisitMethod.choices)
    enterprise_feedback = models.TextField(_("企业反馈"))
    further_needs = models.TextField(_("后续需求"), blank=True)
    satisfaction_remark = models.CharField(_("满意度说明"), max_length=200, blank=True)
    new_demand = models.ForeignKey(
        "demands.Demand",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("由此登记的新需求"),
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ReturnVisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("回访记录")
        verbose_name_plural = _("回访记录")
        ordering = ["-visited_on", "-pk"]

    def __str__(self):
        return f"{self.demand} 回访 {self.visited_on}"
