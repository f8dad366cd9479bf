"""Account security pages: every user's password, TOTP and login history; the agency's
security page (locks in force, any user's history, TOTP reset)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qiservice.core.visibility import get_scope

from . import lockout, security, totp, workflow
from .forms import PasswordChangeForm, TotpCodeForm, TotpDisableForm
from .models import LockKind, LoginThrottle, TotpDevice, User

TOTP_ENROLMENT = "totp_enrolment"  # the session key of a secret being enrolled (encrypted)


def _errors(form, error):
    """Put a rules function's ValidationError on the form's fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def password_change(request):
    """Every user's own password; also where an expired password sends its user."""
    expired = security.password_expired(request.user)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = workflow.change_password(request.user, form.cleaned_data["new_password1"], by=request.user)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect("account")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "expired": expired, "max_age_days": settings.PASSWORD_MAX_AGE_DAYS},
    )


@login_required
def account(request):
    """The user's own security: password age, the second factor, a link to the history."""
    user = request.user
    return render(
        request,
        "accounts/account.html",
        {
            "device": TotpDevice.objects.filter(user=user).first(),
            "disable_form": TotpDisableForm(),
            "totp_required": security.totp_required(user),
            "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
            "recent": _annotated(security.login_history(user)[:5]),
        },
    )


@login_required
def totp_setup(request):
    """Enrol an authenticator app: scan the QR code (or type the key), confirm one code.
    The key is kept in the session (encrypted) until confirmed and never shown again."""
    user = request.user
    if security.has_totp(user):
        messages.info(request, _("您已启用双因素认证。"))
        return redirect("account")
    secret = totp.decrypt(request.session.get(TOTP_ENROLMENT, "")) if request.session.get(TOTP_ENROLMENT) else None
    if not secret:
        secret = totp.new_secret()
        request.session[TOTP_ENROLMENT] = totp.encrypt(secret)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.enable_totp(user, secret, form.cleaned_data["code"])
        except ValidationError as error:
            _errors(form, error)
        else:
            request.session.pop(TOTP_ENROLMENT, None)
            messages.success(request, _("双因素认证已启用。以后登录时，输入密码后还需输入认证器上的验证码。"))
            return redirect("account")
    uri = totp.provisioning_uri(secret, user)
    return render(
        request,
        "accounts/totp_setup.html",
        {
            "form": form,
            "qr_svg": totp.qr_svg(uri),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": security.pending_action(user) == security.TOTP_REQUIRED,
        },
    )


@login_required
@require_POST
def totp_disable(request):
    form = TotpDisableForm(request.POST)
    if form.is_valid():
        try:
            workflow.disable_totp(request.user, form.cleaned_data["password"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("双因素认证已停用。"))
    else:
        messages.error(request, _("请输入登录密码以确认停用。"))
    return redirect("account")


def _annotated(entries):
    entries = list(entries)
    for entry in entries:
        extra = entry.extra or {}
        entry.detail = security.describe(entry)
        entry.user_agent = extra.get("user_agent", "")
        until = extra.get("locked_until")
        entry.locked_until = parse_datetime(until) if isinstance(until, str) else None
    return entries


def _history_page(request, user):
    page = Paginator(security.login_history(user), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _annotated(page.object_list)
    return page


@login_required
def login_history(request):
    """The user's own logins, failures, logouts and locks."""
    return render(request, "accounts/login_history.html", {"page": _history_page(request, request.user)})


# --- the agency's security page ------------------------------------------------------------


def _sees_accounts(user):
    return get_scope(user).sees_everything


@login_required
def security_overview(request):
    """Locks in force (with an unlock button for the agency admin), the policy in force,
    and the accounts, each linking to its security page."""
    if not _sees_accounts(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    users = User.objects.annotate(
        has_totp=Exists(TotpDevice.objects.filter(user=OuterRef("pk"))),
    ).order_by("username")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(name__icontains=q))
    page = Paginator(users, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    locks = list(lockout.current_locks())
    locked_names = {lock.key for lock in locks if lock.kind == LockKind.ACCOUNT}
    for user in page:
        user.locked = user.username.lower() in locked_names
    return render(
        request,
        "accounts/security.html",
        {
            "locks": locks,
            "page": page,
            "q": q,
            "query": f"q={q}" if q else "",
            "can_change": get_scope(request.user).is_agency_admin,
            "policy": {
                "attempts": settings.LOGIN_LOCKOUT_ATTEMPTS,
                "minutes": settings.LOGIN_LOCKOUT_MINUTES,
                "min_length": settings.PASSWORD_MIN_LENGTH,
                "history": settings.PASSWORD_HISTORY,
                "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
                "totp_required": settings.TOTP_REQUIRED_FOR_ADMINS,
                "session_minutes": settings.SESSION_COOKIE_AGE // 60,
            },
        },
    )


def _account_for(request, pk):
    """Another user's account for the agency admin and the auditor; a 404 for everyone
    else (whether the account exists is not revealed)."""
    if not _sees_accounts(request.user):
        raise Http404
    return get_object_or_404(User, pk=pk)


@login_required
def security_user(request, pk):
    user = _account_for(request, pk)
    lock = LoginThrottle.objects.filter(kind=LockKind.ACCOUNT, key=lockout.account_key(user.username)).first()
    return render(
        request,
        "accounts/security_user.html",
        {
            "account": user,
            "lock": lock if lock is not None and lock.is_locked() else None,
            "device": TotpDevice.objects.filter(user=user).first(),
            "page": _history_page(request, user),
            "can_change": get_scope(request.user).is_agency_admin,
        },
    )


@login_required
@require_POST
def security_unlock(request, pk):
    if not _sees_accounts(request.user):
        raise Http404
    lock = get_object_or_404(LoginThrottle, pk=pk)
    try:
        workflow.unlock(lock, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已解除锁定：%(lock)s") % {"lock": lock})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/security/") else "security")


@login_required
@require_POST
def security_reset_totp(request, pk):
    user = _account_for(request, pk)
    try:
        workflow.reset_totp(user, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已重置 %(user)s 的双因素认证。") % {"user": user.display_name})
    return redirect("security_user", pk=user.pk)
