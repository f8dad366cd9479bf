"""Complaint pages: the enterprise submits and follows its complaints; the agency handles
them step by step; the specialist complained about reads them once answered."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.ratelimit import is_limited
from qiservice.core.visibility import get_scope

from . import workflow
from .choices import ComplaintStatus
from .forms import ComplaintForm, FilterForm
from .models import Complaint


def may_list(scope):
    return scope.is_agency or scope.is_auditor or bool(scope.enterprise_ids) or scope.is_specialist


def submit_limited(request):
    count, period = getattr(settings, "RATE_LIMITS", {}).get("complaint", (5, 3600))
    return is_limited(request, "complaint", limit=count, period=period, key=f"user:{request.user.pk}")


@login_required
def complaint_list(request):
    scope = get_scope(request.user)
    if not may_list(scope):
        raise PermissionDenied
    queryset = Complaint.objects.restrict(request.user).select_related("enterprise", "specialist", "demand")
    form = FilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["overdue"]:
            queryset = queryset.overdue()
        if data["upheld"]:
            queryset = queryset.filter(upheld=data["upheld"] == "yes")
        if data["q"]:
            queryset = queryset.filter(
                Q(number__icontains=data["q"])
                | Q(subject__icontains=data["q"])
                | Q(enterprise__name__icontains=data["q"])
            )
    page = Paginator(queryset.order_by("-submitted_at", "-pk"), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "complaints/complaint_list.html",
        {
            "page": page,
            "form": form if form.is_bound else FilterForm(),
            "may_submit": bool(scope.enterprise_ids),
            "is_agency": scope.is_agency or scope.is_auditor,
            "query": query.urlencode(),
        },
    )


@login_required
def complaint_create(request):
    scope = get_scope(request.user)
    if not scope.enterprise_ids:
        raise PermissionDenied
    form = ComplaintForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if submit_limited(request):
            form.is_valid()
            return render(
                request,
                "complaints/complaint_form.html",
                {"form": form, "limited": _("提交过于频繁，请稍后再试。")},
                status=429,
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = workflow.submit(
                    enterprise=data["enterprise"],
                    by=request.user,
                    subject=data["subject"],
                    text=data["text"],
                    demand=data["demand"],
                    specialist=data["specialist"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("投诉已提交，编号 %(number)s。管理机构将在 %(due)s 前受理。")
                    % {"number": complaint.number, "due": complaint.due_on},
                )
                return redirect(complaint.get_absolute_url())
    return render(request, "complaints/complaint_form.html", {"form": form})


def _detail_context(request, complaint):
    scope = get_scope(request.user)
    can_handle = Complaint.objects.restrict(request.user, "change").filter(pk=complaint.pk).exists()
    action = workflow.ACTIONS.get(complaint.status)
    return {
        "complaint": complaint,
        "steps": complaint.steps.select_related("actor"),
        "can_handle": can_handle,
        "action": action if can_handle else None,
        # Investigation notes are internal to the agency.
        "show_findings": scope.is_agency or scope.is_auditor,
        "time_limit": workflow.time_limit(complaint.status),
        "statuses": ComplaintStatus,
    }


@login_required
def complaint_detail(request, pk):
    complaint = Complaint.objects.get_for(request.user, pk)
    audit.record(AuditEvent.VIEWED, complaint, actor=request.user)
    return render(request, "complaints/complaint_detail.html", _detail_context(request, complaint))


@login_required
@require_POST
def complaint_action(request, pk, action):
    complaint = Complaint.objects.get_for(request.user, pk, "change")
    post = request.POST
    try:
        if action == "acknowledge":
            workflow.acknowledge(complaint, by=request.user, note=post.get("note", ""))
        elif action == "investigate":
            workflow.investigate(complaint, by=request.user, findings=post.get("findings", ""))
        elif action == "answer":
            upheld = {"yes": True, "no": False}.get(post.get("upheld", ""))
            workflow.answer(complaint, by=request.user, answer=post.get("answer", ""), upheld=upheld)
        elif action == "close":
            workflow.close(complaint, by=request.user, note=post.get("note", ""))
        else:
            raise PermissionDenied
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已处理。"))
    if request.htmx:
        complaint.refresh_from_db()
        return render(request, "complaints/complaint_detail.html", _detail_context(request, complaint))
    return redirect(complaint.get_absolute_url())
