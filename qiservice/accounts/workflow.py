"""Rules for accounts: roles, API tokens, and the login controls (lockout, passwords, TOTP)."""

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import forget_scope, get_scope

from . import lockout, totp
from .choices import LoginFailureReason
from .models import ApiToken, LockKind, LoginThrottle, RoleAssignment, TotpDevice


@transaction.atomic
def grant_role(user, role, *, by, district=None, institution=None, enterprise=None):
    assignment = RoleAssignment(user=user, role=role, district=district, institution=institution, enterprise=enterprise)
    assignment.full_clean()
    assignment.save()
    audit.record(AuditEvent.CREATED, assignment, actor=by, changes={"user": user.username, "role": role})
    forget_scope(user)
    return assignment


@transaction.atomic
def issue_token(user, name):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称，例如用途或对接系统名称。")})
    if len(name) > 50:
        raise ValidationError({"name": _("令牌名称不能超过50个字符。")})
    token, key = ApiToken.issue(user, name)
    audit.record(AuditEvent.TOKEN_CREATED, token, actor=user)
    return token, key


@transaction.atomic
def revoke_token(token, *, by):
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(AuditEvent.TOKEN_REVOKED, token, actor=by)
    return token


# --- login: failures, lockout, success ----------------------------------------------------


def user_agent(request):
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300]


def user_named(username):
    """The account a login name refers to (names are unique regardless of case), or None."""
    name = (username or "").strip()
    if not name:
        return None
    return get_user_model().objects.filter(username__iexact=name).order_by("pk").first()


def _counter(kind, key):
    row, _created = LoginThrottle.objects.get_or_create(kind=kind, key=key)
    return LoginThrottle.objects.select_for_update().get(pk=row.pk)


@transaction.atomic
def record_login_failure(request, username, reason):
    """A failed login: counted against the account name and the address (unless it was
    refused because one of them is locked), audited with its reason. Reaching
    LOGIN_LOCKOUT_ATTEMPTS within the window locks the name or the address. Returns the
    locks set by this failure."""
    now = timezone.now()
    address = lockout.address_of(request)
    user = user_named(username)
    agent = user_agent(request)
    newly_locked = []
    if reason != LoginFailureReason.LOCKED:
        for kind, key in lockout.keys(username, address):
            row = _counter(kind, key)
            if row.is_locked(now):
                continue
            stale = row.last_failure_at is None or row.last_failure_at <= now - lockout.window()
            if stale or row.locked_until is not None:  # a new run of failures
                row.failures, row.locked_until = 0, None
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= settings.LOGIN_LOCKOUT_ATTEMPTS:
                row.locked_until = now + lockout.window()
                newly_locked.append(row)
            row.save()
    name = str(username or "")[:150]
    audit.record(
        AuditEvent.LOGIN_FAILED, user, extra={"username": name, "reason": reason, "user_agent": agent}, ip=address
    )
    for row in newly_locked:
        audit.record(
            AuditEvent.ACCOUNT_LOCKED,
            user or row,
            extra={
                "kind": row.kind,
                "key": row.key,
                "failures": row.failures,
                "locked_until": row.locked_until,
                "username": name,
                "user_agent": agent,
            },
            ip=address,
        )
    return newly_locked


@transaction.atomic
def record_login_success(request, user):
    """A completed login (password, and the TOTP code when enrolled): the account's
    failure count starts again; the address's does not (one good login must not reset an
    address that is guessing other accounts)."""
    LoginThrottle.objects.filter(kind=LockKind.ACCOUNT, key=lockout.account_key(user.username)).delete()
    audit.record(
        AuditEvent.LOGIN, user, actor=user, ip=lockout.address_of(request), extra={"user_agent": user_agent(request)}
    )


def record_logout(request, user):
    audit.record(
        AuditEvent.LOGOUT, user, actor=user, ip=lockout.address_of(request), extra={"user_agent": user_agent(request)}
    )


def _require_admin(by):
    if not get_scope(by).is_agency_admin:
        raise PermissionDenied(_("只有管理机构管理员可以执行此操作。"))


@transaction.atomic
def unlock(throttle, *, by):
    """An agency admin lifts a lock (of an account name or an address) before its time."""
    _require_admin(by)
    row = LoginThrottle.objects.select_for_update().filter(pk=throttle.pk).first()
    if row is None or not row.is_locked():
        raise ValidationError(_("该锁定已解除或已到期，无需再解锁。"))
    until = row.locked_until
    row.failures, row.locked_until, row.last_failure_at = 0, None, None
    row.save()
    target = (user_named(row.key) if row.kind == LockKind.ACCOUNT else None) or row
    audit.record(
        AuditEvent.ACCOUNT_UNLOCKED, target, actor=by, extra={"kind": row.kind, "key": row.key, "locked_until": until}
    )
    return row


# --- passwords --------------------------------------------------------------------------


@transaction.atomic
def change_password(user, new_password, *, by):
    """Set a new password after the rules (settings.AUTH_PASSWORD_VALIDATORS: length,
    character classes, not the username, not recently used); the history is kept by
    passwords.PasswordHistoryValidator.password_changed when the user is saved."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "password_changed_at"])
    audit.record(AuditEvent.PASSWORD_CHANGED, user, actor=by)
    return user


# --- TOTP -------------------------------------------------------------------------------


@transaction.atomic
def enable_totp(user, secret, code):
    """Confirm an enrolment: the code from the authenticator must match the new secret."""
    if TotpDevice.objects.select_for_update().filter(user=user).exists():
        raise ValidationError(_("您已启用双因素认证。"))
    step = totp.matching_step(secret, code)
    if step is None:
        raise ValidationError({"code": _("验证码不正确。请确认手机时间准确，并输入认证器上当前显示的6位数字。")})
    device = TotpDevice.objects.create(user=user, secret=totp.encrypt(secret), last_step=step)
    audit.record(AuditEvent.TOTP_ENABLED, user, actor=user)
    return device


@transaction.atomic
def verify_totp(user, code):
    """True when `code` is the user's current code and has not been used before; the step
    is remembered so the same code is refused next time."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        return False
    step = totp.matching_step(totp.decrypt(device.secret), code, after=device.last_step)
    if step is None:
        return False
    device.last_step = step
    device.save(update_fields=["last_step"])
    return True


@transaction.atomic
def disable_totp(user, password):
    """The user turns the second factor off, confirming with their password."""
    if not user.check_password(password or ""):
        raise ValidationError({"password": _("密码不正确，双因素认证未停用。")})
    if settings.TOTP_REQUIRED_FOR_ADMINS and get_scope(user).is_agency_admin:
        raise ValidationError(_("管理机构管理员必须使用双因素认证，不能停用。"))
    deleted, _rows = TotpDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ValidationError(_("您尚未启用双因素认证。"))
    audit.record(AuditEvent.TOTP_DISABLED, user, actor=user)


@transaction.atomic
def reset_totp(user, *, by):
    """An agency admin removes another user's authenticator (a lost phone); the user logs
    in with the password alone and may enrol again."""
    _require_admin(by)
    deleted, _rows = TotpDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ValidationError(_("该用户未启用双因素认证。"))
    audit.record(AuditEvent.TOTP_RESET, user, actor=by)


@transaction.atomic
def purge_login_throttles(now=None):
    """Drop the counters that no longer matter (no lock in force, last failure outside the
    window), so the table holds only recent failures. Their failures stay in the audit log."""
    now = now or timezone.now()
    stale = LoginThrottle.objects.filter(last_failure_at__lt=now - lockout.window()).exclude(locked_until__gt=now)
    return stale.delete()[0]
