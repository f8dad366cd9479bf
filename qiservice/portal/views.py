"""The enterprise portal (/portal/): an enterprise's users submit demands online, follow
them, read and acknowledge the agreement and plan, talk with those serving them and
evaluate the service. Phone first.

Every demand is looked up among the demands of the user's own enterprises
(`workflow.demands_of`): any other id is a 404, whoever asks. Users without a verified
enterprise role see an empty portal that says their verification is pending.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qiservice.core import audit, ratelimit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope
from qiservice.demands import transitions as T
from qiservice.demands.models import Demand, ServicePlan
from qiservice.demands.views.detail import quarter_class
from qiservice.demands.workflow import StaleDemandError, WorkflowError, record_download
from qiservice.evaluations.access import awaits_evaluation
from qiservice.evaluations.models import Evaluation

from . import timeline, workflow
from .choices import MessageSide
from .forms import DemandForm, MessageForm, WithdrawForm
from .models import Message

# Online submissions per user and per address (R6.2 abuse; issue 8): over it, 429.
SUBMIT_LIMIT = 10
SUBMIT_PERIOD = 3600
DEMANDS_PER_PAGE = 20


def submission_limited(request):
    """Count one submission for the user and for the address; True when either is over."""
    by_user = ratelimit.hit("portal-demand-user", request.user.pk, limit=SUBMIT_LIMIT, period=SUBMIT_PERIOD)
    by_address = ratelimit.is_limited(request, "portal-demand-addr", limit=SUBMIT_LIMIT, period=SUBMIT_PERIOD)
    return by_user or by_address


def rate_limit_message():
    return _("提交过于频繁：每小时最多提交 %(n)d 条需求，请稍后再试。") % {"n": SUBMIT_LIMIT}


def portal_demands(user):
    """The user's demands with what a card shows, in a fixed number of queries."""
    return (
        workflow.demands_of(user)
        .select_related("enterprise", "specialist")
        .prefetch_related("category_rows")
        .annotate(
            unread=Count("messages", filter=Q(messages__side=MessageSide.SERVICE, messages__read_at__isnull=True)),
            is_evaluated=Exists(Evaluation.objects.filter(demand=OuterRef("pk"))),
            plan_acknowledged_at=Subquery(
                ServicePlan.objects.filter(demand=OuterRef("pk"))
                .order_by("-created_at", "-pk")
                .values("acknowledged_at")[:1]
            ),
        )
    )


def get_demand(request, pk):
    """One of the user's own demands, or 404 (another enterprise's, or not theirs at all)."""
    demand = portal_demands(request.user).filter(pk=pk).first()
    if demand is None:
        raise Http404
    return demand


class _PlanState:
    def __init__(self, acknowledged_at):
        self.acknowledged_at = acknowledged_at


def decorate(demand):
    """The plain-words status of a card (annotations from `portal_demands`)."""
    awaiting = demand.status in ("service_ended", "summary_submitted") and not demand.is_evaluated
    demand.awaiting_evaluation = awaiting
    demand.plain_title, demand.next_step = timeline.plain_status(
        demand, _PlanState(demand.plan_acknowledged_at), awaiting_evaluation=awaiting
    )
    demand.needs_acknowledgement = demand.status == "plan_made" and demand.plan_acknowledged_at is None
    return demand


def _pending_page(request, status=200):
    return render(request, "portal/pending.html", {}, status=status)


@login_required
def home(request):
    """The enterprise's demands, its unread messages and the button to submit a new one."""
    scope = get_scope(request.user)
    if not scope.enterprise_ids:
        return _pending_page(request)
    page = Paginator(portal_demands(request.user).order_by("-registered_at", "-pk"), DEMANDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for demand in page.object_list:
        decorate(demand)
    unread = (
        Message.objects.filter(demand__in=workflow.demands_of(request.user))
        .unread_for_enterprise()
        .select_related("demand", "author")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "portal/home.html",
        {
            "enterprises": workflow.enterprises_of(request.user),
            "page": page,
            "unread_messages": list(unread[:5]),
            "unread_count": unread.count(),
        },
    )


@login_required
def submit(request):
    """需求登记表 online: the Appendix A fields, attachments; then the acknowledgement page."""
    enterprises = list(workflow.enterprises_of(request.user))
    if not enterprises:
        return _pending_page(request, status=403)
    form = DemandForm(request.POST or None, request.FILES or None, user=request.user, enterprises=enterprises)
    status = 200
    if request.method == "POST" and form.is_valid():
        if submission_limited(request):
            form.add_error(None, rate_limit_message())
            status = 429
        else:
            try:
                demand = workflow.submit_demand(by=request.user, **form.submit_kwargs())
            except ValidationError as error:  # the rules' refusal (WorkflowError) or a validator's
                form.add_error(None, error.messages)
            else:
                return redirect("portal:submitted", pk=demand.pk)
    return render(request, "portal/submit.html", {"form": form}, status=status)


@login_required
def submitted(request, pk):
    """The acknowledgement: the demand's number and what happens next."""
    demand = decorate(get_demand(request, pk))
    return render(
        request,
        "portal/submitted.html",
        {"demand": demand, "attachments": timeline.attachments_for_enterprise(request.user, demand)},
    )


def _plans(demand):
    plans = list(
        demand.plans.select_related("agreement", "acknowledged_by", "informed_by")
        .prefetch_related("milestones")
        .order_by("-created_at", "-pk")
    )
    for plan in plans:
        plan.bar_class = quarter_class(plan.progress)
        for m in plan.milestones.all():
            m.bar_class = quarter_class(m.progress)
    return plans


def demand_context(request, demand):
    """What the enterprise may see of a demand (the page and the API read the same)."""
    user = request.user
    attachments = list(timeline.attachments_for_enterprise(user, demand).select_related("uploaded_by"))
    visible = {a.pk: a for a in attachments}
    plans = _plans(demand)
    agreements = list(demand.agreements.order_by("-created_at", "-pk"))
    for agreement in agreements:
        agreement.visible_scan = visible.get(agreement.scan_id)
    latest_plan = plans[0] if plans else None
    awaiting = awaits_evaluation(demand)
    title, next_step = timeline.plain_status(demand, latest_plan, awaiting_evaluation=awaiting)
    return {
        "demand": demand,
        "plain_title": title,
        "next_step": next_step,
        "specialist": demand.specialist,
        "institution": timeline.accepted_institution(demand),
        "agreements": agreements,
        "plans": plans,
        "latest_plan": latest_plan,
        "may_acknowledge": latest_plan is not None and latest_plan.acknowledged_at is None and demand.is_open,
        "attachments": attachments,
        "events": timeline.build(demand, plans=plans, attachments=attachments),
        "messages_list": list(demand.messages.select_related("author").order_by("created_at", "pk")),
        "awaiting_evaluation": awaiting,
        "evaluation": demand.evaluation if T.hasattr_row(demand, "evaluation") else None,
    }


@login_required
def demand_detail(request, pk):
    demand = get_demand(request, pk)
    context = demand_context(request, demand)
    audit.record(AuditEvent.VIEWED, demand, actor=request.user, extra={"via": "portal"})
    if workflow.mark_messages_read(demand, by=request.user):
        context["messages_list"] = list(demand.messages.select_related("author").order_by("created_at", "pk"))
    context["message_form"] = MessageForm()
    if may_withdraw(request.user, demand):
        context["withdraw_form"] = WithdrawForm(initial={"version": demand.version})
    context["evaluation_url"] = (
        reverse("evaluations:portal", args=[demand.pk]) + "?next=" + reverse("portal:demand", args=[demand.pk])
    )
    return render(request, "portal/demand.html", context)


@login_required
@require_POST
def acknowledge(request, pk):
    """已知悉: the enterprise acknowledges the agreement and the plan (8.4.2 c)."""
    demand = get_demand(request, pk)
    try:
        workflow.acknowledge_plan(demand, by=request.user, expected_version=request.POST.get("version") or None)
    except StaleDemandError as error:
        messages.warning(request, " ".join(error.messages))
    except WorkflowError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已确认知悉服务协议和服务方案，服务方已收到通知。"))
    return redirect(reverse("portal:demand", args=[demand.pk]) + "#plan")


def may_withdraw(user, demand):
    """Whether the transition table lets this user withdraw the demand now."""
    return T.TRANSITIONS["withdraw"].allowed_for(get_scope(user), demand, T.Facts.of(demand))


@login_required
@require_POST
def withdraw(request, pk):
    """撤回需求: the enterprise withdraws an open demand, with its reason (the rules of
    `demands.workflow.withdraw`; the staff's withdraw page is not for enterprise users)."""
    demand = get_demand(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        return redirect(reverse("portal:demand", args=[demand.pk]) + "#withdraw")
    try:
        workflow.withdraw_demand(
            demand, by=request.user, reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"]
        )
    except StaleDemandError as error:
        messages.warning(request, " ".join(error.messages))
    except WorkflowError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("需求已撤回。"))
    return redirect("portal:demand", pk=demand.pk)


@login_required
@require_POST
def post_message(request, pk):
    demand = get_demand(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            workflow.post_message(demand, by=request.user, text=form.cleaned_data["text"])
        except WorkflowError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("留言已发送，服务方会尽快回复。"))
    else:
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    return redirect(reverse("portal:demand", args=[demand.pk]) + "#messages")


@login_required
def attachment(request, pk, attachment_pk):
    """Download a file the enterprise may open (audited, never served from MEDIA)."""
    demand = get_demand(request, pk)
    found = timeline.attachments_for_enterprise(request.user, demand).filter(pk=attachment_pk).first()
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    record_download(found, demand, by=request.user, via="portal")
    response = FileResponse(handle, as_attachment=True, filename=found.original_name, content_type=found.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# --- the service side: answering from the staff demand page ---------------------------------------


def _served_demand(request, pk):
    """A demand the user may see (404 otherwise) and answers messages on (403 otherwise)."""
    demand = Demand.objects.get_for(request.user, pk, "view")
    if workflow.side_of(request.user, demand) != MessageSide.SERVICE:
        raise PermissionDenied(_("只有承办的服务专员、技术机构或管理机构可以回复服务对象的留言。"))
    return demand


@login_required
@require_POST
def service_reply(request, pk):
    demand = _served_demand(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            workflow.post_message(demand, by=request.user, text=form.cleaned_data["text"])
        except WorkflowError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("已回复服务对象，对方将收到通知。"))
    else:
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    return redirect(demand.get_absolute_url() + "#messages")


@login_required
@require_POST
def service_read(request, pk):
    demand = _served_demand(request, pk)
    count = workflow.mark_messages_read(demand, by=request.user)
    if count:
        messages.success(request, _("已将 %(n)d 条留言标为已读。") % {"n": count})
    return redirect(demand.get_absolute_url() + "#messages")
