from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qiservice.core.ratelimit import is_limited
from qiservice.core.visibility import get_scope
from qiservice.enterprises.models import Enterprise
from qiservice.institutions.models import Institution
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist

from . import lockout, security, workflow
from .choices import LoginFailureReason
from .forms import LoginForm, TotpCodeForm
from .models import ApiToken, User


def home(request):
    """The start page: what this user's roles look after, in figures and links. An
    anonymous visitor gets the public home page instead of the login form."""
    if not request.user.is_authenticated:
        return redirect("public:home")
    user = request.user
    scope = get_scope(user)
    for home_of in HOME_REDIRECTS:
        url = home_of(scope)
        if url:
            return redirect(url)
    context = {"scope": scope, "specialist_statuses": SpecialistStatus.choices, "home_panels": []}
    if scope.is_agency or scope.is_auditor:
        specialists = Specialist.objects.restrict(user)
        context["pool"] = {
            "enterprises": Enterprise.objects.restrict(user).count(),
            "institutions": Institution.objects.restrict(user).filter(is_active=True).count(),
            "specialists_by_status": list(specialists.values("status").annotate(n=Count("pk")).order_by("status")),
        }
        context["recent_enterprises"] = (
            Enterprise.objects.restrict(user).select_related("district").order_by("-created_at")[:5]
        )
    if scope.is_specialist:
        context["me"] = Specialist.objects.prefetch_related("fields").get(pk=scope.specialist_id)
    if scope.institution_ids:
        context["my_institutions"] = Institution.objects.filter(pk__in=scope.institution_ids).annotate(
            n_items=Count("service_items")
        )
    if scope.enterprise_ids:
        context["my_enterprises"] = Enterprise.objects.filter(pk__in=scope.enterprise_ids)
    for extend in HOME_EXTENSIONS:
        extra = extend(request, scope)
        context["home_panels"] = context["home_panels"] + list(extra.pop("home_panels", []))
        context.update(extra)
    return render(request, "accounts/home.html", context)


class LoginView(auth_views.LoginView):
    """Django's login behind two guards: a rate limit per address and per username (a
    fixed window in the cache, answered 429 before any password check) and the lockout
    (accounts/lockout.py, in the database). A user with a TOTP authenticator is not logged
    in yet: the second step (login_totp) asks for the code."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        limits = getattr(settings, "RATE_LIMITS", {})
        count, period = limits.get("login_address", (30, 300))
        limited = is_limited(request, "login_address", limit=count, period=period)
        username = (request.POST.get("username") or "").strip().lower()
        if username:
            count, period = limits.get("login_username", (10, 300))
            limited = is_limited(request, "login_username", limit=count, period=period, key=username) or limited
        if limited:
            context = self.get_context_data(form=self.get_form_class()(request))
            context["limited"] = _("登录尝试过于频繁，请5分钟后再试。")
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if security.has_totp(user):
            self.request.session[TOTP_PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": timezone.now().timestamp(),
                "next": self.get_success_url(),
            }
            return redirect("login_totp")
        return super().form_valid(form)


TOTP_PENDING = "totp_pending"
TOTP_PENDING_SECONDS = 300


def _pending_totp_user(request):
    pending = request.session.get(TOTP_PENDING)
    if not pending or timezone.now().timestamp() - pending.get("at", 0) > TOTP_PENDING_SECONDS:
        return None, None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def login_totp(request):
    """The second step of a login with TOTP: the password was right; now the code. Wrong
    codes count towards the lockout like wrong passwords."""
    user, pending = _pending_totp_user(request)
    if user is None:
        request.session.pop(TOTP_PENDING, None)
        return redirect("login")
    form = TotpCodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        address = lockout.address_of(request)
        if lockout.active_locks(user.username, address):
            workflow.record_login_failure(request, user.username, LoginFailureReason.LOCKED)
            error = lockout.locked_message()
        elif workflow.verify_totp(user, form.cleaned_data["code"]):
            request.session.pop(TOTP_PENDING, None)
            auth_login(request, user, backend=pending["backend"])
            return redirect(pending.get("next") or settings.LOGIN_REDIRECT_URL)
        else:
            workflow.record_login_failure(request, user.username, LoginFailureReason.BAD_TOTP)
            if lockout.active_locks(user.username, address):
                error = lockout.locked_message()
            else:
                error = _("动态验证码不正确或已使用过，请输入认证器上新的验证码。")
        if lockout.active_locks(user.username, address):
            request.session.pop(TOTP_PENDING, None)
    return render(request, "accounts/login_totp.html", {"form": form, "error": error})


# Other apps add to the home page: functions (request, scope) -> context dict.
HOME_EXTENSIONS = []
# Roles whose home is elsewhere (the enterprise portal): functions (scope) -> a URL or None.
HOME_REDIRECTS = []


@login_required
def tokens(request):
    """The user's own API tokens: create (the key is shown once) and revoke."""
    new_key = None
    if request.method == "POST":
        try:
            token, new_key = workflow.issue_token(request.user, request.POST.get("name"))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("令牌“%(name)s”已创建。") % {"name": token.name})
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": ApiToken.objects.filter(user=request.user), "new_key": new_key},
    )


@login_required
@require_POST
def revoke_token(request, pk):
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    workflow.revoke_token(token, by=request.user)
    messages.success(request, _("令牌“%(name)s”已撤销，使用它的请求将被拒绝。") % {"name": token.name})
    return redirect("tokens")
