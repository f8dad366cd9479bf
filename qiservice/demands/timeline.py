"""A demand's timeline: every transition and record in time order, as a viewer may see it.

One function serves the demand page and the API. Internal instructions are left out for
enterprise users; trade-secret attachments for those who may not see them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from qiservice.core.visibility import get_scope

from .choices import DemandStatus


@dataclass
class Event:
    at: datetime
    kind: str  # transition, assignment, note, instruction, ledger, agreement, plan, dispatch, attachment, evaluation
    title: str
    text: str
    actor: str
    obj: object = None

    def as_dict(self):
        return {"at": self.at, "kind": self.kind, "title": self.title, "text": self.text, "actor": self.actor}


def _name(user):
    return user.display_name if user else _("系统")


def build(demand, user):
    from .workflow import attachments_visible_to

    scope = get_scope(user)
    sees_internal = not (scope.enterprise_ids and demand.enterprise_id in scope.enterprise_ids) or scope.is_agency
    events = []
    for change in demand.status_changes.select_related("actor"):
        title = DemandStatus(change.to_status).label
        events.append(Event(change.created_at, "transition", title, change.reason, _name(change.actor), change))
    for a in demand.assignments.select_related("specialist", "assigned_by"):
        text = a.note
        events.append(
            Event(
                a.assigned_at,
                "assignment",
                _("指派给 %(name)s") % {"name": a.specialist.name},
                text,
                _name(a.assigned_by),
                a,
            )
        )
        if a.responded_at and a.status in ("accepted", "declined"):
            title = _("接受指派") if a.status == "accepted" else _("拒绝指派")
            events.append(Event(a.responded_at, "assignment", title, a.reason, a.specialist.name, a))
    for note in demand.notes.select_related("author"):
        if note.is_internal and not sees_internal:
            continue
        events.append(Event(note.created_at, note.kind, note.get_kind_display(), note.text, _name(note.author), note))
    for entry in demand.ledger_entries.select_related("author"):
        title = _("工作台账（更正）") if entry.corrects_id else _("工作台账")
        events.append(Event(entry.created_at, "ledger", title, entry.problem, _name(entry.author), entry))
    for agreement in demand.agreements.select_related("created_by"):
        events.append(
            Event(
                agreement.created_at,
                "agreement",
                _("服务协议"),
                agreement.parties,
                _name(agreement.created_by),
                agreement,
            )
        )
    for plan in demand.plans.select_related("created_by"):
        events.append(Event(plan.created_at, "plan", _("服务方案"), plan.objectives, _name(plan.created_by), plan))
    for escalation in demand.escalations.prefetch_related("dispatches__institution", "dispatches__responded_by"):
        for d in escalation.dispatches.all():
            if d.responded_at and d.status != "pending":
                title = _("%(inst)s 接单") if d.status == "accepted" else _("%(inst)s 未接单")
                events.append(
                    Event(
                        d.responded_at,
                        "dispatch",
                        title % {"inst": d.institution.name},
                        d.reason,
                        _name(d.responded_by),
                        d,
                    )
                )
    for attachment in attachments_visible_to(user, demand).select_related("uploaded_by"):
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
    evaluation = getattr(demand, "evaluation", None) if hasattr(demand, "evaluation") else None
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
