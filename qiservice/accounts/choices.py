from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The platform's roles (REQUIREMENTS "The users"). A user may hold several."""

    AGENCY_ADMIN = "agency_admin", _("管理机构管理员")
    AGENCY_STAFF = "agency_staff", _("管理机构工作人员")
    SPECIALIST = "specialist", _("服务专员")
    INSTITUTION_STAFF = "institution_staff", _("技术机构人员")
    ENTERPRISE_USER = "enterprise_user", _("服务对象用户")
    AUDITOR = "auditor", _("领导/审计（只读）")


class LoginFailureReason(models.TextChoices):
    """Why a login attempt failed (the login history and the audit log's `extra.reason`)."""

    BAD_PASSWORD = "bad_password", _("用户名或密码错误")
    LOCKED = "locked", _("已锁定")
    BAD_TOTP = "bad_totp", _("动态验证码错误")
