"""A demand as its enterprise sees it: the status in plain words, what happens next, the
people serving it, the agreement and plan, the files it may open, and a timeline.

Built from an allow-list, not by hiding things from the staff timeline: only the status
changes (with a reason only where the enterprise is owed one: withdrawing, cancelling), the
agreement, the plan, the attachments the enterprise may see and its evaluation. Never the
notes (progress and the agency's instructions), the ledger, the preparation, assignments
and their answers, dispatches and declines, nor other parties' trade secrets.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.accounts.choices import Role
from qiservice.demands import transitions as T
from qiservice.demands.choices import AttachmentStage, DemandStatus, DispatchStatus, ServiceMode
from qiservice.demands.models import Dispatch

S = DemandStatus

# Each status in the enterprise's words: (what it means, what happens next).
PLAIN = {
    S.REGISTERED: (gettext_lazy("已收到您的需求"), gettext_lazy("管理机构正在为您安排服务专员，服务专员将与您联系。")),
    S.PREPARING: (
        gettext_lazy("服务专员正在了解情况"),
        gettext_lazy("服务专员将与您核实企业信息，初步确认服务内容。"),
    ),
    S.CONFIRMED: (gettext_lazy("需求已确认"), gettext_lazy("服务专员将与您商定并签订服务协议。")),
    S.ESCALATED: (
        gettext_lazy("正在为您安排技术机构"),
        gettext_lazy("需要技术机构协助，管理机构将选派合适的技术机构。"),
    ),
    S.DISPATCHED: (gettext_lazy("正在等待技术机构接单"), gettext_lazy("技术机构接单后，将与您签订服务协议。")),
    S.ACCEPTED: (gettext_lazy("技术机构已接单"), gettext_lazy("管理机构、技术机构将与您签订服务协议。")),
    S.AGREEMENT_SIGNED: (gettext_lazy("已签订服务协议"), gettext_lazy("服务方将制定服务方案并告知您。")),
    S.PLAN_MADE: (
        gettext_lazy("服务方案已制定"),
        gettext_lazy("请阅读服务协议和服务方案，点击“已知悉”，随后开始服务。"),
    ),
    S.IN_SERVICE: (gettext_lazy("服务实施中"), gettext_lazy("服务方按方案为您服务；有问题请随时留言。")),
    S.SERVICE_ENDED: (gettext_lazy("服务已结束"), gettext_lazy("请对本次服务进行满意度评价。")),
    S.SUMMARY_SUBMITTED: (gettext_lazy("服务已结束"), gettext_lazy("请对本次服务进行满意度评价。")),
    S.EVALUATED: (gettext_lazy("您已完成评价"), gettext_lazy("管理机构将办结该需求。感谢您的评价。")),
    S.CLOSED: (gettext_lazy("已办结"), gettext_lazy("本次服务已全部完成。如有新的需要，请提交新需求。")),
    S.WITHDRAWN: (gettext_lazy("已撤回"), gettext_lazy("该需求已撤回，不再办理。")),
    S.CANCELLED: (gettext_lazy("已取消"), gettext_lazy("该需求已由管理机构取消，不再办理。")),
}

# The line a transition leaves on the enterprise's timeline.
ACTION_WORDS = {
    "register": gettext_lazy("提交需求"),
    "start_preparation": gettext_lazy("服务专员开始服务准备"),
    "confirm": gettext_lazy("服务专员确认需求"),
    "escalate": gettext_lazy("上报平台寻求技术机构协助"),
    "switch_to_assisted": gettext_lazy("转为寻求技术机构协助"),
    "dispatch": gettext_lazy("管理机构派单给技术机构"),
    "accept_dispatch": gettext_lazy("技术机构接单"),
    "decline_dispatch": gettext_lazy("重新安排技术机构"),
    "sign_agreement": gettext_lazy("签订服务协议"),
    "make_plan": gettext_lazy("制定服务方案"),
    "start_service": gettext_lazy("开始服务实施"),
    "end_service": gettext_lazy("服务结束"),
    "submit_summary": gettext_lazy("服务专员提交工作总结"),
    "evaluate": gettext_lazy("满意度评价"),
    "close": gettext_lazy("办结"),
    "withdraw": gettext_lazy("撤回需求"),
    "cancel": gettext_lazy("取消需求"),
}
# The transitions whose stated reason the enterprise is owed.
REASONS_SHOWN = {"withdraw", "cancel"}

# Stages of other parties' files that are working records of the service side.
INTERNAL_STAGES = {AttachmentStage.PREPARATION, AttachmentStage.SUMMARY}


@dataclass
class Event:
    at: datetime
    kind: str  # status, plan_acknowledged, attachment, evaluation
    title: str
    text: str = ""
    status: str = ""

    @property
    def status_badge(self):
        return DemandStatus.badge(self.status) if self.status else ""

    def as_dict(self):
        return {"at": self.at, "kind": self.kind, "title": self.title, "text": self.text, "status": self.status}


def plain_status(demand, plan=None, awaiting_evaluation=False):
    """(what the status means, what happens next) in the enterprise's words."""
    title, next_step = PLAIN[demand.status]
    if demand.status == S.REGISTERED and demand.specialist_id:
        next_step = _("服务专员 %(name)s 将与您联系，了解具体情况。") % {"name": demand.specialist.name}
    elif demand.status == S.CONFIRMED and demand.service_mode == ServiceMode.ASSISTED:
        next_step = PLAIN[S.ESCALATED][1]
    elif demand.status == S.PLAN_MADE and plan is not None and plan.acknowledged_at:
        next_step = _("您已确认知悉服务方案，服务即将开始实施。")
    elif demand.status in (S.SERVICE_ENDED, S.SUMMARY_SUBMITTED) and not awaiting_evaluation:
        title, next_step = PLAIN[S.EVALUATED]
    return str(title), str(next_step)


def attachments_for_enterprise(user, demand):
    """The files the enterprise may open: its own users' uploads (trade secrets included),
    and the others' files that are not trade secrets nor working records of the service
    side (preparation, summary)."""
    own = Q(
        uploaded_by__role_assignments__role=Role.ENTERPRISE_USER,
        uploaded_by__role_assignments__enterprise_id=demand.enterprise_id,
    )
    others = Q(is_trade_secret=False) & ~Q(stage__in=INTERNAL_STAGES)
    return demand.attachments.filter(own | others).distinct().order_by("uploaded_at", "pk")


def accepted_institution(demand):
    row = (
        Dispatch.objects.filter(demand=demand, status=DispatchStatus.ACCEPTED)
        .select_related("institution")
        .order_by("-responded_at", "-pk")
        .first()
    )
    return row.institution if row else None


def build(demand, *, plans, attachments):
    """The enterprise's timeline, oldest first."""
    events = []
    for change in demand.status_changes.order_by("created_at", "pk"):
        if change.action == "evaluate":
            continue  # the evaluation's own line says it, with its score
        text = change.reason if change.action in REASONS_SHOWN else ""
        title = ACTION_WORDS.get(change.action, DemandStatus(change.to_status).label)
        events.append(Event(change.created_at, "status", str(title), text, status=change.to_status))
    for plan in plans:
        if plan.acknowledged_at:
            events.append(Event(plan.acknowledged_at, "plan_acknowledged", _("您已确认知悉服务方案")))
    for attachment in attachments:
        events.append(Event(attachment.uploaded_at, "attachment", _("附件"), attachment.original_name))
    if T.hasattr_row(demand, "evaluation"):
        evaluation = demand.evaluation
        events.append(
            Event(evaluation.submitted_at, "evaluation", _("满意度评价"), _("总分 %(t)d") % {"t": evaluation.total})
        )
    events.sort(key=lambda e: e.at)
    return events
