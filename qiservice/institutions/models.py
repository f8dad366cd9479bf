from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField, qi_field_labels
from qiservice.core.models import RestrictedQuerySet
from qiservice.core.validators import validate_phone

from .choices import InstitutionKind


class InstitutionQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        # The institution pool and its catalogues are shown to every user (R5.2).
        if action == "view" or scope.is_agency_admin:
            return self
        return self.filter(pk__in=scope.institution_ids)

    def with_field(self, field):
        # qi_fields is a JSON list; matching the quoted value works on SQLite and PostgreSQL.
        return self.filter(qi_fields__icontains=f'"{field}"')


class Institution(models.Model):
    """协同服务技术机构: a metrology, standards, testing or certification body."""

    name = models.CharField(_("机构名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    kind = models.CharField(_("机构类型"), max_length=30, choices=InstitutionKind.choices)
    qi_fields = models.JSONField(_("服务领域"), default=list)
    district = models.ForeignKey(
        "accounts.District", models.PROTECT, related_name="institutions", verbose_name=_("所在区")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=30, validators=[validate_phone])
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    description = models.TextField(_("机构简介"), blank=True)
    qualifications = models.TextField(_("资质情况"), blank=True, help_text=_("如 CNAS、CMA 资质及证书编号"))
    is_active = models.BooleanField(_("在库"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("技术机构")
        verbose_name_plural = _("技术机构")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("institutions:detail", args=[self.pk])

    @property
    def qi_field_labels(self):
        return qi_field_labels(self.qi_fields)


class ServiceItemQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        institutions = Institution.objects.visible_to(scope, action)
        return self.filter(Q(institution__in=institutions))


class ServiceItem(models.Model):
    """One entry of an institution's service catalogue (服务目录)."""

    institution = models.ForeignKey(
        Institution, models.CASCADE, related_name="service_items", verbose_name=_("技术机构")
    )
    qi_field = models.CharField(_("服务领域"), max_length=30, choices=QIField.choices)
    name = models.CharField(_("服务项目"), max_length=100)
    description = models.TextField(_("服务内容"), blank=True)
    is_active = models.BooleanField(_("提供中"), default=True)

    objects = ServiceItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["institution", "qi_field", "name"]

    def __str__(self):
        return self.name
