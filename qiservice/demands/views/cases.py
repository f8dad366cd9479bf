"""Pages of typical cases (8.5.2): the case library, the agency's review queue, the
specialist's nominations, a case, the nomination form and the review.

Who sees a case: an approved and published case is in everyone's library; an approved but
unpublished one only for those who may see its demand. A case in review (nominated or
returned) is seen by the agency admin and auditors, agency staff whose scope holds the
demand, and the demand's specialist or the nominator. The real enterprise name is shown
only to those who may see the demand (`Demand.objects.restrict`); everyone else reads the
masked name, and the real name is masked in the case's texts too.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qiservice.core.forms import style_form
from qiservice.core.views import ObjectListView
from qiservice.core.visibility import get_scope

from .. import workflow
from ..choices import CaseStatus
from ..forms.cases import CaseFilterSet, NominationForm, ReviewForm
from ..models import Demand, TypicalCase

CASE_BADGES = {CaseStatus.NOMINATED: "warning", CaseStatus.APPROVED: "success", CaseStatus.RETURNED: "secondary"}

# --- who sees what -----------------------------------------------------------------------------


def cases_for(user):
    """Every case the user may open (see the module docstring)."""
    scope = get_scope(user)
    if not scope.is_authenticated:
        return TypicalCase.objects.none()
    if scope.sees_everything:
        return TypicalCase.objects.all()
    in_scope = Q(demand__in=Demand.objects.restrict(user).values("pk"))
    library = Q(status=CaseStatus.APPROVED) & (Q(is_published=True) | in_scope)
    if scope.is_agency:
        in_review = in_scope
    else:
        own = Q(nominated_by_id=user.pk)
        if scope.is_specialist:
            own |= Q(demand__specialist_id=scope.specialist_id)
        in_review = in_scope & own
    return TypicalCase.objects.filter(library | in_review)


def with_visibility(cases, user):
    """Annotate `demand_visible`: whether the user may see the case's demand (and so the
    enterprise's real name)."""
    return cases.annotate(demand_visible=Exists(Demand.objects.restrict(user).filter(pk=OuterRef("demand_id"))))


def library_for(user):
    return with_visibility(cases_for(user).filter(status=CaseStatus.APPROVED), user)


def search_cases(cases, q):
    """Keyword search over the title, highlights and the summary's three parts. Rows whose
    demand the user may not see never match on the enterprise's name, so a search cannot
    tell which case is about which enterprise."""
    q = (q or "").strip()
    if not q:
        return cases
    text = (
        Q(title__icontains=q)
        | Q(highlights__icontains=q)
        | Q(demand__summary__problems_solved__icontains=q)
        | Q(demand__summary__methods__icontains=q)
        | Q(demand__summary__results__icontains=q)
    )
    return cases.filter(text).exclude(Q(demand_visible=False) & Q(demand__enterprise__name__icontains=q))


SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")
PREFIXES = ("厦门市", "厦门")


SHORT_NAME_MIN = 4


def name_variants(name):
    """The real name and its usual short forms, longest first (what masking replaces): without
    the company-form suffix, without the city, and the trade name's leading part of at least
    four characters (厦门集美精密机械有限公司 → 集美精密机械, 集美精密机, 集美精密)."""
    variants = {name}
    core = name
    for suffix in SUFFIXES:
        if core.endswith(suffix):
            core = core[: -len(suffix)]
            break
    variants.add(core)
    for prefix in PREFIXES:
        if core.startswith(prefix):
            core = core[len(prefix) :]
            break
    variants.update(core[:n] for n in range(SHORT_NAME_MIN, len(core) + 1))
    return sorted((v for v in variants if len(v) >= SHORT_NAME_MIN), key=len, reverse=True)


def mask_text(text, name, masked):
    if not text:
        return text
    pattern = "|".join(re.escape(v) for v in name_variants(name))
    return re.sub(pattern, masked, text) if pattern else text


def present(case, visible):
    """Set what the viewer reads: the enterprise's name and the texts, masked when the
    viewer may not see the demand."""
    summary = getattr(case.demand, "summary", None) if _has_summary(case.demand) else None
    texts = {
        "title": case.title,
        "highlights": case.highlights,
        "problems_solved": summary.problems_solved if summary else "",
        "methods": summary.methods if summary else "",
        "results": summary.results if summary else "",
    }
    case.demand_visible = visible
    if visible:
        case.enterprise_shown = case.demand.enterprise.name
        case.shown = texts
    else:
        name, masked = case.demand.enterprise.name, case.masked_enterprise
        case.enterprise_shown = masked
        case.shown = {k: mask_text(v, name, masked) for k, v in texts.items()}
    case.badge = CASE_BADGES.get(case.status, "secondary")
    return case


def _has_summary(demand):
    from ..transitions import hasattr_row

    return hasattr_row(demand, "summary")


def may_see_review(user, case):
    """The review's comments and people: the agency, auditors, the nominator and the demand's specialist."""
    scope = get_scope(user)
    return (
        scope.is_agency
        or scope.is_auditor
        or case.nominated_by_id == user.pk
        or (scope.is_specialist and case.demand.specialist_id == scope.specialist_id)
    )


def get_case(user, pk):
    """The case if the user may open it, presented for them; else 404."""
    case = (
        with_visibility(cases_for(user), user)
        .select_related("demand__enterprise", "demand__summary", "demand__specialist", "nominated_by", "reviewed_by")
        .prefetch_related("demand__category_rows")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return present(case, case.demand_visible)


# --- pages -------------------------------------------------------------------------------------


class CaseListView(ObjectListView):
    """The case library: approved cases, searched by keyword and filtered by QI field."""

    model = TypicalCase
    title = gettext_lazy("典型案例库")
    filterset_class = CaseFilterSet
    search_fields = ("title",)  # searched by `search_cases`
    template_name = "demands/case_list.html"
    tab = "library"

    def get_queryset(self):
        return library_for(self.request.user).order_by("-reviewed_at", "-pk")

    def filter_queryset(self, queryset):
        filterset = CaseFilterSet(self.request.GET, queryset=queryset, request=self.request)
        style_form(filterset.form, empty_label=_("全部"))
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
        return search_cases(queryset, self.request.GET.get("q")), filterset

    def get(self, request):
        if not self.has_permission():
            raise PermissionDenied
        queryset, filterset = self.filter_queryset(self.get_queryset())
        queryset = queryset.select_related("demand__enterprise", "demand__summary", "nominated_by").prefetch_related(
            "demand__category_rows"
        )
        page = Paginator(queryset, 12).get_page(request.GET.get("page"))
        for case in page:
            present(case, case.demand_visible)
        query = request.GET.copy()
        query.pop("page", None)
        scope = get_scope(request.user)
        return render(
            request,
            self.template_name,
            {
                "title": self.title,
                "tab": self.tab,
                "page": page,
                "filterset": filterset,
                "q": request.GET.get("q", ""),
                "query": query.urlencode(),
                "search_fields": self.search_fields,
                "shows_queue": scope.sees_everything,
                "shows_mine": scope.is_specialist,
                "queue_count": TypicalCase.objects.filter(status=CaseStatus.NOMINATED).count()
                if scope.sees_everything
                else None,
            },
        )


class CaseQueueView(CaseListView):
    """The agency admin's queue of nominated cases waiting for review."""

    title = gettext_lazy("待审核的典型案例")
    tab = "queue"

    def has_permission(self):
        return get_scope(self.request.user).sees_everything

    def get_queryset(self):
        return with_visibility(cases_for(self.request.user).filter(status=CaseStatus.NOMINATED), self.request.user)


class MyCasesView(CaseListView):
    """A specialist's nominations in every state; returned ones can be edited and nominated again."""

    title = gettext_lazy("我推荐的典型案例")
    tab = "mine"

    def has_permission(self):
        return get_scope(self.request.user).is_specialist

    def get_queryset(self):
        scope = get_scope(self.request.user)
        mine = Q(nominated_by_id=self.request.user.pk) | Q(demand__specialist_id=scope.specialist_id)
        return with_visibility(cases_for(self.request.user).filter(mine), self.request.user)


def _detail_context(request, case, review_form=None):
    scope = get_scope(request.user)
    may_review = scope.is_agency_admin and case.status == CaseStatus.NOMINATED
    return {
        "case": case,
        "fields": case.demand.category_labels,
        "sees_review": may_see_review(request.user, case),
        "review_form": (review_form or ReviewForm()) if may_review else None,
        "may_renominate": case.status == CaseStatus.RETURNED
        and scope.is_specialist
        and case.demand.specialist_id == scope.specialist_id,
    }


@login_required
def case_detail(request, pk):
    case = get_case(request.user, pk)
    return render(request, "demands/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_review(request, pk):
    """The agency admin approves a nominated case (optionally publishing it) or returns it with comments."""
    case = get_case(request.user, pk)
    if not get_scope(request.user).is_agency_admin:
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            workflow.review_case(
                case,
                by=request.user,
                approve=approve,
                publish=form.cleaned_data["publish"],
                comments=form.cleaned_data["comments"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("案例已入库。") if approve else _("案例已退回推荐人修改。"))
            return redirect("demands:case_detail", pk=case.pk)
    messages.error(request, _("提交未保存，请按提示修正后重试。"))
    return render(request, "demands/case_detail.html", _detail_context(request, case, form))


def suggested_mask(enterprise):
    size = enterprise.get_size_display() if enterprise.size else ""
    return _("某%(size)s%(industry)s企业") % {"size": size, "industry": enterprise.get_industry_display()}


@login_required
def nominate_case(request, pk):
    """The demand's specialist nominates its summary as a typical case, or edits a returned
    nomination and sends it again."""
    demand = Demand.objects.get_for(request.user, pk)
    scope = get_scope(request.user)
    if not (scope.is_specialist and demand.specialist_id == scope.specialist_id):
        raise PermissionDenied
    case = TypicalCase.objects.filter(demand=demand).select_related("reviewed_by").first()
    summary = demand.summary if _has_summary(demand) else None
    open_form = summary is not None and (case is None or case.status == CaseStatus.RETURNED)
    if case is not None:
        initial = {"title": case.title, "highlights": case.highlights, "masked_enterprise": case.masked_enterprise}
    else:
        initial = {"title": "", "highlights": summary.results if summary else "", "masked_enterprise": ""}
        initial["masked_enterprise"] = suggested_mask(demand.enterprise)
    initial["version"] = demand.version
    form = NominationForm(request.POST or None, initial=initial)
    if request.method == "POST" and open_form and form.is_valid():
        data = form.cleaned_data
        try:
            nominated = workflow.nominate_case(
                demand,
                by=request.user,
                title=data["title"],
                highlights=data["highlights"],
                masked_enterprise=data["masked_enterprise"],
                expected_version=data.get("version"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已推荐为典型案例，等待管理机构审核。"))
            return redirect("demands:case_detail", pk=nominated.pk)
    if request.method == "POST":
        messages.error(request, _("提交未保存，请按提示修正后重试。"))
    return render(
        request,
        "demands/case_nominate.html",
        {"demand": demand, "case": case, "summary": summary, "form": form, "open_form": open_form},
    )


urlpatterns = [
    path("cases/", CaseListView.as_view(), name="case_list"),
    path("cases/review/", CaseQueueView.as_view(), name="case_queue"),
    path("cases/mine/", MyCasesView.as_view(), name="case_mine"),
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/review/", case_review, name="case_review"),
    path("<int:pk>/nominate-case/", nominate_case, name="nominate_case"),
]
