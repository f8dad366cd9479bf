"""Logins and logouts go to the audit log (Django sends these events; no business rule here)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from qiservice.core import audit
from qiservice.core.models import AuditEvent


def _ip(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record(AuditEvent.LOGIN, user, actor=user, ip=_ip(request))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditEvent.LOGOUT, user, actor=user, ip=_ip(request))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    audit.record(
        AuditEvent.LOGIN_FAILED, extra={"username": str(credentials.get("username", ""))[:150]}, ip=_ip(request)
    )
