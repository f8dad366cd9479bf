"""Random sequences of actions by random roles keep every demand legal (Hypothesis).

Each example registers one demand and takes up to MAX_STEPS actions: every transition
of the table plus the rules functions that write records without a transition (assign,
respond_to_assignment, add_ledger_entry, add_note, save_preparation, mark_informed,
record_evaluation), each by one of the named people, with valid data (and now and then
a blank reason, which must be refused). Most steps are "guided" (drawn from what the
roles may do now, so examples reach the end of the workflow); the rest are any action
by anyone, so refusals are exercised too.

After every step:
- accepted: the transition was offered to that user by `available_actions` and the
  status is the table's target (or the documented alternative of decline_dispatch and
  submit_summary); the version went up; no record disappeared;
- refused: a WorkflowError was raised and nothing changed (status, version, the ids
  and states of every record of the demand, the audit log, the notifications);
- always: the status is a DemandStatus, the records the status implies exist, the
  StatusChange rows form a chain ending at the status, a terminal demand offers no
  action to anyone, and the timeline has one "transition" event per StatusChange in
  order.

Settings (kept fast enough for CI, about 15 s on SQLite): max_examples=50 (the
environment variable QI_PROP_EXAMPLES raises it for a longer hunt), 5 to 30 actions per
example (at most 3 more once the demand is closed, withdrawn or cancelled), deadline=None
(a step makes dozens of queries). The timeline is checked at the end of each example.
A longer hunt (4 x 400 examples) found nothing beyond the assignment bug below.
"""

import itertools
import os

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Coalesce, Concat
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from qiservice.core.models import AuditLog
from qiservice.core.visibility import get_scope
from qiservice.deadlines.models import Deadline
from qiservice.demands import timeline, workflow
from qiservice.demands.choices import (
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    AssignmentStatus,
    DemandStatus,
    DispatchStatus,
    ServiceMode,
)
from qiservice.demands.choices import DemandStatus as S
from qiservice.demands.models import (
    Agreement,
    Assignment,
    Attachment,
    Demand,
    DemandCategory,
    Dispatch,
    Escalation,
    LedgerEntry,
    Milestone,
    Note,
    Preparation,
    ServicePlan,
    StatusChange,
    Summary,
    TypicalCase,
)
from qiservice.demands.transitions import TRANSITIONS, Facts, available_actions
from qiservice.evaluations.models import Evaluation, EvaluationInvitation
from qiservice.notifications.models import Notification
from qiservice.reports import counters

from ._prop_world import build_world
from .conftest import RATINGS, agreement_data, ledger_data, plan_data, preparation_data

EXAMPLES = int(os.environ.get("QI_PROP_EXAMPLES", "50"))  # raise it for a longer hunt
MIN_STEPS, MAX_STEPS = 5, 30
AFTER_THE_END = 3  # actions tried on a closed, withdrawn or cancelled demand before stopping

ROLES = [
    "admin",
    "officer_jimei",
    "officer_siming",
    "specialist",
    "specialist_siming",
    "institution_staff",
    "testing_staff",
    "enterprise_user",
    "auditor",
    "outsider",
]
HELPERS = [
    "assign",
    "respond_to_assignment",
    "add_ledger_entry",
    "add_note",
    "save_preparation",
    "mark_informed",
    "record_evaluation",
]
ACTIONS = [*TRANSITIONS, *HELPERS]
ESCALATIONS = {"escalate", "switch_to_assisted"}  # one rules function, the mode decides which
BLANK = 3  # the variant that sends a blank reason where one is needed

# Who registers the example's demand, and for which enterprise.
REGISTRANTS = [
    ("specialist", "ent_jimei"),
    ("officer_jimei", "ent_jimei"),
    ("enterprise_user", "ent_jimei"),
    ("admin", "ent_jimei"),
    ("specialist_siming", "ent_siming"),
]

# Every record of a demand: (name, queryset of the demand's rows, fields whose values
# must not change on a refusal).
SEP = "\x1f"
RECORDS = [
    ("status_changes", lambda d: StatusChange.objects.filter(demand=d), ()),
    ("categories", lambda d: DemandCategory.objects.filter(demand=d), ()),
    ("assignments", lambda d: Assignment.objects.filter(demand=d), ("status", "reason")),
    ("notes", lambda d: Note.objects.filter(demand=d), ()),
    ("preparation", lambda d: Preparation.objects.filter(demand=d), ("plan_notes", "updated_at")),
    ("escalations", lambda d: Escalation.objects.filter(demand=d), ()),
    ("dispatches", lambda d: Dispatch.objects.filter(escalation__demand=d), ("status", "reason")),
    ("agreements", lambda d: Agreement.objects.filter(demand=d), ()),
    ("plans", lambda d: ServicePlan.objects.filter(demand=d), ("enterprise_informed_on",)),
    ("milestones", lambda d: Milestone.objects.filter(plan__demand=d), ("progress",)),
    ("ledger", lambda d: LedgerEntry.objects.filter(demand=d), ()),
    ("summary", lambda d: Summary.objects.filter(demand=d), ()),
    ("invitations", lambda d: EvaluationInvitation.objects.filter(demand=d), ("used_at", "revoked_at")),
    ("evaluation", lambda d: Evaluation.objects.filter(demand=d), ()),
    ("cases", lambda d: TypicalCase.objects.filter(demand=d), ("status",)),
    ("attachments", lambda d: Attachment.objects.filter(demand=d), ()),
    ("deadlines", lambda d: Deadline.objects.filter(demand=d), ("met_at", "cancelled_at")),
]


def _signature(fields):
    """The values of `fields` as one string, compared before and after a refusal."""
    if not fields:
        return Value("", output_field=CharField())
    parts = []
    for field in fields:
        parts += [Coalesce(Cast(field, CharField()), Value("")), Value(SEP)]
    return Concat(*parts, output_field=CharField())


def snapshot(demand):
    """Everything a refused action must leave as it was: {record: {pk: signature}} of
    every record table (read in one query), the demand's row, the audit log's and the
    notifications' sizes."""
    tables = [
        rows(demand)
        .order_by()
        .annotate(t=Cast(Value(name), CharField()), sig=_signature(fields))
        .values_list("t", "pk", "sig")
        for name, rows, fields in RECORDS
    ]
    state = {name: {} for name, _rows, _fields in RECORDS}
    for name, pk, signature in tables[0].union(*tables[1:], all=True):
        state[name][pk] = signature
    state["demand"] = Demand.objects.values("status", "version", "service_mode", "specialist_id", "closed_at").get(
        pk=demand.pk
    )
    state["audit"] = AuditLog.objects.count()
    state["notifications"] = Notification.objects.count()
    return state


def data_for(action, variant, world, demand):
    """Valid keyword arguments for an action (a blank reason for variant BLANK)."""
    reason = " " if variant == BLANK else "测试理由"
    if action == "confirm":
        return {"mode": [ServiceMode.DIRECT, ServiceMode.ASSISTED][variant % 2], "reason": reason}
    if action == "sign_agreement":
        return agreement_data()
    if action == "make_plan":
        return plan_data()
    if action in ESCALATIONS:
        return {"reason": reason, "needs": "需要检定校准资质"}
    if action == "dispatch":
        choices = [[world.metrology], [world.testing], [world.metrology, world.testing]]
        return {"institutions": choices[variant % 3]}
    if action in ("decline_dispatch", "withdraw", "cancel"):
        return {"reason": reason}
    if action == "submit_summary":
        return {"problems_solved": "校准周期不明", "methods": "现场核查", "results": "通过内审"}
    if action == "close":
        # Closing an evaluated demand needs no reason; closing without an evaluation does.
        return {"reason": "" if variant == BLANK else "企业逾期未评价"}
    if action == "assign":
        return {"specialist": [world.sp_jimei, world.sp_siming][variant % 2], "note": "请尽快联系企业"}
    if action == "respond_to_assignment":
        return {"accept": variant % 2 == 0, "reason": reason}
    if action == "add_ledger_entry":
        return ledger_data()
    if action == "add_note":
        return {"kind": ["progress", "instruction"][variant % 2], "text": "已电话联系企业"}
    if action == "save_preparation":
        return preparation_data()
    if action == "record_evaluation":
        channel = ["link", "portal", "paper"][variant % 3]
        invitation = demand.evaluation_invitations.filter(used_at=None, revoked_at=None).first()
        return {"ratings": RATINGS, "channel": channel, "invitation": invitation}
    return {}


def perform(action, demand, user, kwargs):
    if action in TRANSITIONS:
        return workflow.take(action, demand, by=user, **kwargs)
    if action == "assign":
        specialist = kwargs.pop("specialist")
        return workflow.assign(demand, specialist, by=user, **kwargs)
    if action == "record_evaluation":
        by = None if kwargs["channel"] == "link" else user
        return workflow.record_evaluation(demand, by=by, **kwargs)
    return getattr(workflow, action)(demand, by=user, **kwargs)


def check_legal(demand, state):
    """The status is one of DemandStatus and the records it implies exist."""
    status = demand.status
    assert status in DemandStatus.values
    if status in TERMINAL_STATUSES:
        assert demand.closed_at is not None
    has = {name: bool(state[name]) for name, _rows, _f in RECORDS}
    statuses = [signature.split(SEP)[0] for signature in state["dispatches"].values()]  # status comes first
    pending, accepted = statuses.count(DispatchStatus.PENDING), statuses.count(DispatchStatus.ACCEPTED)
    if status not in (S.REGISTERED, S.PREPARING, *TERMINAL_STATUSES):
        assert demand.service_mode in ServiceMode.values and has["preparation"], status
    if status in (S.ESCALATED, S.DISPATCHED, S.ACCEPTED):
        assert demand.service_mode == ServiceMode.ASSISTED and has["escalations"], status
    if status == S.ESCALATED:
        assert pending == 0 and accepted == 0, "escalated: nothing waiting, nobody accepted"
    if status == S.DISPATCHED:
        assert pending >= 1 and accepted == 0, "dispatched: some institution has it waiting"
    if status == S.ACCEPTED:
        assert pending == 0 and accepted == 1, "accepted: exactly one institution took it"
    if status == S.PLAN_MADE:
        assert has["agreements"]
    if status == S.IN_SERVICE:
        assert has["plans"]
    if status == S.SERVICE_ENDED:
        assert has["ledger"] and has["invitations"] and demand.service_ended_at
    if status == S.SUMMARY_SUBMITTED:
        assert has["summary"] and not has["evaluation"]
    if status == S.EVALUATED:
        assert has["summary"] and has["evaluation"]
    if status == S.CLOSED:
        assert has["summary"]
    if has["evaluation"]:
        assert status in (S.SERVICE_ENDED, S.EVALUATED, S.CLOSED), status
    # The demand's specialist is the one of its latest assignment, unless they declined.
    latest = demand.assignments.order_by("-assigned_at", "-pk").first()
    if latest is not None and latest.status != AssignmentStatus.DECLINED:
        assert demand.specialist_id == latest.specialist_id, (latest.status, demand.specialist_id)
    if latest is not None and latest.status == AssignmentStatus.DECLINED:
        assert demand.specialist_id is None


def check_chain(demand):
    changes = list(StatusChange.objects.filter(demand=demand).order_by("pk"))
    assert changes[0].action == "register" and changes[0].from_status == ""
    assert changes[0].to_status == S.REGISTERED
    for before, after in itertools.pairwise(changes):
        assert after.from_status == before.to_status, (before.action, after.action)
    assert changes[-1].to_status == demand.status
    return changes


class DemandStateMachineTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def user(self, role):
        return getattr(self.world.people, role)

    def role_of(self, specialist_id):
        return {self.world.sp_jimei.pk: "specialist", self.world.sp_siming.pk: "specialist_siming"}.get(specialist_id)

    def guided(self, demand, facts):
        """(action, role) pairs that should be accepted now: what the table offers each
        role with its requirements met (except withdraw and cancel, left to the random
        steps), and the record writers that a next transition needs."""
        pairs = []
        for role in ROLES:
            scope = get_scope(self.user(role))
            for row in available_actions(scope, demand, facts):
                if row.action not in ("withdraw", "cancel") and row.missing(demand, facts) is None:
                    pairs.append((row.action, role))
        if demand.status not in OPEN_STATUSES:
            return pairs
        specialist = self.role_of(demand.specialist_id)
        if facts.assignment_status in ("", AssignmentStatus.DECLINED):
            pairs.append(("assign", "admin"))
        if facts.assignment_status == AssignmentStatus.PENDING and specialist:
            pairs.append(("respond_to_assignment", specialist))
        if demand.status == S.PREPARING and specialist and not facts.has_preparation:
            pairs.append(("save_preparation", specialist))
        if demand.status == S.IN_SERVICE and not facts.has_ledger:
            if facts.assignment_status == AssignmentStatus.ACCEPTED and specialist:
                pairs.append(("add_ledger_entry", specialist))
            if self.world.metrology.pk in facts.accepted_institutions:
                pairs.append(("add_ledger_entry", "institution_staff"))
            if self.world.testing.pk in facts.accepted_institutions:
                pairs.append(("add_ledger_entry", "testing_staff"))
        if facts.has_plan and not facts.plan_informed:
            pairs.append(("mark_informed", "enterprise_user"))
        if demand.status in (S.SERVICE_ENDED, S.SUMMARY_SUBMITTED) and not facts.has_evaluation:
            pairs.append(("record_evaluation", "enterprise_user"))
        return pairs

    def step(self, demand, action, role, variant, before, facts):
        """Take one action; returns the snapshot after it."""
        user = self.user(role)
        offered = {row.action for row in available_actions(get_scope(user), demand, facts)}
        kwargs = data_for(action, variant, self.world, demand)
        try:
            perform(action, demand, user, kwargs)
        except workflow.WorkflowError as error:
            after = snapshot(demand)
            assert after == before, f"{action} by {role} was refused ({error.messages}) but wrote something"
            if action in TRANSITIONS:
                twin = ESCALATIONS if action in ESCALATIONS else {action}
                rows = [TRANSITIONS[a] for a in twin & offered]
                if error.code in ("not_permitted", "not_allowed_now"):
                    assert not rows, f"{action} offered to {role} yet refused: {error.messages}"
                elif rows and all(r.missing(demand, facts) is None for r in rows) and variant != BLANK:
                    # Offered, its records in place, valid data: only a repeated dispatch
                    # to the same institution may still be refused.
                    assert action == "dispatch" and "已派给过" in error.messages[0], (action, role, error.messages)
            event(f"refused: {action}")
            return after
        event(f"accepted: {action}")
        demand.refresh_from_db()
        after = snapshot(demand)
        self.check_accepted(demand, action, role, variant, before, after, offered, facts)
        return after

    def check_accepted(self, demand, action, role, variant, before, after, offered, facts):
        assert after["demand"]["version"] > before["demand"]["version"], f"{action} did not bump the version"
        for name, _rows, _fields in RECORDS:
            lost = set(before[name]) - set(after[name])
            assert not lost, f"{action} by {role} lost {name} {lost}"
        new = set(after["status_changes"]) - set(before["status_changes"])
        assert len(new) <= 1
        changes = list(StatusChange.objects.filter(pk__in=new))
        if variant == BLANK and action in (
            "confirm",
            "decline_dispatch",
            "withdraw",
            "cancel",
            "respond_to_assignment",
            *ESCALATIONS,
        ):
            raise AssertionError(f"{action} accepted a blank reason")
        # Every dispatch carries its escalation's demand (the institutions' scope reads it).
        assert not Dispatch.objects.exclude(demand_id=F("escalation__demand_id")).exists()
        if action in TRANSITIONS:
            twin = ESCALATIONS if action in ESCALATIONS else {action}
            assert twin & offered, f"{action} by {role} was not offered but the rules accepted it"
            if action == "decline_dispatch" and not changes:
                # The documented alternative: another institution still has it waiting.
                assert demand.status == S.DISPATCHED
                assert Dispatch.objects.filter(escalation__demand=demand, status=DispatchStatus.PENDING).exists()
                return
            assert len(changes) == 1, f"{action} made no StatusChange"
            change = changes[0]
            assert change.action in twin and change.action in offered
            assert change.actor_id == self.user(role).pk
            expected = TRANSITIONS[change.action].target
            if action == "submit_summary" and facts.has_evaluation:
                expected = S.EVALUATED  # the evaluation came first
            assert (change.from_status, change.to_status) == (before["demand"]["status"], expected)
            assert demand.status == expected
        elif changes:
            # Only an evaluation of a summarised demand moves it without a table row.
            assert action == "record_evaluation", action
            assert (changes[0].from_status, changes[0].to_status) == (S.SUMMARY_SUBMITTED, S.EVALUATED)
        else:
            assert demand.status == before["demand"]["status"]

    def check_always(self, demand, state, counts):
        check_legal(demand, state)
        check_chain(demand)
        # The dashboard's counters, kept by database triggers, follow every step.
        assert counters.check() == {}
        # No record count ever goes down.
        now = {name: len(state[name]) for name, _rows, _f in RECORDS}
        for name, count in counts.items():
            assert now[name] >= count, name
        if demand.status in TERMINAL_STATUSES:
            facts = Facts.of(demand)
            for role in ROLES:
                assert available_actions(get_scope(self.user(role)), demand, facts) == [], (demand.status, role)
        return now

    def check_timeline(self, demand):
        """One "transition" event per StatusChange, in their order."""
        changes = StatusChange.objects.filter(demand=demand).order_by("pk")
        events = [e for e in timeline.build(demand, self.world.people.admin) if e.kind == "transition"]
        assert [e.obj.pk for e in events] == [c.pk for c in changes]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_random_actions_by_random_roles_keep_the_demand_legal(self, data):
        registrant, enterprise = data.draw(st.sampled_from(REGISTRANTS), label="registered by")
        demand = workflow.register_demand(
            by=self.user(registrant),
            enterprise=getattr(self.world, enterprise),
            categories=["metrology", "standardization"],
            source="onsite",
            contact_name="张经理",
            contact_phone="13800001111",
            description="企业新购三坐标测量机，需要开展计量器具校准。",
        )
        state = snapshot(demand)
        counts = self.check_always(demand, state, {})
        after_the_end = 0
        for _ in range(data.draw(st.integers(MIN_STEPS, MAX_STEPS), label="steps")):
            if demand.status in TERMINAL_STATUSES:
                if after_the_end == AFTER_THE_END:
                    break
                after_the_end += 1
            facts = Facts.of(demand)
            pairs = self.guided(demand, facts)
            if pairs and data.draw(st.integers(0, 9), label="dice") < 8:
                action, role = data.draw(st.sampled_from(pairs), label="guided")
            else:
                action = data.draw(st.sampled_from(ACTIONS), label="action")
                role = data.draw(st.sampled_from(ROLES), label="role")
            variant = data.draw(st.integers(0, 3), label="variant")
            state = self.step(demand, action, role, variant, state, facts)
            demand.refresh_from_db()
            note(f"{action} by {role} (variant {variant}) -> {demand.status}")
            counts = self.check_always(demand, state, counts)
        self.check_timeline(demand)
        event(f"ended {demand.status}")


# --- regressions found by the property test ------------------------------------------------


def test_an_assignment_stores_the_specialist_on_the_demand(world, register):
    """assign() set demand.specialist but saved only the version: the assigned specialist
    could never accept and start the demand."""
    demand = register(by=world.people.officer_jimei)
    workflow.assign(demand, world.sp_jimei, by=world.people.officer_jimei)
    demand.refresh_from_db()
    assert demand.specialist == world.sp_jimei
    workflow.respond_to_assignment(demand, by=world.people.specialist, accept=True)
    workflow.start_preparation(demand, by=world.people.specialist)
    demand.refresh_from_db()
    assert demand.status == S.PREPARING


def test_a_declined_assignment_leaves_the_demand_without_a_specialist(world, register):
    demand = register(by=world.people.officer_jimei)
    workflow.assign(demand, world.sp_jimei, by=world.people.officer_jimei)
    workflow.respond_to_assignment(demand, by=world.people.specialist, accept=False, reason="本月任务已满")
    demand.refresh_from_db()
    assert demand.specialist is None
    workflow.assign(demand, world.sp_siming, by=world.people.admin)
    demand.refresh_from_db()
    assert demand.specialist == world.sp_siming
