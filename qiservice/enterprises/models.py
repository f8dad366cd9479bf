from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet
from qiservice.core.validators import validate_credit_code, validate_phone

from .choices import EnterpriseSize, Industry


class EnterpriseQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk__in=scope.enterprise_ids)
        if scope.district_ids:
            q |= Q(district_id__in=scope.district_ids)
        if scope.is_specialist:
            # A specialist works the enterprises of their own district and those they
            # registered themselves (e.g. created on the spot at an intake elsewhere).
            q |= Q(district_id=scope.specialist_district_id) | Q(created_by_id=scope.user_id)
        for extend in ENTERPRISE_SCOPE_EXTENSIONS:
            q |= extend(scope, action)
        return self.filter(q)


# Other apps (demands, tasks) add the enterprises their people work with: each entry is a
# function (scope, action) -> Q over Enterprise.
ENTERPRISE_SCOPE_EXTENSIONS = []


class Enterprise(models.Model):
    """服务对象: a served enterprise, with the profile verified in preparation (8.2.2)."""

    name = models.CharField(_("企业名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    district = models.ForeignKey(
        "accounts.District", models.PROTECT, related_name="enterprises", verbose_name=_("所在区")
    )
    address = models.CharField(_("地址"), max_length=200)
    industry = models.CharField(_("所属行业"), max_length=1, choices=Industry.choices, default=Industry.C)
    size = models.CharField(_("企业规模"), max_length=10, choices=EnterpriseSize.choices, blank=True)
    main_products = models.TextField(_("主要产品"), blank=True)
    rd_capability = models.TextField(_("研发能力"), blank=True)
    production_capacity = models.TextField(_("生产能力"), blank=True)
    quality_management = models.TextField(_("质量管理状况"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=30, validators=[validate_phone])
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    profile_verified_at = models.DateTimeField(_("信息核实时间"), null=True, blank=True)
    profile_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("信息核实人"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("登记人")
    )

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务对象")
        verbose_name_plural = _("服务对象")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["district", "name"], name="enterprise_district_name"),
            models.Index(fields=["name"], name="enterprise_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("enterprises:detail", args=[self.pk])


class EnterpriseContact(models.Model):
    """Another contact person at an enterprise (the main one is on the enterprise)."""

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="contacts", verbose_name=_("服务对象"))
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, validators=[validate_phone])
    email = models.EmailField(_("电子邮箱"), blank=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.name} {self.position}".strip()
