"""The demand state machine (clause 7, Figure 1) as one table.

Each row names an action, the statuses it leaves from, the status it leads to, who may
take it and what it requires. The UI reads the table to offer only the actions a user may
take now; the rules functions in `workflow.py` check the same rows and refuse the rest
with a Chinese message. Nothing else changes a demand's status.

    registered → preparing → confirmed ─┬─ direct:   agreement_signed → plan_made → in_service
                                        └─ assisted: escalated → dispatched → accepted
                                                     → agreement_signed → plan_made → in_service
    (a direct service may switch to assisted: agreement_signed / plan_made / in_service → escalated)
    (an institution declining sends dispatched back to escalated when no dispatch is left)
    in_service → service_ended → summary_submitted → evaluated → closed
    any open status → withdrawn (the enterprise) | cancelled (the agency)
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .choices import OPEN_STATUSES, AssignmentStatus, DispatchStatus, ServiceMode
from .choices import DemandStatus as S

DIRECT, ASSISTED = ServiceMode.DIRECT, ServiceMode.ASSISTED


# --- who -------------------------------------------------------------------------------
# Each predicate takes (scope, demand, facts); `facts` holds what was read about the demand
# once (its current assignment, its live dispatches), so checking every row costs no query.


def agency(scope, demand, facts):
    """The agency admin, or agency staff of the demand's district."""
    return scope.is_agency_admin or demand.district_id in scope.district_ids


def assigned_specialist(scope, demand, facts):
    """The specialist the demand is assigned to, once they accepted it."""
    return (
        scope.is_specialist
        and demand.specialist_id == scope.specialist_id
        and facts.assignment_status == AssignmentStatus.ACCEPTED
    )


def accepted_institution(scope, demand, facts):
    """Staff of an institution that accepted the dispatch."""
    return bool(scope.institution_ids & facts.accepted_institutions)


def pending_institution(scope, demand, facts):
    """Staff of an institution that has the dispatch waiting for its answer."""
    return bool(scope.institution_ids & facts.pending_institutions)


def enterprise(scope, demand, facts):
    return demand.enterprise_id in scope.enterprise_ids


def any_of(*predicates):
    def check(scope, demand, facts):
        return any(p(scope, demand, facts) for p in predicates)

    check.__doc__ = " / ".join(p.__doc__ or p.__name__ for p in predicates)
    return check


# --- requirements ------------------------------------------------------------------------
# Each takes (demand, facts) and returns None, or the Chinese message of what is missing.


def has_preparation(demand, facts):
    if not facts.has_preparation:
        return _("请先填写服务准备记录（计划安排、初步服务内容、风险信息）。")
    return None


def has_agreement(demand, facts):
    if not facts.has_agreement:
        return _("请先录入服务协议，再制定服务方案。")
    return None


def has_plan(demand, facts):
    if not facts.has_plan:
        return _("请先制定服务方案，再开始服务实施。")
    if demand.service_mode == ASSISTED and not facts.plan_informed:
        return _("协助服务的方案须先告知服务对象（8.4.2 c），请记录告知日期。")
    return None


def has_ledger(demand, facts):
    if not facts.has_ledger:
        return _("服务结束前请至少填写一条工作台账（附录B）。")
    return None


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset
    target: str
    who: object
    modes: frozenset = frozenset()  # the service modes it applies to; empty: any
    requires: tuple = ()
    needs_reason: bool = False
    style: str = "primary"
    help: str = ""
    extra_who: dict = field(default_factory=dict)  # per service mode, when who differs
    source_modes: dict = field(default_factory=dict)  # {status: modes it may leave from}

    def allowed_for(self, scope, demand, facts):
        if demand.status not in self.sources:
            return False
        if self.modes and demand.service_mode not in self.modes:
            return False
        if demand.status in self.source_modes and demand.service_mode not in self.source_modes[demand.status]:
            return False
        who = self.extra_who.get(demand.service_mode, self.who)
        return who(scope, demand, facts)

    def missing(self, demand, facts):
        for requirement in self.requires:
            message = requirement(demand, facts)
            if message:
                return message
        return None


def _t(action, label, sources, target, who, **kwargs):
    return Transition(action, label, frozenset(sources), target, who, **kwargs)


specialist_or_institution = any_of(assigned_specialist, accepted_institution)

TRANSITIONS = {
    t.action: t
    for t in [
        _t("start_preparation", _("开始服务准备"), [S.REGISTERED], S.PREPARING, assigned_specialist),
        _t(
            "confirm",
            _("确认需求"),
            [S.PREPARING],
            S.CONFIRMED,
            assigned_specialist,
            requires=(has_preparation,),
            help=_("判断直接提供服务，或上报线上服务平台寻求协助（8.3）"),
        ),
        _t(
            "sign_agreement",
            _("录入服务协议"),
            [S.CONFIRMED, S.ACCEPTED],
            S.AGREEMENT_SIGNED,
            assigned_specialist,
            extra_who={ASSISTED: any_of(assigned_specialist, accepted_institution, agency)},
            source_modes={S.CONFIRMED: {DIRECT}, S.ACCEPTED: {ASSISTED}},
        ),
        _t(
            "make_plan",
            _("制定服务方案"),
            [S.AGREEMENT_SIGNED],
            S.PLAN_MADE,
            assigned_specialist,
            requires=(has_agreement,),
            extra_who={ASSISTED: specialist_or_institution},
        ),
        _t(
            "start_service",
            _("开始服务实施"),
            [S.PLAN_MADE],
            S.IN_SERVICE,
            assigned_specialist,
            requires=(has_plan,),
            extra_who={ASSISTED: specialist_or_institution},
        ),
        _t(
            "escalate",
            _("上报寻求协助"),
            [S.CONFIRMED],
            S.ESCALATED,
            assigned_specialist,
            modes=frozenset({ASSISTED}),
            help=_("在规定时间内上报线上服务平台（8.4.2 a）"),
        ),
        _t(
            "switch_to_assisted",
            _("转为寻求协助"),
            [S.CONFIRMED, S.AGREEMENT_SIGNED, S.PLAN_MADE, S.IN_SERVICE],
            S.ESCALATED,
            assigned_specialist,
            modes=frozenset({DIRECT}),
            style="warning",
            help=_("直接服务中发现需要协助的，按8.4.2上报；已有记录全部保留（8.4.1 e）"),
        ),
        _t("dispatch", _("派单给技术机构"), [S.ESCALATED], S.DISPATCHED, agency),
        _t("accept_dispatch", _("接单"), [S.DISPATCHED], S.ACCEPTED, pending_institution),
        _t(
            "decline_dispatch",
            _("拒绝接单"),
            [S.DISPATCHED],
            S.ESCALATED,  # or stays dispatched while another institution still has it
            pending_institution,
            needs_reason=True,
            style="danger",
        ),
        _t(
            "end_service",
            _("服务结束"),
            [S.IN_SERVICE],
            S.SERVICE_ENDED,
            assigned_specialist,
            requires=(has_ledger,),
            extra_who={ASSISTED: specialist_or_institution},
            help=_("结束后将生成满意度评价邀请（附录C）"),
        ),
        _t(
            "submit_summary",
            _("提交工作总结"),
            [S.SERVICE_ENDED],
            S.SUMMARY_SUBMITTED,  # or evaluated when the evaluation came first
            assigned_specialist,
        ),
        _t(
            "close",
            _("办结"),
            [S.EVALUATED, S.SUMMARY_SUBMITTED],
            S.CLOSED,
            any_of(assigned_specialist, agency),
            style="success",
        ),
        _t(
            "withdraw",
            _("撤回需求"),
            OPEN_STATUSES,
            S.WITHDRAWN,
            any_of(enterprise, assigned_specialist),
            needs_reason=True,
            style="outline-danger",
            help=_("服务对象不再需要该项服务"),
        ),
        _t(
            "cancel",
            _("取消需求"),
            OPEN_STATUSES,
            S.CANCELLED,
            agency,
            needs_reason=True,
            style="outline-danger",
        ),
    ]
}

# Closing without an evaluation is the agency's call, with a reason (the enterprise did not
# answer the invitation); closing an evaluated demand needs neither.
CLOSE_WITHOUT_EVALUATION_WHO = agency


@dataclass
class Facts:
    """What the rules need to know about a demand beyond its own row, read once."""

    assignment_status: str = ""
    accepted_institutions: frozenset = frozenset()
    pending_institutions: frozenset = frozenset()
    has_preparation: bool = False
    has_agreement: bool = False
    has_plan: bool = False
    plan_informed: bool = False
    has_ledger: bool = False
    has_summary: bool = False
    has_evaluation: bool = False

    @classmethod
    def of(cls, demand):
        # The demand page reads the facts once and then only renders, while template tags
        # of other apps (portal, evaluations) ask again for the same instance: they get
        # the page's facts (`shown_facts`, set by the page alone) instead of nine queries.
        shown = demand.__dict__.get("shown_facts")
        if shown is not None:
            return shown
        from .models import Dispatch

        assignment = demand.assignments.order_by("-assigned_at", "-pk").values_list("status", flat=True).first()
        dispatches = list(Dispatch.objects.filter(demand=demand).values_list("institution_id", "status"))
        plan = demand.plans.order_by("-created_at", "-pk").values_list("enterprise_informed_on", flat=True)[:1]
        plan = list(plan)
        return cls(
            assignment_status=assignment or "",
            accepted_institutions=frozenset(i for i, s in dispatches if s == DispatchStatus.ACCEPTED),
            pending_institutions=frozenset(i for i, s in dispatches if s == DispatchStatus.PENDING),
            has_preparation=hasattr_row(demand, "preparation"),
            has_agreement=demand.agreements.exists(),
            has_plan=bool(plan),
            plan_informed=bool(plan and plan[0]),
            has_ledger=demand.ledger_entries.exists(),
            has_summary=hasattr_row(demand, "summary"),
            has_evaluation=hasattr_row(demand, "evaluation"),
        )

    @classmethod
    def from_records(cls, demand, *, assignments, escalations, agreements, plans, has_ledger):
        """The same facts from records already read (the demand page reads them all
        anyway): `escalations` with their dispatches prefetched, and the demand's one-to-one
        records (preparation, summary, evaluation) select_related, so no query is made."""
        latest = max(assignments, key=lambda a: (a.assigned_at, a.pk), default=None)
        dispatches = [(d.institution_id, d.status) for e in escalations for d in e.dispatches.all()]
        plan = max(plans, key=lambda p: (p.created_at, p.pk), default=None)
        return cls(
            assignment_status=latest.status if latest else "",
            accepted_institutions=frozenset(i for i, s in dispatches if s == DispatchStatus.ACCEPTED),
            pending_institutions=frozenset(i for i, s in dispatches if s == DispatchStatus.PENDING),
            has_preparation=hasattr_row(demand, "preparation"),
            has_agreement=bool(agreements),
            has_plan=plan is not None,
            plan_informed=bool(plan and plan.enterprise_informed_on),
            has_ledger=has_ledger,
            has_summary=hasattr_row(demand, "summary"),
            has_evaluation=hasattr_row(demand, "evaluation"),
        )


def hasattr_row(demand, name):
    from django.core.exceptions import ObjectDoesNotExist

    try:
        getattr(demand, name)
    except ObjectDoesNotExist:
        return False
    return True


def available_actions(scope, demand, facts=None):
    """The transitions `scope` may take on `demand` now (requirements not yet checked:
    the UI shows a missing requirement as a hint on the action)."""
    facts = facts or Facts.of(demand)
    actions = []
    for transition in TRANSITIONS.values():
        if not transition.allowed_for(scope, demand, facts):
            continue
        if (
            transition.action == "close"
            and demand.status == S.SUMMARY_SUBMITTED
            and not CLOSE_WITHOUT_EVALUATION_WHO(scope, demand, facts)
        ):
            continue
        actions.append(transition)
    return actions
