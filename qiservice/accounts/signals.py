"""Logins, logouts and failed logins: Django sends these events; the rules (the lockout
counters, the audit records with address and user agent) are in workflow.py."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import workflow
from .choices import LoginFailureReason
from .middleware import SessionActivityMiddleware


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    workflow.record_login_success(request, user)
    if request is not None and hasattr(request, "session"):
        # The login saves the session anyway: the activity time goes with it, so the first
        # page after it does not save the session again (SessionActivityMiddleware).
        request.session[SessionActivityMiddleware.KEY] = int(time.time())


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        workflow.record_logout(request, user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    """A wrong name or password, wherever authenticate() was called."""
    workflow.record_login_failure(request, str(credentials.get("username", "")), LoginFailureReason.BAD_PASSWORD)
