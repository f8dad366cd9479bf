"""Account security, read side: what a signed-in user must do before anything else (an
expired password, a TOTP enrolment required of agency admins), and a user's login history.

The login history is a view over the audit log (core.AuditLog): the login events whose
target is the user, with the address, and the reason and user agent in `extra`.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.core.visibility import get_scope

from .choices import LoginFailureReason
from .models import LockKind, TotpDevice

PASSWORD_EXPIRED = "password_expired"  # noqa: S105 - a state name, not a password
TOTP_REQUIRED = "totp_required"

LOGIN_EVENTS = (
    AuditEvent.LOGIN,
    AuditEvent.LOGIN_FAILED,
    AuditEvent.LOGOUT,
    AuditEvent.ACCOUNT_LOCKED,
    AuditEvent.ACCOUNT_UNLOCKED,
)


def password_expired(user, now=None):
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days <= 0 or not user.has_usable_password():
        return False
    return user.password_set_at <= (now or timezone.now()) - timedelta(days=days)


def has_totp(user):
    return TotpDevice.objects.filter(user=user).exists()


def totp_required(user):
    return bool(settings.TOTP_REQUIRED_FOR_ADMINS and get_scope(user).is_agency_admin)


def pending_action(user):
    """PASSWORD_EXPIRED, TOTP_REQUIRED or None for a signed-in user."""
    if password_expired(user):
        return PASSWORD_EXPIRED
    if totp_required(user) and not has_totp(user):
        return TOTP_REQUIRED
    return None


def login_history(user):
    """The user's login events, newest first."""
    from .models import User

    return AuditLog.objects.filter(
        target_type=ContentType.objects.get_for_model(User),
        target_id=str(user.pk),
        event_type__in=LOGIN_EVENTS,
    ).order_by("-created_at", "-pk")


REASONS = dict(LoginFailureReason.choices)
KINDS = dict(LockKind.choices)


def describe(entry):
    """The reason or details of one history entry, in words."""
    extra = entry.extra or {}
    if entry.event_type == AuditEvent.LOGIN_FAILED:
        return str(REASONS.get(extra.get("reason"), REASONS[LoginFailureReason.BAD_PASSWORD]))
    if entry.event_type in (AuditEvent.ACCOUNT_LOCKED, AuditEvent.ACCOUNT_UNLOCKED):
        return str(KINDS.get(extra.get("kind"), ""))
    return ""
