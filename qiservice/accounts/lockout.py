"""Login lockout, read side: which account names and addresses are locked now.

The counters are `LoginThrottle` rows (written by workflow.record_login_failure and
friends). After LOGIN_LOCKOUT_ATTEMPTS failures within LOGIN_LOCKOUT_MINUTES, the account
name and the address are each locked for LOGIN_LOCKOUT_MINUTES, or until an agency admin
unlocks them. The cache rate limit of the login form (core/ratelimit.py) stays in front
of this as a coarse throttle.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core.ratelimit import client_address

from .models import LockKind, LoginThrottle


def account_key(username):
    """Names are compared case-insensitively, so ADMIN and admin share one counter."""
    return (username or "").strip().lower()[:150]


def address_of(request):
    """The caller's address as the rate limits see it (REMOTE_ADDR, set by the proxy), or
    None outside a real request (then only the account name is counted)."""
    if request is None or not request.META.get("REMOTE_ADDR"):
        return None
    return client_address(request)


def window():
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def keys(username, address):
    pairs = []
    if account_key(username):
        pairs.append((LockKind.ACCOUNT, account_key(username)))
    if address:
        pairs.append((LockKind.ADDRESS, address))
    return pairs


def active_locks(username, address, now=None):
    """The locks that refuse a login of `username` from `address` now."""
    now = now or timezone.now()
    pairs = keys(username, address)
    if not pairs:
        return []
    rows = LoginThrottle.objects.filter(locked_until__gt=now)
    condition = Q()
    for kind, key in pairs:
        condition |= Q(kind=kind, key=key)
    return list(rows.filter(condition))


def locked_message():
    """The same words whether or not the account exists, and whichever counter locked."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return _("登录失败次数过多，已暂时锁定。请 %(minutes)d 分钟后再试，或联系管理机构管理员解锁。") % {
        "minutes": minutes
    }


def current_locks(now=None):
    """Every lock in force, for the admin's security page."""
    return LoginThrottle.objects.filter(locked_until__gt=now or timezone.now()).order_by("-locked_until")
