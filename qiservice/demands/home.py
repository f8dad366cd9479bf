"""What waits for a user: the "my work" page and the demand panel of the home page
(registered in apps.ready).

`waiting_work(user)` returns the sections of work that wait for the user, per role, each
oldest first: a specialist's assignments to answer and open demands by status; the agency's
demands to assign, dispatch, follow up and close and the typical cases to review; an
institution's dispatches to answer and accepted services; an enterprise's demands to
evaluate and in progress. Every section is one count and (on the my-work page) one page of
rows read in a fixed number of queries, whatever the number of rows.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from qiservice.accounts.views import HOME_EXTENSIONS
from qiservice.core.visibility import get_scope

from . import transitions as T
from .choices import OPEN_STATUSES, AssignmentStatus, CaseStatus, DemandStatus, DispatchStatus
from .models import (
    Agreement,
    Assignment,
    Demand,
    Dispatch,
    LedgerEntry,
    Preparation,
    ServicePlan,
    StatusChange,
    Summary,
    TypicalCase,
)

# Rows shown per section on the my-work page; the section links to the full list.
SECTION_ROWS = 20

# What a demand waits for when the user has nothing to do on it now.
WAITING_FOR = {
    DemandStatus.REGISTERED: _("等待服务专员开始服务准备"),
    DemandStatus.ESCALATED: _("等待管理机构派单"),
    DemandStatus.DISPATCHED: _("等待技术机构接单"),
    DemandStatus.SERVICE_ENDED: _("等待提交工作总结"),
    DemandStatus.SUMMARY_SUBMITTED: _("等待服务对象评价"),
    DemandStatus.EVALUATED: _("等待办结"),
}
# Actions open on every demand (leaving the workflow) are not "the next step".
NOT_NEXT = {"withdraw", "cancel"}


@dataclass
class Row:
    """One item of a section: the demand, since when it waits, what the user can do."""

    demand: Demand
    since: object
    actions: list = field(default_factory=list)
    note: str = ""
    link: str = ""
    link_label: str = ""

    @property
    def waiting_days(self):
        if not self.since:
            return None
        return (timezone.localdate() - timezone.localdate(self.since)).days

    @property
    def waiting_for(self):
        if self.demand.status == DemandStatus.REGISTERED and not self.demand.specialist_id:
            return _("等待管理机构指派服务专员")
        return WAITING_FOR.get(self.demand.status, "")


class Section:
    """A group of waiting work: a title, what to do, a count and the oldest rows."""

    def __init__(
        self,
        key,
        title,
        hint,
        queryset,
        *,
        scope,
        kind="demand",
        list_query=None,
        count=None,
        group="",
        waiting=None,
        first_rows=None,
    ):
        self.key = key
        self.waiting = waiting or _("等待其他方处理")  # shown when a row has no status-specific wait
        self.group = group  # a heading shared by consecutive sections (a specialist's demands by status)
        self.title = title
        self.hint = hint
        self.queryset = queryset
        self.scope = scope
        self.kind = kind
        self.list_query = list_query
        if count is not None:
            self.__dict__["count"] = count
        self.first_rows = first_rows  # the section's rows when read together with others

    @cached_property
    def count(self):
        return self.queryset.count()

    @property
    def list_url(self):
        if self.list_query is None:
            return None
        return reverse("demands:list") + "?" + urlencode(self.list_query, doseq=True)

    @cached_property
    def rows(self):
        if not self.count:
            return []
        objs = self.first_rows if self.first_rows is not None else list(self.queryset[:SECTION_ROWS])
        return ROW_BUILDERS[self.kind](self, objs)


# --- reading a page of rows in a fixed number of queries -------------------------------------


def _since():
    """When the demand entered its current status (its last transition)."""
    return Subquery(
        StatusChange.objects.filter(demand=OuterRef("pk")).order_by("-created_at", "-pk").values("created_at")[:1]
    )


def _demands(queryset):
    """Demands with what a row shows and the facts the transition table needs, so that
    `available_actions` costs no query per row."""
    from django.db.models import Prefetch

    from qiservice.deadlines.models import Deadline
    from qiservice.evaluations.models import Evaluation

    of_demand = {"demand": OuterRef("pk")}
    open_deadlines = Prefetch(
        "deadlines", queryset=Deadline.objects.open().order_by("due_on"), to_attr="open_deadlines"
    )
    return (
        queryset.select_related("enterprise", "district", "specialist")
        .prefetch_related("category_rows", open_deadlines)
        .annotate(
            waiting_since=_since(),
            fact_assignment=Subquery(
                Assignment.objects.filter(**of_demand).order_by("-assigned_at", "-pk").values("status")[:1]
            ),
            fact_preparation=Exists(Preparation.objects.filter(**of_demand)),
            fact_agreement=Exists(Agreement.objects.filter(**of_demand)),
            fact_plan=Exists(ServicePlan.objects.filter(**of_demand)),
            fact_informed=Subquery(
                ServicePlan.objects.filter(**of_demand)
                .order_by("-created_at", "-pk")
                .values("enterprise_informed_on")[:1]
            ),
            fact_ledger=Exists(LedgerEntry.objects.filter(**of_demand)),
            fact_summary=Exists(Summary.objects.filter(**of_demand)),
            fact_evaluation=Exists(Evaluation.objects.filter(**of_demand)),
        )
        .order_by("waiting_since", "pk")
    )


def _facts(demands):
    """The transition table's facts of each demand, from the annotations and one query."""
    if not demands:
        return {}
    dispatches = {}
    for demand_id, institution_id, status in Dispatch.objects.filter(demand__in=[d.pk for d in demands]).values_list(
        "demand_id", "institution_id", "status"
    ):
        dispatches.setdefault(demand_id, []).append((institution_id, status))
    facts = {}
    for d in demands:
        rows = dispatches.get(d.pk, [])
        facts[d.pk] = T.Facts(
            assignment_status=d.fact_assignment or "",
            accepted_institutions=frozenset(i for i, s in rows if s == DispatchStatus.ACCEPTED),
            pending_institutions=frozenset(i for i, s in rows if s == DispatchStatus.PENDING),
            has_preparation=d.fact_preparation,
            has_agreement=d.fact_agreement,
            has_plan=d.fact_plan,
            plan_informed=bool(d.fact_informed),
            has_ledger=d.fact_ledger,
            has_summary=d.fact_summary,
            has_evaluation=d.fact_evaluation,
        )
    return facts


def _next_actions(scope, demand, facts):
    """(transition, what is still missing) for each step the user can take now."""
    return [
        (row, row.missing(demand, facts))
        for row in T.available_actions(scope, demand, facts)
        if row.action not in NOT_NEXT
    ]


def _first_rows_by_status(queryset, counts):
    """{status: its oldest SECTION_ROWS demands} in one query (and the facts of all of
    them in one more), rather than a set of queries per status; `counts`: how many demands
    each status has."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    demands = _demands(queryset)
    if max(counts.values(), default=0) > SECTION_ROWS:
        # Only a status with more rows than a section shows needs the cut in SQL: the
        # window and the query around it cost Django ~5 ms to write, more than reading a
        # specialist's few open demands.
        rank = Window(RowNumber(), partition_by=[F("status")], order_by=[F("waiting_since").asc(), F("pk").asc()])
        demands = demands.annotate(rank=rank).filter(rank__lte=SECTION_ROWS)
    demands = list(demands)
    facts = _facts(demands)
    by_status = {}
    for demand in demands:
        demand.row_facts = facts[demand.pk]
        rows = by_status.setdefault(demand.status, [])
        if len(rows) < SECTION_ROWS:  # in their order: the oldest first
            rows.append(demand)
    return by_status


def _demand_rows(section, demands):
    facts = _facts([d for d in demands if not hasattr(d, "row_facts")])
    return [
        Row(d, d.waiting_since, _next_actions(section.scope, d, getattr(d, "row_facts", None) or facts[d.pk]))
        for d in demands
    ]


def _assignment_rows(section, assignments):
    return [
        Row(
            a.demand,
            a.assigned_at,
            note=a.note,
            link=a.demand.get_absolute_url(),
            link_label=_("接受或拒绝"),
        )
        for a in assignments
    ]


def _dispatch_rows(section, dispatches):
    return [
        Row(
            d.escalation.demand,
            d.dispatched_at,
            note=f"{d.institution} · {d.escalation.needs}",
            link=d.escalation.demand.get_absolute_url(),
            link_label=_("接单或拒绝"),
        )
        for d in dispatches
    ]


def _case_rows(section, cases):
    return [
        Row(
            c.demand,
            c.nominated_at,
            note=c.title,
            link=reverse("demands:case_detail", args=[c.pk]),
            link_label=_("审核"),
        )
        for c in cases
    ]


def _evaluation_rows(section, demands):
    return [
        Row(d, d.waiting_since, link=reverse("evaluations:portal", args=[d.pk]), link_label=_("去评价"))
        for d in demands
    ]


ROW_BUILDERS = {
    "demand": _demand_rows,
    "evaluation": _evaluation_rows,
    "assignment": _assignment_rows,
    "dispatch": _dispatch_rows,
    "case": _case_rows,
}


# --- the sections of each role -----------------------------------------------------------------


def _demand_related(queryset):
    return queryset.select_related("demand__enterprise", "demand__district").prefetch_related("demand__category_rows")


def specialist_sections(user, scope):
    pending = Assignment.objects.filter(specialist_id=scope.specialist_id, status=AssignmentStatus.PENDING)
    # Still theirs (not replaced since) and still open.
    pending = pending.filter(demand__specialist_id=scope.specialist_id, demand__status__in=OPEN_STATUSES)
    sections = [
        Section(
            "assignments",
            _("待我答复的指派"),
            _("管理机构指派给您的需求，请尽快接受或说明理由拒绝。"),
            _demand_related(pending).order_by("assigned_at", "pk"),
            scope=scope,
            kind="assignment",
        )
    ]
    mine = Demand.objects.filter(specialist_id=scope.specialist_id).open().exclude(pk__in=pending.values("demand_id"))
    counts = dict(mine.values_list("status").annotate(n=Count("pk")).order_by())
    first_rows = _first_rows_by_status(mine, counts) if counts else {}
    for status in DemandStatus:
        if counts.get(status):
            sections.append(
                Section(
                    f"mine_{status}",
                    status.label,
                    "",
                    mine.filter(status=status),  # counted above, rows read together: never evaluated
                    scope=scope,
                    list_query={"status": status, "specialist": scope.specialist_id},
                    count=counts[status],
                    group=_("我承办的需求（按所处阶段）"),
                    first_rows=first_rows.get(status, []),
                )
            )
    return sections


def agency_sections(user, scope):
    visible = Demand.objects.restrict(user)
    sections = [
        Section(
            "to_assign",
            _("待指派"),
            _("已登记但还没有服务专员（或专员已拒绝）的需求，请指派服务专员。"),
            _demands(visible.filter(status=DemandStatus.REGISTERED, specialist__isnull=True)),
            scope=scope,
            list_query={"status": DemandStatus.REGISTERED},
        ),
        Section(
            "to_dispatch",
            _("待派单"),
            _("服务专员已上报寻求协助，请派单给技术机构。"),
            _demands(visible.filter(status=DemandStatus.ESCALATED)),
            scope=scope,
            list_query={"status": DemandStatus.ESCALATED},
        ),
        Section(
            "dispatched",
            _("已派单待接单"),
            _("技术机构尚未答复的派单，必要时跟进或改派。"),
            _demands(visible.filter(status=DemandStatus.DISPATCHED)),
            scope=scope,
            list_query={"status": DemandStatus.DISPATCHED},
        ),
        Section(
            "to_close",
            _("待办结"),
            _("已提交工作总结或已评价的需求，核对后办结。"),
            _demands(visible.filter(status__in=[DemandStatus.SUMMARY_SUBMITTED, DemandStatus.EVALUATED])),
            scope=scope,
            list_query={"status": [DemandStatus.SUMMARY_SUBMITTED, DemandStatus.EVALUATED]},
        ),
    ]
    if scope.is_agency_admin:
        cases = TypicalCase.objects.filter(status=CaseStatus.NOMINATED)
        sections.append(
            Section(
                "cases",
                _("待审核的典型案例"),
                _("服务专员推荐的典型案例，请审核入库或退回。"),
                _demand_related(cases).order_by("nominated_at", "pk"),
                scope=scope,
                kind="case",
            )
        )
    return sections


def institution_sections(user, scope):
    mine = Dispatch.objects.filter(institution_id__in=scope.institution_ids)
    pending = mine.filter(status=DispatchStatus.PENDING, demand__status=DemandStatus.DISPATCHED)
    accepted = Demand.objects.open().filter(pk__in=mine.filter(status=DispatchStatus.ACCEPTED).values("demand_id"))
    return [
        Section(
            "dispatches",
            _("待答复的派单"),
            _("管理机构派给本机构的需求，请尽快接单或说明理由拒绝。"),
            pending.select_related("institution", "demand__enterprise", "demand__district").order_by(
                "dispatched_at", "pk"
            ),
            scope=scope,
            kind="dispatch",
        ),
        Section(
            "accepted",
            _("已接单的服务"),
            _("本机构已接单、尚未办结的需求。"),
            _demands(accepted),
            scope=scope,
        ),
    ]


def enterprise_sections(user, scope):
    from qiservice.evaluations.models import Evaluation

    mine = Demand.objects.filter(enterprise_id__in=scope.enterprise_ids)
    to_evaluate = mine.filter(
        status__in=[DemandStatus.SERVICE_ENDED, DemandStatus.SUMMARY_SUBMITTED],
    ).exclude(Exists(Evaluation.objects.filter(demand=OuterRef("pk"))))
    return [
        Section(
            "to_evaluate",
            _("待评价"),
            _("服务已结束，请对服务专员的工作进行满意度评价（附录C）。"),
            _demands(to_evaluate),
            scope=scope,
            kind="evaluation",
        ),
        Section(
            "open",
            _("进行中的需求"),
            _("本企业尚未办结的需求。"),
            _demands(mine.open().exclude(pk__in=to_evaluate.values("pk"))),
            scope=scope,
            waiting=_("服务专员跟进中"),
        ),
    ]


@dataclass
class RoleWork:
    role: str
    title: str
    sections: list

    @property
    def count(self):
        return sum(s.count for s in self.sections)


def waiting_work(user, scope=None):
    """The user's waiting work, one RoleWork per role they hold."""
    scope = scope or get_scope(user)
    work = []
    if scope.is_specialist:
        work.append(RoleWork("specialist", _("服务专员"), specialist_sections(user, scope)))
    if scope.is_agency:
        work.append(RoleWork("agency", _("管理机构"), agency_sections(user, scope)))
    if scope.institution_ids:
        work.append(RoleWork("institution", _("技术机构"), institution_sections(user, scope)))
    if scope.enterprise_ids:
        work.append(RoleWork("enterprise", _("服务对象"), enterprise_sections(user, scope)))
    return work


# --- the home page --------------------------------------------------------------------------------


def demand_panel(request, scope):
    """The home page's "我的工作" panel: the counts of the user's waiting work."""
    work = waiting_work(request.user, scope)
    if not work:
        return {}
    return {
        "home_panels": ["demands/_home_panel.html"],
        "demand_work": work,
        "may_register": scope.is_agency or scope.is_specialist,
    }


HOME_EXTENSIONS.append(demand_panel)
