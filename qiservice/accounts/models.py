import hashlib
import secrets
from datetime import timedelta

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
    # When the password was last set; null for accounts made before this was kept (their
    # password's age counts from date_joined). PASSWORD_MAX_AGE_DAYS reads it.
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.name or self.username

    @property
    def display_name(self):
        return self.name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def password_set_at(self):
        return self.password_changed_at or self.date_joined


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (the current one included), so that a new
    password cannot be one of the last PASSWORD_HISTORY (passwords.PasswordHistoryValidator)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="password_history", verbose_name=_("用户"))
    password = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="password_history_user")]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class LockKind(models.TextChoices):
    ACCOUNT = "account", _("账户")
    ADDRESS = "address", _("来源地址")


class LoginThrottle(models.Model):
    """Failed logins of one account name or one address (lockout.py).

    An account name counts whether or not such a user exists, so the answer never tells
    which names exist. Kept in the database so every app process counts together.
    """

    kind = models.CharField(_("类型"), max_length=10, choices=LockKind.choices)
    key = models.CharField(_("账户名或地址"), max_length=150)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    last_failure_at = models.DateTimeField(_("最近失败时间"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败计数")
        verbose_name_plural = _("登录失败计数")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_login_throttle")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"

    def is_locked(self, now=None):
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class TotpDevice(models.Model):
    """A user's confirmed TOTP authenticator (RFC 6238). The secret is stored encrypted
    (totp.py) and never shown after enrolment; `last_step` is the time step of the last
    accepted code, so the same code (or an earlier one) is never accepted twice."""

    user = models.OneToOneField(User, models.CASCADE, related_name="totp_device", verbose_name=_("用户"))
    secret = models.TextField(_("密钥（加密）"))
    confirmed_at = models.DateTimeField(_("启用时间"), default=timezone.now)
    last_step = models.BigIntegerField(_("最近使用的时间步"), null=True, blank=True)

    class Meta:
        verbose_name = _("双因素认证器")
        verbose_name_plural = _("双因素认证器")

    def __str__(self):
        return str(self.user)


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

    # `last_used_at` is kept to the minute: a client calling many times a minute writes it
    # once a minute, not on every call.
    LAST_USED_PRECISION = timedelta(minutes=1)

    @classmethod
    def authenticate(cls, key):
        token = cls.objects.active().select_related("user").filter(key_hash=_hash_token(key or "")).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= cls.LAST_USED_PRECISION:
            cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user
