"""The enterprise portal's API (/api/portal/): the same rules and the same view of a demand
as the portal pages. Only the demands of the caller's own enterprises exist here: any other
id is a 404, whoever asks (the agency and the others use /api/demands/)."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error
from qiservice.api.pagination import CappedPages
from qiservice.core import audit
from qiservice.core.choices import QIField
from qiservice.core.models import AuditEvent
from qiservice.demands.workflow import StaleDemandError

from . import timeline, views, workflow

router = Router(tags=["企业门户"])


# --- schemas ----------------------------------------------------------------------------------


class DemandCardOut(Schema):
    id: int
    number: str
    status: str = Field(description="状态代码")
    status_text: str = Field(description="状态的通俗说明")
    next_step: str = Field(description="下一步会发生什么")
    categories: list[str]
    description: str
    registered_on: date
    specialist_name: str = ""
    unread_messages: int = Field(0, description="服务方的未读回复数")
    awaiting_evaluation: bool = False
    needs_acknowledgement: bool = Field(False, description="服务方案待确认知悉")

    # Read from the annotated demands of `views.portal_demands`, one page at a time.
    @staticmethod
    def resolve_status_text(obj):
        return _card(obj).plain_title

    @staticmethod
    def resolve_next_step(obj):
        return _card(obj).next_step

    @staticmethod
    def resolve_specialist_name(obj):
        return obj.specialist.name if obj.specialist_id else ""

    @staticmethod
    def resolve_unread_messages(obj):
        return obj.unread

    @staticmethod
    def resolve_awaiting_evaluation(obj):
        return _card(obj).awaiting_evaluation

    @staticmethod
    def resolve_needs_acknowledgement(obj):
        return _card(obj).needs_acknowledgement


def _card(demand):
    if not hasattr(demand, "plain_title"):
        views.decorate(demand)
    return demand


class DemandSubmitIn(Schema):
    """需求登记表（附录A），由服务对象在线填写：来源为“网络”，填表人为当前用户。"""

    enterprise: int | None = Field(None, description="服务对象 id；您只属于一个企业时可省略")
    categories: list[str] = Field(description="需求类别，可多选", json_schema_extra={"items": {"enum": QIField.values}})
    description: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    address: str = Field("", description="留空则使用企业登记的地址")


class SubmittedOut(Schema):
    id: int
    number: str
    status: str
    next_step: str


class PersonOut(Schema):
    name: str
    phone: str = ""
    email: str = ""


class MilestoneOut(Schema):
    title: str
    due_on: date
    progress: int
    done_on: date | None = None


class AgreementOut(Schema):
    parties: str
    period_start: date
    period_end: date
    content: str
    method: str
    signed_on: date


class PlanOut(Schema):
    objectives: str
    resources: str
    progress: int
    milestones: list[MilestoneOut]
    enterprise_informed_on: date | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    stage: str
    is_trade_secret: bool
    uploaded_at: datetime
    url: str


class PortalEventOut(Schema):
    at: datetime
    kind: str
    title: str
    text: str
    status: str


class MessageOut(Schema):
    id: int
    side: str = Field(description="enterprise 服务对象 / service 服务方")
    author: str
    text: str
    created_at: datetime
    read_at: datetime | None = None


class DemandOut(Schema):
    id: int
    number: str
    version: int
    status: str
    status_text: str
    next_step: str
    categories: list[str]
    description: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    registered_on: date
    specialist: PersonOut | None = None
    institution: PersonOut | None = None
    agreement: AgreementOut | None = None
    plan: PlanOut | None = None
    attachments: list[AttachmentOut]
    timeline: list[PortalEventOut]
    messages: list[MessageOut]
    awaiting_evaluation: bool
    evaluation_url: str = Field("", description="服务结束待评价时，评价页面的地址")
    evaluation_total: int | None = None


class MessageIn(Schema):
    text: str = Field(description="留言内容，最多 2000 字")


class AcknowledgeIn(Schema):
    version: int | None = Field(None, description="读取时需求的 version；需求已被更新时 409")


class WithdrawIn(Schema):
    reason: str = Field(description="撤回理由")
    version: int | None = Field(None, description="读取时需求的 version；需求已被更新时 409")


class AcknowledgedOut(Schema):
    acknowledged_at: datetime
    acknowledged_by: str
    enterprise_informed_on: date


# --- helpers ----------------------------------------------------------------------------------


def _refused(exc):
    if hasattr(exc, "error_dict"):
        return [{"loc": ["body", f], "msg": m, "type": "invalid"} for f, ms in exc.message_dict.items() for m in ms]
    return [{"loc": ["body"], "msg": m, "type": getattr(exc, "code", None) or "refused"} for m in exc.messages]


def _rules(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except StaleDemandError as exc:
        return Status(409, {"detail": exc.messages[0]})
    except ValidationError as exc:
        raise ApiValidationError(_refused(exc)) from exc


def _message(m):
    return {
        "id": m.pk,
        "side": m.side,
        "author": m.author.display_name,
        "text": m.text,
        "created_at": m.created_at,
        "read_at": m.read_at,
    }


def _detail(request, demand):
    from django.urls import reverse

    c = views.demand_context(request, demand)
    agreement = c["agreements"][0] if c["agreements"] else None
    plan = c["latest_plan"]
    specialist, institution = c["specialist"], c["institution"]
    return {
        "id": demand.pk,
        "number": demand.number,
        "version": demand.version,
        "status": demand.status,
        "status_text": c["plain_title"],
        "next_step": c["next_step"],
        "categories": demand.categories,
        "description": demand.description,
        "address": demand.address,
        "contact_name": demand.contact_name,
        "contact_phone": demand.contact_phone,
        "contact_email": demand.contact_email,
        "registered_on": demand.registered_on,
        "specialist": {"name": specialist.name, "phone": specialist.phone, "email": specialist.email}
        if specialist
        else None,
        "institution": {"name": institution.name, "phone": institution.contact_phone or ""} if institution else None,
        "agreement": {
            "parties": agreement.parties,
            "period_start": agreement.period_start,
            "period_end": agreement.period_end,
            "content": agreement.content,
            "method": agreement.method,
            "signed_on": agreement.signed_on,
        }
        if agreement
        else None,
        "plan": {
            "objectives": plan.objectives,
            "resources": plan.resources,
            "progress": plan.progress,
            "milestones": [
                {"title": m.title, "due_on": m.due_on, "progress": m.progress, "done_on": m.done_on}
                for m in plan.milestones.all()
            ],
            "enterprise_informed_on": plan.enterprise_informed_on,
            "acknowledged_at": plan.acknowledged_at,
            "acknowledged_by": plan.acknowledged_by.display_name if plan.acknowledged_by else "",
        }
        if plan
        else None,
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "size": a.size,
                "stage": a.stage,
                "is_trade_secret": a.is_trade_secret,
                "uploaded_at": a.uploaded_at,
                "url": reverse("portal:attachment", args=[demand.pk, a.pk]),
            }
            for a in c["attachments"]
        ],
        "timeline": [e.as_dict() for e in c["events"]],
        "messages": [_message(m) for m in c["messages_list"]],
        "awaiting_evaluation": c["awaiting_evaluation"],
        "evaluation_url": reverse("evaluations:portal", args=[demand.pk]) if c["awaiting_evaluation"] else "",
        "evaluation_total": c["evaluation"].total if c["evaluation"] else None,
    }


# --- endpoints --------------------------------------------------------------------------------


@router.get("/demands", response=list[DemandCardOut], summary="本企业的需求")
@paginate(CappedPages, page_size=20, max_page_size=100)
def list_demands(request):
    """您所在企业的需求，最新提交的在前，附状态的通俗说明和下一步。账号尚未完成企业核实时为空列表。"""
    return views.portal_demands(request.user).order_by("-registered_at", "-pk")


@router.post(
    "/demands",
    response={201: SubmittedOut, 403: Error, 409: Error, 422: Error, 429: Error},
    summary="在线提交需求（附录A）",
    description=(
        "8.1.1 — 服务对象在线提交需求，来源为“网络”，自动编号并进入指派流程。"
        "403 账号尚未完成企业核实；422 输入有误（中文原因，不作任何修改）；"
        "429 提交过于频繁（每个用户、每个来源地址每小时最多 10 条）。附件请在企业门户页面上传。"
    ),
)
def submit_demand(request, payload: DemandSubmitIn):
    enterprises = list(workflow.enterprises_of(request.user))
    if not enterprises:
        return Status(403, {"detail": _("您的账号尚未完成企业核实，暂不能提交需求。")})
    if payload.enterprise is None:
        if len(enterprises) > 1:
            raise ApiValidationError([{"loc": ["body", "enterprise"], "msg": _("请选择您所在的企业。")}])
        enterprise = enterprises[0]
    else:
        enterprise = next((e for e in enterprises if e.pk == payload.enterprise), None)
        if enterprise is None:
            raise ApiValidationError([{"loc": ["body", "enterprise"], "msg": _("请选择您所在的企业。")}])
    if views.submission_limited(request):
        return Status(429, {"detail": views.rate_limit_message()})
    fields = payload.dict(exclude={"enterprise"})
    demand = _rules(workflow.submit_demand, by=request.user, enterprise=enterprise, **fields)
    if isinstance(demand, Status):
        return demand
    _title, next_step = timeline.plain_status(demand)
    return Status(201, {"id": demand.pk, "number": demand.number, "status": demand.status, "next_step": str(next_step)})


@router.get(
    "/demands/{int:demand_id}",
    response={200: DemandOut, 404: Error},
    summary="需求详情与进展",
    description=(
        "服务对象可见的内容：状态的通俗说明、服务专员与技术机构的联系方式、服务协议与方案、附件、时间线与留言。"
        "不含内部工作指示、工作台账、服务准备记录、指派与派单的答复，也不含他方标为商业秘密的附件。"
    ),
)
def get_demand(request, demand_id: int):
    demand = views.get_demand(request, demand_id)
    audit.record(AuditEvent.VIEWED, demand, actor=request.user, extra={"via": "portal-api"})
    return _detail(request, demand)


@router.get(
    "/demands/{int:demand_id}/messages",
    response={200: list[MessageOut], 404: Error},
    summary="留言列表",
    description="与服务方的全部留言，按时间先后；读取后服务方的留言记为已读。",
)
def list_messages(request, demand_id: int):
    demand = views.get_demand(request, demand_id)
    workflow.mark_messages_read(demand, by=request.user)
    return [_message(m) for m in demand.messages.select_related("author").order_by("created_at", "pk")]


@router.post(
    "/demands/{int:demand_id}/messages",
    response={201: MessageOut, 404: Error, 422: Error},
    summary="给服务方留言",
    description="留言将通知承办的服务专员（尚未安排时通知所在区的管理机构）。",
)
def post_message(request, demand_id: int, payload: MessageIn):
    demand = views.get_demand(request, demand_id)
    message = _rules(workflow.post_message, demand, by=request.user, text=payload.text)
    return Status(201, _message(message))


@router.post(
    "/demands/{int:demand_id}/acknowledge",
    response={200: AcknowledgedOut, 404: Error, 409: Error, 422: Error},
    summary="确认知悉服务方案",
    description="8.4.2 c — 服务对象确认已知悉服务协议和服务方案，记录确认时间和确认人；只能确认一次。",
)
def acknowledge(request, demand_id: int, payload: AcknowledgeIn):
    demand = views.get_demand(request, demand_id)
    plan = _rules(workflow.acknowledge_plan, demand, by=request.user, expected_version=payload.version)
    if isinstance(plan, Status):
        return plan
    return {
        "acknowledged_at": plan.acknowledged_at,
        "acknowledged_by": plan.acknowledged_by.display_name,
        "enterprise_informed_on": plan.enterprise_informed_on,
    }


@router.post(
    "/demands/{int:demand_id}/withdraw",
    response={200: DemandOut, 404: Error, 409: Error, 422: Error},
    summary="撤回需求",
    description=(
        "服务对象撤回仍在办理中的需求，须说明理由；撤回后需求办结。"
        "当前状态不能撤回时 422（中文原因，不作任何修改）；需求已被他人更新时 409。"
    ),
)
def withdraw(request, demand_id: int, payload: WithdrawIn):
    demand = views.get_demand(request, demand_id)
    done = _rules(
        workflow.withdraw_demand, demand, by=request.user, reason=payload.reason, expected_version=payload.version
    )
    if isinstance(done, Status):
        return done
    return _detail(request, views.get_demand(request, demand_id))
