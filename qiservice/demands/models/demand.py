from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField, qi_field_labels
from qiservice.core.models import RestrictedQuerySet
from qiservice.core.validators import validate_phone

from ..choices import AssignmentStatus, DemandSource, DemandStatus, DispatchStatus, NoteKind, ServiceMode
from ..search import TermsField


class DemandSequence(models.Model):
    """The last number given out in a year. Locked while a demand is registered, so
    numbers are unique and without gaps even when two people register at once."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("需求编号序列")
        verbose_name_plural = _("需求编号序列")

    def __str__(self):
        return f"{self.year}: {self.last}"


class DemandQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk__in=[])
        if scope.district_ids:
            q |= Q(district_id__in=scope.district_ids)
        if scope.is_specialist:
            q |= Q(specialist_id=scope.specialist_id) | Q(registered_by_id=scope.user_id)
        if scope.institution_ids:
            from .records import Dispatch

            q |= Q(
                pk__in=Dispatch.objects.filter(
                    institution_id__in=scope.institution_ids,
                    status__in=[DispatchStatus.PENDING, DispatchStatus.ACCEPTED],
                ).values("demand_id")
            )
        if scope.enterprise_ids:
            q |= Q(enterprise_id__in=scope.enterprise_ids)
        return self.filter(q)

    def open(self):
        from ..choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)


class Demand(models.Model):
    """需求: one enterprise's demand, from registration (Appendix A) to the end."""

    number = models.CharField(_("编号"), max_length=20, unique=True, editable=False)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.PROTECT, related_name="demands", verbose_name=_("服务对象")
    )
    district = models.ForeignKey(
        "accounts.District", models.PROTECT, related_name="demands", verbose_name=_("所在区"), editable=False
    )
    address = models.CharField(_("地址"), max_length=200)
    source = models.CharField(_("来源"), max_length=10, choices=DemandSource.choices)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系方式"), max_length=30, validators=[validate_phone])
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    description = models.TextField(_("需求描述"))
    collected_on = models.DateField(_("收集日期"), default=timezone.localdate)
    registered_on = models.DateField(_("日期"), default=timezone.localdate, editable=False)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("填表人"), editable=False
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=DemandStatus.choices, default=DemandStatus.REGISTERED, editable=False
    )
    service_mode = models.CharField(_("服务方式"), max_length=10, choices=ServiceMode.choices, blank=True)
    confirmation_reason = models.TextField(_("确认理由"), blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    specialist = models.ForeignKey(
        "specialists.Specialist",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="demands",
        verbose_name=_("服务专员"),
    )
    special_task = models.ForeignKey(
        "demands.SpecialTask",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="demands",
        verbose_name=_("专项服务任务"),
        db_index=False,  # a partial index below
    )
    follows = models.ForeignKey(
        "self",
        models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # a partial index below
        related_name="followed_by",
        verbose_name=_("源自回访"),
        editable=False,
        help_text=_("回访中提出的后续需求所源自的原需求"),
    )
    service_ended_at = models.DateTimeField(_("服务结束时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("需求")
        verbose_name_plural = _("需求")
        ordering = ["-registered_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "registered_at"], name="demand_status_time"),
            models.Index(fields=["district", "status"], name="demand_district_status"),
            models.Index(fields=["specialist", "status"], name="demand_specialist_status"),
            models.Index(fields=["enterprise", "registered_at"], name="demand_enterprise_time"),
            # The statistics (reports): demands of a period by district, status and source
            # from the index alone; open demands per specialist.
            models.Index(fields=["registered_on", "district", "status", "source"], name="demand_dashboard"),
            models.Index(fields=["status", "specialist"], name="demand_status_specialist"),
            # The list's default order (newest first), whole and per district (issue 9).
            models.Index(fields=["registered_at", "id"], name="demand_list_order"),
            models.Index(fields=["district", "registered_at", "id"], name="demand_district_order"),
            # Sorted by status (the list's column): its pages from the index, deep ones too.
            models.Index(fields=["status", "id"], name="demand_status_order"),
            # Keys that are mostly empty: indexed where set. A plain index holds every empty
            # row as one value, and SQLite's statistics then take "follows = x" for the whole
            # table and read the list's order index instead (a 100 000-row scan).
            models.Index(fields=["follows"], name="demand_follows", condition=Q(follows__isnull=False)),
            models.Index(fields=["special_task"], name="demand_special_task", condition=Q(special_task__isnull=False)),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("demands:detail", args=[self.pk])

    @property
    def categories(self):
        values = self.__dict__.get("category_values")  # read for a page of rows at once (the list)
        if values is None:
            rows = getattr(self, "_prefetched_objects_cache", {}).get("category_rows")
            values = [r.category for r in (self.category_rows.all() if rows is None else rows)]
        return sorted(values, key=QIField.values.index)

    @property
    def category_labels(self):
        return qi_field_labels(self.categories)

    @property
    def status_badge(self):
        return DemandStatus.badge(self.status)

    @property
    def is_open(self):
        from ..choices import TERMINAL_STATUSES

        return self.status not in TERMINAL_STATUSES

    @property
    def service_matter(self):
        """服务事项: the title line of the ledger and the evaluation form."""
        labels = "、".join(str(label) for label in self.category_labels) or _("质量基础设施")
        return f"{labels}服务（{self.number}）"


class DemandCategory(models.Model):
    """One ticked category of Appendix A (a demand may have several)."""

    demand = models.ForeignKey(Demand, models.CASCADE, related_name="category_rows")
    category = models.CharField(_("需求类别"), max_length=30, choices=QIField.choices)

    class Meta:
        verbose_name = _("需求类别")
        verbose_name_plural = _("需求类别")
        constraints = [models.UniqueConstraint(fields=["demand", "category"], name="unique_demand_category")]
        indexes = [models.Index(fields=["category", "demand"], name="demand_category_lookup")]

    def __str__(self):
        return self.get_category_display()


class DemandSearch(models.Model):
    """The demand's keyword-search terms (`qiservice.demands.search`): bigrams and trigrams
    of its number, its enterprise's name and its description. Indexed by a GIN index
    (PostgreSQL, a text[] column) or an FTS5 table kept by triggers (SQLite), both made
    in migration 0005; an index, not a record, so it has no scope of its own."""

    demand = models.OneToOneField(Demand, models.CASCADE, primary_key=True, related_name="search_terms")
    grams = TermsField()

    class Meta:
        verbose_name = _("需求检索词")
        verbose_name_plural = _("需求检索词")

    def __str__(self):
        return str(self.demand_id)


class Assignment(models.Model):
    """The agency assigns a demand to a specialist, who accepts or declines with a reason (6.1)."""

    demand = models.ForeignKey(Demand, models.CASCADE, related_name="assignments", verbose_name=_("需求"))
    specialist = models.ForeignKey(
        "specialists.Specialist", models.PROTECT, related_name="assignments", verbose_name=_("服务专员")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("指派人")
    )
    assigned_at = models.DateTimeField(_("指派时间"), default=timezone.now)
    note = models.TextField(_("指派说明"), blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reason = models.TextField(_("拒绝理由"), blank=True)

    class Meta:
        verbose_name = _("指派")
        verbose_name_plural = _("指派")
        ordering = ["-assigned_at", "-pk"]
        indexes = [models.Index(fields=["specialist", "status"], name="assignment_specialist_status")]

    def __str__(self):
        return f"{self.demand} → {self.specialist}"


class StatusChange(models.Model):
    """One transition of a demand: append-only, the spine of its timeline."""

    demand = models.ForeignKey(Demand, models.CASCADE, related_name="status_changes", verbose_name=_("需求"))
    action = models.CharField(_("操作"), max_length=40)
    from_status = models.CharField(_("原状态"), max_length=20, choices=DemandStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=DemandStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+", verbose_name=_("操作人")
    )
    reason = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["demand", "created_at"], name="statuschange_demand_time")]

    def __str__(self):
        return f"{self.demand} {self.from_status}→{self.to_status}"


class Note(models.Model):
    """A progress update (specialist, institution) or an agency instruction on a demand.

    Instructions are internal: seen by the agency and the assigned people, never by the
    enterprise (4.2)."""

    demand = models.ForeignKey(Demand, models.CASCADE, related_name="notes", verbose_name=_("需求"))
    kind = models.CharField(_("类型"), max_length=20, choices=NoteKind.choices)
    text = models.TextField(_("内容"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("填写人"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("进展与指示")
        verbose_name_plural = _("进展与指示")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:20]}"

    @property
    def is_internal(self):
        return self.kind == NoteKind.INSTRUCTION
