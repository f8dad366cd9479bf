from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField
from qiservice.core.models import RestrictedQuerySet
from qiservice.core.validators import validate_phone

from .choices import AdmissionRoute, Proficiency, SpecialistStatus, TrainingForm


class SpecialistQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk=scope.specialist_id) if scope.is_specialist else Q(pk__in=[])
        if scope.district_ids:
            q |= Q(district_id__in=scope.district_ids)
        for extend in SPECIALIST_SCOPE_EXTENSIONS:
            q |= extend(scope, action)
        return self.filter(q)


# Other apps add the specialists their people work with: functions (scope, action) -> Q.
SPECIALIST_SCOPE_EXTENSIONS = []


class Specialist(models.Model):
    """服务专员: a member of the specialist pool, linked to a user account (4.4)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="specialist", verbose_name=_("登录账号")
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=30, validators=[validate_phone])
    email = models.EmailField(_("电子邮箱"), blank=True)
    district = models.ForeignKey(
        "accounts.District", models.PROTECT, related_name="specialists", verbose_name=_("所属区")
    )
    employer = models.CharField(_("工作单位"), max_length=100, blank=True)
    title = models.CharField(_("职称/职务"), max_length=50, blank=True)
    qualifications = models.TextField(_("资格证书"), blank=True)
    expertise = models.TextField(_("专业特长"), blank=True, help_text=_("用于需求匹配，请具体描述擅长的服务内容"))
    capacity = models.PositiveSmallIntegerField(_("同时承接需求上限"), default=5)
    status = models.CharField(
        _("状态"), max_length=20, choices=SpecialistStatus.choices, default=SpecialistStatus.APPLICANT
    )
    admission_route = models.CharField(
        _("入库方式"), max_length=20, choices=AdmissionRoute.choices, default=AdmissionRoute.APPLICATION
    )
    nominated_by = models.CharField(_("推荐单位"), max_length=100, blank=True)
    match_tokens = models.TextField(editable=False, blank=True, default="")  # see matching.py
    admitted_on = models.DateField(_("入库日期"), null=True, blank=True)
    term_ends_on = models.DateField(_("聘期截止"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = SpecialistQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务专员")
        verbose_name_plural = _("服务专员")
        ordering = ["name"]
        indexes = [models.Index(fields=["district", "status"], name="specialist_district_status")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("specialists:detail", args=[self.pk])

    @property
    def field_labels(self):
        return [f.get_field_display() for f in self.fields.all()]

    @property
    def status_badge(self):
        return SpecialistStatus.badge(self.status)


class SpecialistField(models.Model):
    """One QI field a specialist works in, with their proficiency (R5.2)."""

    specialist = models.ForeignKey(Specialist, models.CASCADE, related_name="fields", verbose_name=_("服务专员"))
    field = models.CharField(_("领域"), max_length=30, choices=QIField.choices)
    proficiency = models.CharField(
        _("熟练程度"), max_length=20, choices=Proficiency.choices, default=Proficiency.PROFICIENT
    )

    class Meta:
        verbose_name = _("专业领域")
        verbose_name_plural = _("专业领域")
        ordering = ["specialist", "field"]
        constraints = [models.UniqueConstraint(fields=["specialist", "field"], name="unique_specialist_field")]

    def __str__(self):
        return f"{self.get_field_display()}（{self.get_proficiency_display()}）"


class SpecialistStatusChange(models.Model):
    """The history of a specialist's status: who changed it, when and why."""

    specialist = models.ForeignKey(
        Specialist, models.CASCADE, related_name="status_changes", verbose_name=_("服务专员")
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=SpecialistStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=SpecialistStatus.choices)
    reason = models.TextField(_("原因"))
    changed_at = models.DateTimeField(_("时间"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+", verbose_name=_("操作人")
    )

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.specialist} {self.from_status}→{self.to_status}"


class MatchingWeights(models.Model):
    """The agency's weights of the matching factors (one row)."""

    field_weight = models.PositiveSmallIntegerField(_("领域匹配权重"), default=40)
    district_weight = models.PositiveSmallIntegerField(_("区域权重"), default=15)
    load_weight = models.PositiveSmallIntegerField(_("负荷权重"), default=15)
    record_weight = models.PositiveSmallIntegerField(_("履职记录权重"), default=10)
    text_weight = models.PositiveSmallIntegerField(_("描述相似度权重"), default=20)
    auto_assign = models.BooleanField(_("自动指派首选专员"), default=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("匹配权重")
        verbose_name_plural = _("匹配权重")

    def __str__(self):
        return str(self._meta.verbose_name)

    def clean(self):
        from django.core.exceptions import ValidationError

        if not any((self.field_weight, self.district_weight, self.load_weight, self.record_weight, self.text_weight)):
            raise ValidationError(_("权重不能全部为零。"))

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()


class PoolSettings(models.Model):
    """The agency's written rules for the pool (4.3) and the yearly training requirement (5.4)."""

    selection_rules = models.TextField(_("服务专员选择与评价管理制度"), blank=True)
    yearly_training_hours = models.PositiveSmallIntegerField(_("每年培训学时要求"), default=16)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("修改人")
    )

    class Meta:
        verbose_name = _("专员库制度")
        verbose_name_plural = _("专员库制度")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()


class Training(models.Model):
    """5.4 — a training or continuing-education session."""

    title = models.CharField(_("培训名称"), max_length=100)
    form = models.CharField(_("形式"), max_length=20, choices=TrainingForm.choices)
    topics = models.JSONField(_("内容"), default=list)
    held_on = models.DateField(_("日期"))
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1)
    organiser = models.CharField(_("组织单位"), max_length=100)
    materials = models.TextField(_("培训材料"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("业务培训")
        verbose_name_plural = _("业务培训")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("specialists:training_detail", args=[self.pk])


class TrainingAttendance(models.Model):
    """A specialist attended a training and is credited its hours."""

    training = models.ForeignKey(Training, models.CASCADE, related_name="attendances")
    specialist = models.ForeignKey(Specialist, models.PROTECT, related_name="trainings", verbose_name=_("服务专员"))
    hours = models.DecimalField(_("计入学时"), max_digits=4, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("培训签到")
        verbose_name_plural = _("培训签到")
        constraints = [models.UniqueConstraint(fields=["training", "specialist"], name="unique_training_attendance")]

    def __str__(self):
        return f"{self.training}: {self.specialist}"
