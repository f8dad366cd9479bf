from django.db import models
from django.utils.translation import gettext_lazy as _


class DemandSource(models.TextChoices):
    """Appendix A 来源."""

    ONSITE = "onsite", _("现场")
    PHONE = "phone", _("电话")
    WEB = "web", _("网络")
    OTHER = "other", _("其他")


class DemandStatus(models.TextChoices):
    """Where a demand stands in the workflow of clause 7 (Figure 1)."""

    REGISTERED = "registered", _("已登记")
    PREPARING = "preparing", _("服务准备")
    CONFIRMED = "confirmed", _("已确认需求")
    ESCALATED = "escalated", _("已上报待派单")
    DISPATCHED = "dispatched", _("已派单待接单")
    ACCEPTED = "accepted", _("技术机构已接单")
    AGREEMENT_SIGNED = "agreement_signed", _("已签订协议")
    PLAN_MADE = "plan_made", _("已制定方案")
    IN_SERVICE = "in_service", _("服务实施中")
    SERVICE_ENDED = "service_ended", _("服务已结束")
    SUMMARY_SUBMITTED = "summary_submitted", _("已提交总结")
    EVALUATED = "evaluated", _("已评价")
    CLOSED = "closed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")
    CANCELLED = "cancelled", _("已取消")

    @classmethod
    def badge(cls, value):
        return STATUS_BADGES.get(value, "secondary")


STATUS_BADGES = {
    "registered": "info",
    "preparing": "primary",
    "confirmed": "primary",
    "escalated": "warning",
    "dispatched": "warning",
    "accepted": "primary",
    "agreement_signed": "primary",
    "plan_made": "primary",
    "in_service": "success",
    "service_ended": "success",
    "summary_submitted": "success",
    "evaluated": "success",
    "closed": "dark",
    "withdrawn": "secondary",
    "cancelled": "secondary",
}

TERMINAL_STATUSES = {DemandStatus.CLOSED, DemandStatus.WITHDRAWN, DemandStatus.CANCELLED}
OPEN_STATUSES = [s for s in DemandStatus.values if s not in TERMINAL_STATUSES]


class ServiceMode(models.TextChoices):
    """8.3 — serve directly, or escalate through the platform for assistance."""

    DIRECT = "direct", _("直接提供服务")
    ASSISTED = "assisted", _("寻求服务协助")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已拒绝")
    REPLACED = "replaced", _("已改派")


class DispatchStatus(models.TextChoices):
    PENDING = "pending", _("待接单")
    ACCEPTED = "accepted", _("已接单")
    DECLINED = "declined", _("已拒绝")


class ServiceMethod(models.TextChoices):
    ONSITE = "onsite", _("现场")
    REMOTE = "remote", _("远程")
    MIXED = "mixed", _("现场与远程结合")


class RiskKind(models.TextChoices):
    """8.2.4 risk information."""

    LEGAL = "legal", _("法律法规")
    TRADE_SECRET = "trade_secret", _("商业秘密")
    INFORMATION_SECURITY = "information_security", _("信息安全")
    OTHER = "other", _("其他")


class NoteKind(models.TextChoices):
    PROGRESS = "progress", _("进展")
    INSTRUCTION = "instruction", _("工作指示")


class AttachmentStage(models.TextChoices):
    REGISTRATION = "registration", _("需求登记")
    PREPARATION = "preparation", _("服务准备")
    AGREEMENT = "agreement", _("服务协议")
    PLAN = "plan", _("服务方案")
    SERVICE = "service", _("服务实施")
    SUMMARY = "summary", _("工作总结")
    OTHER = "other", _("其他")


class CaseStatus(models.TextChoices):
    NOMINATED = "nominated", _("待审核")
    APPROVED = "approved", _("已入库")
    RETURNED = "returned", _("已退回")


class TargetStatus(models.TextChoices):
    """A special task's target enterprise, as the specialist works through the list."""

    PENDING = "pending", _("待联系")
    CONTACTED = "contacted", _("已联系")
    DEMAND_REGISTERED = "demand_registered", _("已登记需求")
    NO_DEMAND = "no_demand", _("暂无需求")
    UNREACHABLE = "unreachable", _("无法联系")


class ContactMethod(models.TextChoices):
    VISIT = "visit", _("上门走访")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网络/微信")
    MEETING = "meeting", _("座谈会")
