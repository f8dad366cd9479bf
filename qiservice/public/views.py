"""Public pages (no login): what the programme offers, the institutions and their service
catalogues, the published typical cases, the policy library (R5.1) and how to get help;
enterprise self-registration; the agency's verification queue and policy management."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qiservice.core import audit
from qiservice.core.choices import QIField
from qiservice.core.files import safe_file_name
from qiservice.core.masking import annotate_contact, can_see_contact
from qiservice.core.ratelimit import is_limited
from qiservice.core.tables import Column
from qiservice.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from qiservice.core.visibility import get_scope
from qiservice.demands.models import TypicalCase
from qiservice.institutions.models import Institution, ServiceItem

from . import workflow
from .choices import AccountRequestStatus
from .forms import ApproveForm, PolicyFilterForm, PolicyForm, RegistrationForm
from .models import EnterpriseAccountRequest, Policy

PUBLIC_PAGE_SIZE = 20


def _limit(name, default):
    """A rate limit (count, seconds) from settings.RATE_LIMITS, or the default."""
    return getattr(settings, "RATE_LIMITS", {}).get(name, default)


def too_many(request, template="public/too_many.html"):
    return render(request, template, {"message": _("操作过于频繁，请稍后再试。")}, status=429)


def _page(request, queryset):
    return Paginator(queryset, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))


def home(request):
    """The public home: the programme per QI field, latest policies and cases."""
    context = {
        "fields": QIField.choices[:5],
        "institution_count": Institution.objects.filter(is_active=True).count(),
        "policies": Policy.objects.published().only("title", "issued_on", "qi_field")[:5],
        "cases": TypicalCase.objects.published().only("title", "masked_enterprise").order_by("-reviewed_at")[:4],
    }
    return render(request, "public/home.html", context)


def help_page(request):
    return render(request, "public/help.html", {"hotline": getattr(settings, "SERVICE_HOTLINE", "12345")})


# --- institutions and their service catalogues (only public fields) ---------------------


def institution_list(request):
    field = request.GET.get("qi_field", "")
    queryset = Institution.objects.filter(is_active=True).select_related("district").order_by("name")
    if field in QIField.values:
        queryset = queryset.with_field(field)
    return render(
        request,
        "public/institution_list.html",
        {"page": _page(request, queryset), "fields": QIField.choices[:5], "field": field},
    )


def institution_detail(request, pk):
    institution = get_object_or_404(
        Institution.objects.filter(is_active=True)
        .select_related("district")
        .prefetch_related(Prefetch("service_items", ServiceItem.objects.filter(is_active=True))),
        pk=pk,
    )
    return render(request, "public/institution_detail.html", {"institution": institution})


# --- published typical cases, enterprise masked --------------------------------------------


def _masked(case, text):
    """Replace the enterprise's name, short forms and credit code in a text by the masked
    name, so a summary written with the real name does not reveal it."""
    enterprise = case.demand.enterprise
    names = {enterprise.name, enterprise.credit_code}
    short = re.sub(r"(有限责任公司|股份有限公司|有限公司|公司)$", "", enterprise.name)
    # Also the name without the city ("厦门集美精密机械" -> "集美精密机械").
    for name in (short, re.sub(r"^(厦门市|厦门)", "", short)):
        if len(name) >= 4:
            names.add(name)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, case.masked_enterprise)
    return text


def case_list(request):
    field = request.GET.get("qi_field", "")
    queryset = TypicalCase.objects.published().prefetch_related("demand__category_rows").order_by("-reviewed_at", "-pk")
    if field in QIField.values:
        queryset = queryset.filter(demand__category_rows__category=field).distinct()
    cases = _page(request, queryset)
    return render(
        request,
        "public/case_list.html",
        {"page": cases, "fields": QIField.choices[:5], "field": field},
    )


def case_detail(request, pk):
    case = get_object_or_404(
        TypicalCase.objects.published().select_related("demand__enterprise", "demand__summary"), pk=pk
    )
    summary = getattr(case.demand, "summary", None)
    sections = [(_("典型意义"), _masked(case, case.highlights))]
    if summary is not None:
        sections += [
            (_("解决的问题"), _masked(case, summary.problems_solved)),
            (_("解决问题的方法"), _masked(case, summary.methods)),
            (_("取得的成效"), _masked(case, summary.results)),
        ]
    return render(
        request,
        "public/case_detail.html",
        {"case": case, "sections": sections, "categories": case.demand.category_labels},
    )


# --- policy library (R5.1) -----------------------------------------------------------------


def _search_policies(queryset, data):
    form = PolicyFilterForm(data)
    if form.is_valid():
        if form.cleaned_data["qi_field"]:
            queryset = queryset.filter(qi_field=form.cleaned_data["qi_field"])
        q = form.cleaned_data["q"].strip()
        if q:
            queryset = queryset.filter(
                Q(title__icontains=q)
                | Q(document_number__icontains=q)
                | Q(issuing_body__icontains=q)
                | Q(summary__icontains=q)
                | Q(body__icontains=q)
            )
    return queryset, form


def policy_list(request):
    queryset, form = _search_policies(Policy.objects.published().defer("body"), request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "public/policy_list.html",
        {"page": _page(request, queryset), "form": form, "query": query.urlencode(), "fields": QIField.choices},
    )


def policy_detail(request, pk):
    policy = get_object_or_404(Policy.objects.published(), pk=pk)
    return render(request, "public/policy_detail.html", {"policy": policy})


def policy_file(request, pk):
    """The PDF of a policy: published ones for everyone, drafts for the agency."""
    # restrict() gives anonymous visitors nothing, so they fall back to the published ones.
    policy = Policy.objects.restrict(request.user).filter(pk=pk).first()
    policy = policy or Policy.objects.published().filter(pk=pk).first()
    if policy is None or not policy.file:
        raise Http404
    name = policy.file_name or f"{policy.title}.pdf"
    return FileResponse(policy.file.open("rb"), content_type="application/pdf", filename=name)


# --- registration and the pending page -----------------------------------------------------


def register(request):
    """8.1.1 — an enterprise contact creates an account; the link to the enterprise waits
    for the agency's verification."""
    if request.user.is_authenticated:
        return redirect("public:pending")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        count, period = _limit("register", (5, 3600))
        if is_limited(request, "register", limit=count, period=period):
            return render(
                request,
                "public/register.html",
                {"form": form, "limited": _("注册过于频繁，请一小时后再试。")},
                status=429,
            )
        if form.is_valid():
            data = form.cleaned_data
            account_request = workflow.register(
                username=data["username"],
                password=data["password1"],
                contact_name=data["contact_name"],
                credit_code=data["credit_code"],
                enterprise_name=data["enterprise_name"],
                phone=data["phone"],
                email=data["email"],
            )
            auth_login(request, account_request.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功。管理机构核实后，您即可查看和办理本企业的服务事项。"))
            return redirect("public:pending")
    return render(request, "public/register.html", {"form": form})


@login_required
def pending(request):
    """What a self-registered contact sees until verified: their requests and their state."""
    requests = EnterpriseAccountRequest.objects.filter(user=request.user).select_related("enterprise")
    scope = get_scope(request.user)
    return render(request, "public/pending.html", {"requests": requests, "has_enterprise": bool(scope.enterprise_ids)})


def pending_panel(request, scope):
    """Home-page panel for an account still waiting for verification."""
    if scope.enterprise_ids or scope.is_agency or scope.is_specialist or scope.institution_ids:
        return {}
    if not EnterpriseAccountRequest.objects.filter(user_id=scope.user_id).exists():
        return {}
    return {"home_panels": ["public/_home_pending.html"]}


# --- the agency's verification queue -------------------------------------------------------


def _may_verify(user):
    scope = get_scope(user)
    return scope.is_agency or scope.is_auditor


@login_required
def verification_queue(request):
    if not _may_verify(request.user):
        raise PermissionDenied
    status = request.GET.get("status", AccountRequestStatus.PENDING)
    queryset = annotate_contact(  # phone and e-mail masked for those who may not read them (R6.2)
        EnterpriseAccountRequest.objects.restrict(request.user)
        .select_related("user", "district", "enterprise", "decided_by")
        .order_by("created_at", "pk"),
        request.user,
    )
    if status in AccountRequestStatus.values:
        queryset = queryset.filter(status=status)
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(
            Q(enterprise_name__icontains=q) | Q(credit_code__icontains=q) | Q(contact_name__icontains=q)
        )
    page = _page(request, queryset)
    can_change = get_scope(request.user).is_agency
    for item in page:
        item.approve_form = ApproveForm(user=request.user, prefix=f"r{item.pk}", initial=_approve_initial(item))
        item.needs_enterprise = item.enterprise_id is None
    return render(
        request,
        "public/verification_queue.html",
        {"page": page, "status": status, "statuses": AccountRequestStatus.choices, "q": q, "can_change": can_change},
    )


def _approve_initial(item):
    return {"district": item.district_id, "contact_phone": item.phone}


def _row(request, item, error=None):
    """The queue row after an htmx action (or a redirect without htmx)."""
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("public:verification_queue")
    item.approve_form = ApproveForm(user=request.user, prefix=f"r{item.pk}", initial=_approve_initial(item))
    item.needs_enterprise = item.enterprise_id is None and item.status == AccountRequestStatus.PENDING
    item.contact_full = can_see_contact(request.user, item)
    return render(request, "public/_request_row.html", {"item": item, "error": error, "can_change": True})


@login_required
@require_POST
def approve_request(request, pk):
    item = EnterpriseAccountRequest.objects.get_for(request.user, pk, "change")
    form = ApproveForm(request.POST, user=request.user, prefix=f"r{item.pk}")
    error = None
    if form.is_valid():
        try:
            item = workflow.approve(item, by=request.user, enterprise_data=form.cleaned_data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if not request.htmx:  # with htmx the row itself shows the new state
                messages.success(request, _("已通过：%(name)s") % {"name": item})
    else:
        error = " ".join(m for ms in form.errors.values() for m in ms)
    item.refresh_from_db()
    return _row(request, item, error)


@login_required
@require_POST
def reject_request(request, pk):
    item = EnterpriseAccountRequest.objects.get_for(request.user, pk, "change")
    error = None
    try:
        workflow.reject(item, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    item.refresh_from_db()
    return _row(request, item, error)


@login_required
@require_POST
def revoke_request(request, pk):
    item = EnterpriseAccountRequest.objects.get_for(request.user, pk, "change")
    error = None
    try:
        workflow.revoke(item, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    item.refresh_from_db()
    return _row(request, item, error)


# --- policy management (agency) ------------------------------------------------------------


class PolicyManageListView(ObjectListView):
    model = Policy
    title = gettext_lazy("政策文件库管理")
    search_fields = ("title", "document_number", "issuing_body", "summary")
    default_sort = ("-issued_on", "-pk")
    create_url = "public:policy_create"
    columns = (
        Column("title", gettext_lazy("标题"), sort="title", link=True, primary=True),
        Column("issuing_body", gettext_lazy("发文机关")),
        Column("document_number", gettext_lazy("文号")),
        Column("issued_on", gettext_lazy("发布日期"), sort="issued_on"),
        Column("qi_field", gettext_lazy("领域"), sort="qi_field"),
        Column("is_published", gettext_lazy("公开")),
    )

    def has_permission(self):
        scope = get_scope(self.request.user)
        return scope.is_agency or scope.is_auditor

    def get_queryset(self):
        return super().get_queryset().defer("body")

    def can_create(self):
        return get_scope(self.request.user).is_agency_admin


class PolicyManageDetailView(ObjectDetailView):
    model = Policy
    template_name = "public/policy_manage_detail.html"

    def get_object(self, pk, action=None):
        scope = get_scope(self.request.user)
        if not (scope.is_agency or scope.is_auditor):
            raise PermissionDenied
        return super().get_object(pk, action)

    def extra_context(self, obj):
        return {"history": audit.history(obj)[:20]}


class PolicyEditView(ObjectEditView):
    model = Policy
    form_class = PolicyForm
    template_name = "public/policy_form.html"
    title_create = gettext_lazy("新增政策文件")
    title_edit = gettext_lazy("编辑政策文件")

    def may_create(self):
        return get_scope(self.request.user).is_agency_admin

    def get_form(self, obj, data=None):
        files = self.request.FILES if data is not None else None
        return self.form_class(data=data, files=files, instance=obj, user=self.request.user)

    def save(self, form, formsets):
        policy = form.save(commit=False)
        upload = form.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):
            policy.file_name = safe_file_name(upload.name)
        elif not policy.file:
            policy.file_name = ""
        return workflow.save_policy(policy, by=self.request.user, expected_updated_at=form.expected_updated_at)
