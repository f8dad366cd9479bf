"""A demand's timeline: every transition and record in time order, as a viewer may see it.

One function serves the demand page and the API. What is internal to the people who run
the service (the agency's instructions, assignment notes and answers, dispatch notes and
the institutions' reasons for declining) is left out for the enterprise's users and for
institutions that have not taken the demand on; trade-secret attachments are left out for
those who may not see them. The number of queries does not grow with the records.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.core.visibility import get_scope

from . import transitions as T
from .choices import AssignmentStatus, DemandStatus, DispatchStatus


@dataclass
class Event:
    at: datetime
    kind: (
        str  # transition, assignment, progress, instruction, ledger, agreement, plan, dispatch, attachment, evaluation
    )
    title: str
    text: str
    actor: str
    obj: object = None
    status: str = ""  # for a transition: the status it led to (the page shows its badge)

    def as_dict(self):
        return {"at": self.at, "kind": self.kind, "title": self.title, "text": self.text, "actor": self.actor}

    @property
    def status_label(self):
        return DemandStatus(self.status).label if self.status else ""

    @property
    def status_badge(self):
        return DemandStatus.badge(self.status) if self.status else ""


def _name(user):
    return user.display_name if user else _("系统")


# Transitions that are not rows of the transition table.
OTHER_ACTIONS = {"register": gettext_lazy("登记需求"), "evaluate": gettext_lazy("满意度评价")}


def _action_label(action):
    row = T.TRANSITIONS.get(action)
    if row is not None:
        return str(row.label)
    return str(OTHER_ACTIONS.get(action, action))


def sees_internal(scope, demand, facts):
    """The agency for the demand, auditors, the specialist it is assigned to (before they
    answer too) and the institutions that accepted it; never the enterprise's users."""
    if scope.is_agency_admin or scope.is_auditor or demand.district_id in scope.district_ids:
        return True
    if scope.is_specialist and demand.specialist_id == scope.specialist_id:
        return True
    return T.accepted_institution(scope, demand, facts)


def internal_demands(user):
    """`sees_internal` as a query: the demands whose internal records (the ledger, the
    preparation, internal notes, dispatch answers) the user reads; a subquery of ids."""
    from .models import Demand, Dispatch

    scope = get_scope(user)
    demands = Demand.objects.all()
    if scope.is_agency_admin or scope.is_auditor:
        return demands.values("pk")
    q = Q(pk__in=[])
    if scope.district_ids:
        q |= Q(district_id__in=scope.district_ids)
    if scope.is_specialist:
        q |= Q(specialist_id=scope.specialist_id)
    if scope.institution_ids:
        accepted = Dispatch.objects.filter(institution_id__in=scope.institution_ids, status=DispatchStatus.ACCEPTED)
        q |= Q(pk__in=accepted.values("demand_id"))
    return demands.filter(q).values("pk")


def _attach(events, action, records, own_event, text):
    """Pair the transitions named `action` with the records they wrote, in order; a record
    without its transition (not expected) gets a line of its own."""
    transitions = [e for e in events if e.kind == "transition" and e.obj.action == action]
    for index, record in enumerate(records):
        if index < len(transitions):
            event = transitions[index]
            event.text = event.text or text(record)
        else:
            events.append(own_event(record))


@dataclass
class Records:
    """A demand's records as the timeline reads them. The demand page loads them once for
    itself and the timeline; `load` reads them for the timeline alone."""

    status_changes: list
    assignments: list
    notes: list
    ledger: list
    agreements: list
    plans: list
    escalations: list
    attachments: list

    @classmethod
    def load(cls, demand, user, **loaded):
        from .workflow import attachments_visible_to

        queries = {
            "status_changes": lambda: demand.status_changes.select_related("actor"),
            "assignments": lambda: demand.assignments.select_related("specialist", "assigned_by"),
            "notes": lambda: demand.notes.select_related("author"),
            "ledger": lambda: demand.ledger_entries.select_related("author", "corrects"),
            "agreements": lambda: demand.agreements.select_related("created_by"),
            "plans": lambda: demand.plans.select_related("created_by"),
            "escalations": lambda: demand.escalations.prefetch_related(
                "dispatches__institution", "dispatches__responded_by"
            ),
            "attachments": lambda: attachments_visible_to(user, demand).select_related("uploaded_by"),
        }
        return cls(**{name: loaded[name] if name in loaded else list(query()) for name, query in queries.items()})


def _in_order(rows, field):
    return sorted(rows, key=lambda row: (getattr(row, field), row.pk))


def build(demand, user, *, facts=None, records=None):
    scope = get_scope(user)
    facts = facts or T.Facts.of(demand)
    records = records or Records.load(demand, user)
    internal = sees_internal(scope, demand, facts)
    events = []
    for change in _in_order(records.status_changes, "created_at"):
        # Why an institution declined is for the agency and the people serving the demand.
        text = change.reason if internal or change.action != "decline_dispatch" else ""
        events.append(
            Event(
                change.created_at,
                "transition",
                _action_label(change.action),
                text,
                _name(change.actor),
                change,
                status=change.to_status,
            )
        )
    if internal:
        for a in records.assignments:
            events.append(
                Event(
                    a.assigned_at,
                    "assignment",
                    _("指派给 %(name)s") % {"name": a.specialist.name},
                    a.note,
                    _name(a.assigned_by),
                    a,
                )
            )
            self_registered = a.assigned_by_id == a.specialist.user_id  # accepted when registered
            if (
                a.responded_at
                and a.status in (AssignmentStatus.ACCEPTED, AssignmentStatus.DECLINED)
                and not self_registered
            ):
                title = _("接受指派") if a.status == AssignmentStatus.ACCEPTED else _("拒绝指派")
                events.append(Event(a.responded_at, "assignment", title, a.reason, a.specialist.name, a))
    for note in records.notes:
        if note.is_internal and not internal:
            continue
        events.append(Event(note.created_at, note.kind, note.get_kind_display(), note.text, _name(note.author), note))
    for entry in records.ledger if internal else ():  # the ledger is an internal working record
        if entry.corrects_id:
            title = _("工作台账（更正 %(date)s 的记录）") % {"date": entry.corrects.entry_on.isoformat()}
        else:
            title = _("工作台账")
        events.append(Event(entry.created_at, "ledger", title, entry.problem, _name(entry.author), entry))
    # An agreement or a plan is written with its transition: its details go on that
    # transition's line rather than on a second line of their own.
    _attach(
        events,
        "sign_agreement",
        _in_order(records.agreements, "created_at"),
        lambda a: Event(a.created_at, "agreement", _("服务协议"), a.parties, _name(a.created_by), a),
        lambda a: a.parties,
    )
    _attach(
        events,
        "make_plan",
        _in_order(records.plans, "created_at"),
        lambda p: Event(p.created_at, "plan", _("服务方案"), p.objectives, _name(p.created_by), p),
        lambda p: p.objectives,
    )
    declines = [e.obj.reason for e in events if e.kind == "transition" and e.obj.action == "decline_dispatch"]
    for escalation in records.escalations:
        for d in escalation.dispatches.all():
            # An acceptance is on the transition's line; a dispatch that lapsed because
            # another institution accepted says nothing new.
            if d.status != DispatchStatus.DECLINED or d.responded_by_id is None or not internal:
                continue
            if f"{d.institution.name}：{d.reason}" in declines:
                continue  # the last decline moved the demand back: on the transition's line
            events.append(
                Event(
                    d.responded_at,
                    "dispatch",
                    _("%(inst)s 未接单") % {"inst": d.institution.name},
                    d.reason,
                    _name(d.responded_by),
                    d,
                )
            )
    for attachment in records.attachments:
        events.append(
            Event(
                attachment.uploaded_at,
                "attachment",
                _("上传附件"),
                attachment.original_name,
                _name(attachment.uploaded_by),
                attachment,
            )
        )
    evaluation = demand.evaluation if T.hasattr_row(demand, "evaluation") else None
    if evaluation is not None:
        events.append(
            Event(
                evaluation.submitted_at,
                "evaluation",
                _("满意度评价"),
                _("总分 %(t)d") % {"t": evaluation.total},
                evaluation.evaluator_name or _("服务对象"),
                evaluation,
            )
        )
    events.sort(key=lambda e: (e.at, e.kind))
    return events
