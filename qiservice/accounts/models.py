import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet
from qiservice.core.visibility import get_scope

from .choices import Role


class Agency(models.Model):
    """协同服务管理机构: the managing body of the programme, with district branches."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("管理机构")
        verbose_name_plural = _("管理机构")

    def __str__(self):
        return self.name


class DistrictQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        # District names are public; changing them is back-office work.
        if action == "view" or scope.is_agency_admin:
            return self
        return self.none()

    def assignable_for(self, user):
        """Districts where `user` may place a record (an enterprise, a specialist…)."""
        scope = get_scope(user)
        if scope.is_agency_admin or scope.is_specialist:
            return self
        return self.filter(pk__in=scope.district_ids)


class District(models.Model):
    """A district (区) the agency works in; agency staff are scoped to districts."""

    agency = models.ForeignKey(Agency, models.PROTECT, related_name="districts", verbose_name=_("管理机构"))
    name = models.CharField(_("名称"), max_length=50, unique=True)
    code = models.CharField(_("行政区划代码"), max_length=6, unique=True)
    neighbours = models.ManyToManyField("self", blank=True, verbose_name=_("相邻区"))

    objects = DistrictQuerySet.as_manager()

    class Meta:
        verbose_name = _("区")
        verbose_name_plural = _("区")
        ordering = ["code"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who logs in. Roles come from `RoleAssignment` rows (and a `Specialist`
    profile for the specialist role); a superuser counts as an agency admin."""

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.name or self.username

    @property
    def display_name(self):
        return self.name or self.username


class RoleAssignment(models.Model):
    """One role held by a user, with the organisation that scopes it.

    agency_staff rows name a district (one row per district); institution_staff rows an
    institution; enterprise_user rows an enterprise. The other roles name nothing.
    """

    user = models.ForeignKey(User, models.CASCADE, related_name="role_assignments", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    district = models.ForeignKey(District, models.PROTECT, null=True, blank=True, verbose_name=_("区"))
    institution = models.ForeignKey(
        "institutions.Institution", models.PROTECT, null=True, blank=True, verbose_name=_("技术机构")
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.PROTECT, null=True, blank=True, verbose_name=_("服务对象")
    )
    created_at = models.DateTimeField(_("授予时间"), default=timezone.now)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            # Coalesce: a role without a district (etc.) is unique too, on SQLite and PostgreSQL.
            models.UniqueConstraint(
                "user",
                "role",
                Coalesce("district", Value(0)),
                Coalesce("institution", Value(0)),
                Coalesce("enterprise", Value(0)),
                name="unique_role_assignment",
            ),
        ]

    def __str__(self):
        scope = self.district or self.institution or self.enterprise
        return f"{self.get_role_display()}（{scope}）" if scope else self.get_role_display()

    def clean(self):
        needs = {
            Role.AGENCY_STAFF: ("district", _("管理机构工作人员须指定所属区。")),
            Role.INSTITUTION_STAFF: ("institution", _("技术机构人员须指定所属技术机构。")),
            Role.ENTERPRISE_USER: ("enterprise", _("服务对象用户须指定所属企业。")),
        }
        if self.role in needs:
            field, message = needs[self.role]
            if getattr(self, f"{field}_id") is None:
                raise ValidationError({field: message})
        if self.role == Role.SPECIALIST:
            raise ValidationError({"role": _("服务专员角色由服务专员档案授予，请在服务专员库中创建。")})


def _hash_token(key):
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once."""

    PREFIX = "qit_"

    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("名称"), max_length=50)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("前缀"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def issue(cls, user, name):
        """Create a token; returns (token, key). The key cannot be recovered later."""
        key = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=_hash_token(key), key_prefix=key[:12])
        return token, key

    @classmethod
    def authenticate(cls, key):
        token = cls.objects.active().select_related("user").filter(key_hash=_hash_token(key or "")).first()
        if token is None or not token.user.is_active:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user
