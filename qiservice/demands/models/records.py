"""The records a demand gathers on its way: preparation, agreement, plan, escalation,
dispatches, ledger, summary, typical case and attachments."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import AttachmentStage, CaseStatus, DispatchStatus, ServiceMethod


class Preparation(models.Model):
    """8.2 — the specialist's preparation for serving a demand."""

    demand = models.OneToOneField("demands.Demand", models.CASCADE, related_name="preparation")
    plan_notes = models.TextField(_("计划与安排"), help_text=_("服务过程的计划和安排（8.2.1）"))
    process_notes = models.TextField(_("服务流程与要求"), blank=True)
    special_handling = models.TextField(_("特殊情况处置"), blank=True)
    content = models.JSONField(_("初步服务内容"), default=dict, help_text=_("按质量基础设施领域：{领域: 内容}"))
    enterprise_suggestions = models.TextField(_("服务对象建议"), blank=True)
    risks = models.JSONField(_("风险信息"), default=dict, help_text=_("{风险类型: 说明}，出现即表示已识别"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("填写人"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务准备")
        verbose_name_plural = _("服务准备")

    def __str__(self):
        return f"{self.demand} 服务准备"


class Escalation(models.Model):
    """8.4.2 a — the specialist reports the demand to the platform for assistance."""

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="escalations")
    reason = models.TextField(_("上报理由"))
    needs = models.TextField(_("所需协助"), help_text=_("需要技术机构提供的服务内容"))
    switched_from_direct = models.BooleanField(_("由直接服务转为协助"), default=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("上报人")
    )
    reported_at = models.DateTimeField(_("上报时间"), default=timezone.now)

    class Meta:
        verbose_name = _("上报")
        verbose_name_plural = _("上报")
        ordering = ["reported_at", "pk"]

    def __str__(self):
        return f"{self.demand} 上报"


class Dispatch(models.Model):
    """8.4.2 b — the agency dispatches an escalation to an institution, which accepts or declines."""

    escalation = models.ForeignKey(Escalation, models.CASCADE, related_name="dispatches")
    # The escalation's demand, kept on the dispatch (set on save; an escalation never changes
    # demand): "the demands dispatched to my institution" is every institution user's scope,
    # and through the escalation it joined every escalation row (issue 9: 175 ms for a list
    # page at province scale on PostgreSQL).
    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="+", editable=False)
    institution = models.ForeignKey(
        "institutions.Institution", models.PROTECT, related_name="dispatches", verbose_name=_("技术机构")
    )
    note = models.TextField(_("派单说明"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.PENDING)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("派单人")
    )
    dispatched_at = models.DateTimeField(_("派单时间"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("答复人")
    )
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reason = models.TextField(_("拒绝理由"), blank=True)

    class Meta:
        verbose_name = _("派单")
        verbose_name_plural = _("派单")
        ordering = ["dispatched_at", "pk"]
        indexes = [
            models.Index(fields=["institution", "status", "demand"], name="dispatch_institution_demand"),
            models.Index(fields=["dispatched_at", "institution", "status"], name="dispatch_time_institution"),
        ]

    def __str__(self):
        return f"{self.escalation.demand} → {self.institution}"

    def save(self, *args, **kwargs):
        if self.demand_id is None and self.escalation_id is not None:
            self.demand_id = self.escalation.demand_id
        super().save(*args, **kwargs)


class Agreement(models.Model):
    """8.4.1 a / 8.4.2 b — a service agreement: bilateral (enterprise and specialist) for
    direct service, tripartite (enterprise, agency, institution) for assisted service."""

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="agreements")
    institution = models.ForeignKey(
        "institutions.Institution", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("技术机构")
    )
    parties = models.CharField(_("协议各方"), max_length=300)
    period_start = models.DateField(_("服务周期开始"))
    period_end = models.DateField(_("服务周期结束"))
    content = models.TextField(_("服务内容"))
    method = models.CharField(_("服务方式"), max_length=10, choices=ServiceMethod.choices)
    signed_on = models.DateField(_("签订日期"))
    scan = models.ForeignKey(
        "demands.Attachment", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("协议扫描件")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务协议")
        verbose_name_plural = _("服务协议")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.demand} 服务协议（{self.signed_on}）"


class ServicePlan(models.Model):
    """8.4.1 b / 8.4.2 c — the service plan made from the agreement, with milestones."""

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="plans")
    agreement = models.ForeignKey(Agreement, models.PROTECT, related_name="plans", verbose_name=_("服务协议"))
    objectives = models.TextField(_("服务目标"))
    resources = models.TextField(_("资源安排"), blank=True)
    enterprise_informed_on = models.DateField(_("告知服务对象日期"), null=True, blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("告知人")
    )
    # The enterprise's own "已知悉" in its portal (8.4.2 c): when, and which of its users.
    acknowledged_at = models.DateTimeField(_("服务对象确认知悉时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("服务对象确认人"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("制定人"))
    created_at = models.DateTimeField(_("制定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务方案")
        verbose_name_plural = _("服务方案")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.demand} 服务方案"

    @property
    def progress(self):
        milestones = list(self.milestones.all())
        if not milestones:
            return 0
        return round(sum(m.progress for m in milestones) / len(milestones))


class Milestone(models.Model):
    """8.4.1 c — a step of the plan whose progress is tracked."""

    plan = models.ForeignKey(ServicePlan, models.CASCADE, related_name="milestones")
    title = models.CharField(_("步骤"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    progress = models.PositiveSmallIntegerField(_("完成进度（%）"), default=0)
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("方案步骤")
        verbose_name_plural = _("方案步骤")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="milestone_progress_at_most_100"),
        ]

    def __str__(self):
        return self.title


class LedgerEntry(models.Model):
    """Appendix B — one row of the work ledger.

    An entry can be edited by its author for a limited time (LEDGER_EDIT_HOURS); after
    that a mistake is put right by a correction entry that names the entry it corrects.
    """

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="ledger_entries")
    entry_on = models.DateField(_("日期"))
    enterprise_contact = models.CharField(_("服务对象对接人员"), max_length=50)
    problem = models.TextField(_("处理的问题"))
    handling = models.TextField(_("处理过程"), help_text=_("简要描述运用哪些技术服务手段处理问题"))
    remarks = models.TextField(_("备注"), blank=True)
    corrects = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="corrections", verbose_name=_("更正的记录")
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作台账")
        verbose_name_plural = _("工作台账")
        ordering = ["entry_on", "created_at", "pk"]
        indexes = [models.Index(fields=["demand", "entry_on"], name="ledger_demand_date")]

    def __str__(self):
        return f"{self.entry_on} {self.problem[:20]}"

    @property
    def editable_until(self):
        return self.created_at + timezone.timedelta(hours=settings.LEDGER_EDIT_HOURS)


class Summary(models.Model):
    """8.5.1 — the work summary: problems solved, methods, results."""

    demand = models.OneToOneField("demands.Demand", models.CASCADE, related_name="summary")
    problems_solved = models.TextField(_("解决的问题"))
    methods = models.TextField(_("解决问题的方法"))
    results = models.TextField(_("取得的成效"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工作总结")
        verbose_name_plural = _("工作总结")

    def __str__(self):
        return f"{self.demand} 工作总结"


class TypicalCaseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=CaseStatus.APPROVED, is_published=True)


class TypicalCase(models.Model):
    """8.5.2 — a summary nominated as a typical case; the agency approves or returns it."""

    demand = models.OneToOneField("demands.Demand", models.CASCADE, related_name="typical_case")
    title = models.CharField(_("案例标题"), max_length=100)
    highlights = models.TextField(_("典型意义"), help_text=_("代表性与成效"))
    masked_enterprise = models.CharField(
        _("公开时企业名称"), max_length=100, help_text=_("公开案例库中显示的名称，如“某精密机械企业”")
    )
    status = models.CharField(_("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.NOMINATED)
    is_published = models.BooleanField(_("公开"), default=False)
    review_comments = models.TextField(_("审核意见"), blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("推荐人")
    )
    nominated_at = models.DateTimeField(_("推荐时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = TypicalCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        ordering = ["-nominated_at", "-pk"]

    def __str__(self):
        return self.title


def attachment_path(instance, filename):
    # Stored under a random name: the original name is kept in the row, never trusted as a path.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file on a demand (any stage). Type and size are checked on the content; trade
    secrets are visible only to the assigned people and the agency admin; downloads are
    audited. Files live outside the web root and are served through a permission check."""

    demand = models.ForeignKey("demands.Demand", models.CASCADE, related_name="attachments")
    stage = models.CharField(_("阶段"), max_length=20, choices=AttachmentStage.choices, default=AttachmentStage.OTHER)
    file = models.FileField(_("文件"), upload_to=attachment_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    is_trade_secret = models.BooleanField(_("商业秘密"), default=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("demands:attachment", args=[self.demand_id, self.pk])
