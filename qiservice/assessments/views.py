"""Pages of performance assessment, improvement actions, the specialist's own results and
return visits. Thin: look up through the data scope, call the rules, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qiservice.accounts.models import User
from qiservice.core.visibility import get_scope
from qiservice.deadlines.models import Deadline
from qiservice.demands.models import Demand
from qiservice.evaluations.models import Evaluation
from qiservice.specialists import training
from qiservice.specialists.models import PoolSettings, Specialist

from . import workflow
from .choices import PeriodStatus
from .display import indicator_rows, stage_rows
from .forms import AcknowledgeForm, ActionForm, FollowUpForm, PeriodForm, ReturnVisitForm, ScoreForm, WeightsForm
from .models import Assessment, AssessmentPeriod, AssessmentWeights, ImprovementAction, ReturnVisit


def _may_open_assessments(scope):
    return scope.is_agency or scope.is_auditor or scope.is_specialist


def _error(request, error):
    messages.error(request, " ".join(error.messages))


@login_required
def period_list(request):
    scope = get_scope(request.user)
    if not _may_open_assessments(scope):
        raise PermissionDenied
    form = PeriodForm(request.POST or None) if scope.is_agency_admin else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                period = workflow.open_period(
                    kind=form.cleaned_data["kind"],
                    year=form.cleaned_data["year"],
                    quarter=form.cleaned_data["quarter"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已发起绩效评估，指标已按记录计算。"))
                return redirect(period)
    periods = AssessmentPeriod.objects.restrict(request.user).order_by("-starts_on", "-pk")
    page = Paginator(periods, 20).get_page(request.GET.get("page"))
    overdue = ImprovementAction.objects.restrict(request.user).overdue().count() if scope.is_agency else 0
    return render(
        request,
        "assessments/period_list.html",
        {"page": page, "form": form, "overdue_actions": overdue, "is_admin": scope.is_agency_admin},
    )


@login_required
def period_detail(request, pk):
    period = AssessmentPeriod.objects.get_for(request.user, pk)
    scope = get_scope(request.user)
    rows = (
        Assessment.objects.restrict(request.user)
        .filter(period=period)
        .select_related("specialist__district")
        .order_by("rank", "specialist__name", "pk")
    )
    if scope.is_specialist and not (scope.is_agency or scope.sees_everything):
        return redirect(rows.first() or "assessments:mine")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/period_detail.html",
        {
            "period": period,
            "page": page,
            "is_admin": scope.is_agency_admin,
            "next_status": workflow.PERIOD_TRANSITIONS.get(period.status),
            "unscored": period.assessments.filter(supervisor_score__isnull=True).count(),
        },
    )


@login_required
@require_POST
def period_recompute(request, pk):
    period = AssessmentPeriod.objects.get_for(request.user, pk, "change")
    try:
        workflow.recompute(period, by=request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("已按最新记录重新计算指标。"))
    return redirect(period)


@login_required
@require_POST
def period_advance(request, pk):
    period = AssessmentPeriod.objects.get_for(request.user, pk, "change")
    try:
        period = workflow.advance(period, by=request.user)
    except ValidationError as error:
        _error(request, error)
    else:
        messages.success(request, _("评估周期状态已变更为“%(status)s”。") % {"status": period.get_status_display()})
    return redirect(period)


def _owners(assessment):
    """Who may own an improvement action: the specialist, or agency staff."""
    return User.objects.filter(
        Q(pk=assessment.specialist.user_id)
        | Q(role_assignments__role="agency_admin")
        | Q(role_assignments__role="agency_staff", role_assignments__district=assessment.specialist.district_id)
    ).distinct()


def _detail_context(request, assessment, **forms):
    scope = get_scope(request.user)
    may_score = Assessment.objects.restrict(request.user, "change").filter(
        pk=assessment.pk
    ).exists() and assessment.period.status in (PeriodStatus.OPEN, PeriodStatus.SCORED)
    may_add_action = (
        Assessment.objects.restrict(request.user, "change").filter(pk=assessment.pk).exists() and assessment.is_low
    )
    is_own = scope.specialist_id == assessment.specialist_id
    weights = AssessmentWeights.current()
    context = {
        "assessment": assessment,
        "period": assessment.period,
        "rows": indicator_rows(assessment, weights.weights),
        "stages": stage_rows(assessment),
        "actions": assessment.actions.select_related("owner"),
        "previous_actions": workflow.previous_actions(assessment),
        "is_own": is_own,
        "score_form": forms.get("score_form")
        or (
            ScoreForm(
                initial={
                    "supervisor_score": assessment.supervisor_score,
                    "comments": assessment.supervisor_comments,
                    "is_flagged": assessment.is_flagged,
                    "flag_reason": assessment.flag_reason,
                }
            )
            if may_score
            else None
        ),
        "ack_form": forms.get("ack_form")
        or (
            AcknowledgeForm(initial={"comment": assessment.specialist_comment})
            if is_own and assessment.period.status == PeriodStatus.PUBLISHED
            else None
        ),
        "action_form": forms.get("action_form") or (ActionForm(owners=_owners(assessment)) if may_add_action else None),
        "today": timezone.localdate(),
    }
    return context


@login_required
def assessment_detail(request, pk):
    assessment = Assessment.objects.select_related("period", "specialist__district").get_for(request.user, pk)
    return render(request, "assessments/detail.html", _detail_context(request, assessment))


@login_required
@require_POST
def assessment_score(request, pk):
    assessment = Assessment.objects.select_related("period", "specialist").get_for(request.user, pk, "change")
    form = ScoreForm(request.POST)
    if form.is_valid():
        try:
            workflow.score(
                assessment,
                by=request.user,
                supervisor_score=form.cleaned_data["supervisor_score"],
                comments=form.cleaned_data["comments"],
                is_flagged=form.cleaned_data["is_flagged"],
                flag_reason=form.cleaned_data["flag_reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("评议已保存。"))
            return redirect(assessment)
    messages.error(request, _("提交未保存，请按提示修正后重试。"))
    return render(request, "assessments/detail.html", _detail_context(request, assessment, score_form=form))


@login_required
@require_POST
def assessment_acknowledge(request, pk):
    assessment = Assessment.objects.select_related("period", "specialist").get_for(request.user, pk)
    if get_scope(request.user).specialist_id != assessment.specialist_id:
        raise PermissionDenied
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            workflow.acknowledge(assessment, by=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("已确认评估结果。"))
    return redirect(assessment)


@login_required
@require_POST
def assessment_add_action(request, pk):
    assessment = Assessment.objects.select_related("period", "specialist").get_for(request.user, pk, "change")
    form = ActionForm(request.POST, owners=_owners(assessment))
    if form.is_valid():
        try:
            workflow.add_action(assessment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已提出改进措施。"))
            return redirect(assessment)
    messages.error(request, _("提交未保存，请按提示修正后重试。"))
    return render(request, "assessments/detail.html", _detail_context(request, assessment, action_form=form))


@login_required
def weights(request):
    scope = get_scope(request.user)
    if not scope.is_agency_admin:
        raise PermissionDenied
    current = AssessmentWeights.current()
    form = WeightsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.save_weights(form.instance, by=request.user, expected_updated_at=form.expected_updated_at)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("权重已保存，未公布的评估已按新权重重新计算总分。"))
            return redirect("assessments:weights")
    return render(request, "assessments/weights.html", {"form": form})


@login_required
def action_list(request):
    scope = get_scope(request.user)
    if not (scope.is_agency or scope.is_auditor or scope.is_specialist):
        raise PermissionDenied
    actions = ImprovementAction.objects.restrict(request.user).select_related(
        "assessment__period", "assessment__specialist", "owner"
    )
    only_overdue = request.GET.get("overdue") == "1"
    if only_overdue:
        actions = actions.overdue()
    page = Paginator(actions.order_by("status", "due_on", "pk"), 20).get_page(request.GET.get("page"))
    return render(request, "assessments/action_list.html", {"page": page, "only_overdue": only_overdue})


@login_required
def action_detail(request, pk):
    action = ImprovementAction.objects.select_related("assessment__period", "assessment__specialist", "owner").get_for(
        request.user, pk
    )
    may_follow = ImprovementAction.objects.restrict(request.user, "change").filter(pk=pk).exists()
    form = None
    if may_follow:
        form = FollowUpForm(
            request.POST or None,
            initial={"status": action.status, "follow_up": action.follow_up, "completed_on": action.completed_on},
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                workflow.follow_up_action(action, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("跟踪记录已保存。"))
                return redirect(action)
    return render(request, "assessments/action_detail.html", {"action": action, "form": form})


@login_required
def mine(request):
    """我的绩效: the specialist's open work, deadlines, satisfaction history, training
    hours and published results with acknowledgement."""
    scope = get_scope(request.user)
    if not scope.is_specialist:
        raise PermissionDenied
    specialist = Specialist.objects.select_related("district").get(pk=scope.specialist_id)
    today = timezone.localdate()
    open_demands = Demand.objects.filter(specialist=specialist).open()
    deadlines = (
        Deadline.objects.open()
        .filter(demand__specialist=specialist)
        .exclude(stage__in=("dispatch_acceptance",))
        .select_related("demand")
        .order_by("due_on", "pk")[:10]
    )
    evaluations = (
        Evaluation.objects.filter(specialist=specialist).select_related("demand").order_by("-submitted_at", "-pk")[:20]
    )
    hours = training.hours_this_year([specialist.pk]).get(specialist.pk, 0)
    required = PoolSettings.current().yearly_training_hours
    results = (
        Assessment.objects.restrict(request.user)
        .filter(specialist=specialist)
        .select_related("period")
        .order_by("-period__starts_on")
    )
    actions = ImprovementAction.objects.restrict(request.user).filter(
        Q(owner=request.user) | Q(assessment__specialist=specialist)
    )
    return render(
        request,
        "assessments/mine.html",
        {
            "specialist": specialist,
            "open_count": open_demands.count(),
            "deadlines": deadlines,
            "today": today,
            "evaluations": evaluations,
            "hours": hours,
            "required": required,
            "results": results,
            "actions": actions.select_related("assessment__period").order_by("status", "due_on"),
        },
    )


@login_required
def return_visit(request, pk):
    demand = Demand.objects.get_for(request.user, pk)
    if not workflow.may_visit(request.user, demand):
        raise PermissionDenied
    form = ReturnVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit = workflow.record_return_visit(demand, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if visit.new_demand_id:
                messages.success(
                    request, _("回访已记录，并登记了新需求 %(number)s。") % {"number": visit.new_demand.number}
                )
            else:
                messages.success(request, _("回访已记录。"))
            return redirect(demand)
    visits = ReturnVisit.objects.filter(demand=demand).select_related("visited_by", "new_demand")
    return render(request, "assessments/return_visit.html", {"demand": demand, "form": form, "visits": visits})
