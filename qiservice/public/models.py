import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.choices import QIField
from qiservice.core.models import RestrictedQuerySet
from qiservice.core.validators import validate_credit_code

from .choices import AccountRequestStatus


class PolicyQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        # Published policies are public; drafts and editing belong to the agency.
        if scope.is_agency_admin:
            return self
        if action != "view":
            return self.none()
        if scope.is_agency_staff or scope.is_auditor:
            return self
        return self.filter(is_published=True)

    def published(self):
        return self.filter(is_published=True)


def policy_file_path(instance, filename):
    # A random stored name: the original name is never trusted as a path.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"policies/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Policy(models.Model):
    """R5.1 — one document of the policy and programme library (政策文件): laws, measures,
    implementation plans. Published ones are shown to everyone, also without login."""

    title = models.CharField(_("标题"), max_length=200)
    issuing_body = models.CharField(_("发文机关"), max_length=100)
    document_number = models.CharField(_("文号"), max_length=60, blank=True)
    issued_on = models.DateField(_("发布日期"))
    qi_field = models.CharField(_("领域"), max_length=30, choices=QIField.choices)
    summary = models.TextField(_("摘要"), blank=True)
    body = models.TextField(_("正文"), blank=True)
    file = models.FileField(_("PDF 文件"), upload_to=policy_file_path, blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    is_published = models.BooleanField(_("公开"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("登记人"), null=True
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")
        ordering = ["-issued_on", "-pk"]
        indexes = [models.Index(fields=["is_published", "qi_field", "issued_on"], name="policy_public_field")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("public:policy_manage_detail", args=[self.pk])

    def get_public_url(self):
        return reverse("public:policy_detail", args=[self.pk])


class AccountRequestQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        """The agency admin sees (and decides) every request; agency staff those of their
        districts (the district is read from the credit code's division code); the auditor
        reads all. Specialists do not verify accounts: a specialist cannot tell a company's
        real contact from an impostor better than the agency, and the link grants access to
        all the enterprise's records."""
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        if scope.district_ids:
            return self.filter(
                Q(district_id__in=scope.district_ids) | Q(enterprise__district_id__in=scope.district_ids)
            )
        return self.none()


class EnterpriseAccountRequest(models.Model):
    """A self-registered enterprise contact asking to act for an enterprise.

    The account logs in at once but sees nothing of any enterprise until the agency
    verifies the link and grants an enterprise_user role (`public.workflow.approve`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="enterprise_requests", verbose_name=_("申请人")
    )
    contact_name = models.CharField(_("联系人姓名"), max_length=50)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_credit_code])
    enterprise_name = models.CharField(_("企业名称"), max_length=100)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    district = models.ForeignKey(
        "accounts.District", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("所在区")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="account_requests",
        verbose_name=_("服务对象"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=AccountRequestStatus.choices, default=AccountRequestStatus.PENDING
    )
    reason = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("撤销人")
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = AccountRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业账户申请")
        verbose_name_plural = _("企业账户申请")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="account_request_queue")]

    def __str__(self):
        return f"{self.contact_name} · {self.enterprise_name}"

    def get_absolute_url(self):
        return reverse("public:verification_queue")

    @property
    def status_badge(self):
        return AccountRequestStatus(self.status).badge
