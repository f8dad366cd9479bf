"""The demand workflow's API (issue item 15): the same rules and the same data scope as the UI.

Every endpoint looks the demand up through `Demand.objects.get_for` (outside the caller's
scope: 404; visible but read-only, e.g. an auditor writing: 403) and every write calls the
rules function in `workflow.py`. A refusal by the rules is 422 with the Chinese reason and
nothing written; a stale `version` is 409.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, filter_queryset, get_scoped
from qiservice.api.pagination import CappedPages
from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope
from qiservice.enterprises.choices import EnterpriseSize
from qiservice.enterprises.models import Enterprise
from qiservice.institutions.models import Institution
from qiservice.specialists.models import Specialist

from . import timeline, workflow
from . import transitions as T
from .api_schemas import (
    AgreementIn,
    AssignIn,
    AssignmentAnswerIn,
    AttachmentCreated,
    AttachmentIn,
    CloseIn,
    ConfirmIn,
    DemandDetailOut,
    DemandFilters,
    DemandIn,
    DemandListOut,
    DispatchIn,
    EscalateIn,
    EventOut,
    InformedIn,
    LedgerEntryChanged,
    LedgerEntryIn,
    LedgerEntryPatch,
    MilestoneChanged,
    MilestonePatch,
    NoteIn,
    NoteOut,
    PlanIn,
    PreparationIn,
    ReasonIn,
    SummaryIn,
    VerifyEnterpriseIn,
    VersionIn,
)
from .choices import AttachmentStage
from .filtersets import DemandFilterSet, search_demands
from .models import Demand, LedgerEntry, Milestone, ServicePlan

router = Router(tags=["服务需求"])

REFUSALS = (
    "\n\n**拒绝时**（均不作任何修改）：401 未认证；403 只读用户（如审计人员）；404 需求不存在或不在您的数据范围；"
    "409 `version` 已过期（需求已被他人更新，请重新读取）；422 规则拒绝，`detail[].msg` 为中文原因，"
    "`detail[].type` 为 `not_allowed_now`（当前状态不允许）、`not_permitted`（您的角色不能执行）、"
    "`missing_record`（缺少前置记录，如未填服务准备记录先确认需求）、"
    "`invalid`（`loc` 所指字段无效，如不在您范围内的 id）或 `refused`（其他规则）；请求体格式错误同为 422。"
)
WRITE_ERRORS = {403: Error, 404: Error, 409: Error, 422: Error}


def doc(text):
    return text + REFUSALS


# --- helpers ------------------------------------------------------------------------------


def _demand(request, demand_id, action="view"):
    if get_scope(request.user).is_enterprise_only:
        # The staff record holds internal notes, the ledger and the preparation: enterprise
        # users read and act on their demands through /api/portal/demands/{id}.
        raise Http404
    return get_scoped(Demand, request.user, demand_id, action)


def _refusal(exc):
    if hasattr(exc, "error_dict"):
        return [{"loc": ["body", f], "msg": m, "type": "refused"} for f, ms in exc.message_dict.items() for m in ms]
    code = getattr(exc, "code", None) or "refused"
    return [{"loc": ["body"], "msg": m, "type": code} for m in exc.messages]


def _rules(function, *args, **kwargs):
    """Run a rules function; its refusal becomes 422 (409 for a stale version). The rules
    function runs in its own transaction, so a refusal has written nothing."""
    try:
        return function(*args, **kwargs)
    except workflow.StaleDemandError as exc:
        raise HttpError(409, exc.messages[0]) from exc
    except ValidationError as exc:
        raise ApiValidationError(_refusal(exc)) from exc


def _invalid(loc, message):
    return ApiValidationError([{"loc": ["body", *loc], "msg": message, "type": "invalid"}])


def _version(demand_id):
    return Demand.objects.values_list("version", flat=True).get(pk=demand_id)


def _allowed_actions(user, demand):
    facts = T.Facts.of(demand)
    return [
        {
            "action": row.action,
            "label": str(row.label),
            "path": reverse(f"api:demand_{row.action}", kwargs={"demand_id": demand.pk}),
            "needs_reason": row.needs_reason,
            "help": str(row.help),
            "missing": str(message) if (message := row.missing(demand, facts)) else None,
        }
        for row in T.available_actions(get_scope(user), demand, facts)
    ]


def _detail(request, demand_id):
    """The demand with every record it gathered, in a bounded number of queries."""
    demand = (
        Demand.objects.select_related(
            "enterprise", "district", "specialist", "registered_by", "preparation__updated_by", "summary__submitted_by"
        )
        .prefetch_related(
            "category_rows",
            "assignments__specialist",
            "assignments__assigned_by",
            "agreements__institution",
            "agreements__created_by",
            Prefetch("plans", ServicePlan.objects.select_related("created_by").prefetch_related("milestones")),
            "escalations__reported_by",
            "escalations__dispatches__institution",
            "ledger_entries__author",
        )
        .get(pk=demand_id)
    )
    demand.visible_attachments = list(
        workflow.attachments_visible_to(request.user, demand).select_related("uploaded_by")
    )
    demand.allowed_actions = _allowed_actions(request.user, demand)
    return demand


# --- list, register, read -------------------------------------------------------------------


@router.get("", response=list[DemandListOut], summary="需求列表")
@paginate(CappedPages, page_size=25, max_page_size=200)
def list_demands(request, filters: Query[DemandFilters]):
    """您数据范围内的需求，最新登记的在前；筛选条件与界面相同。"""
    qs = (
        Demand.objects.restrict(request.user)
        .select_related("enterprise", "specialist", "district")
        .prefetch_related("category_rows")
        .order_by("-registered_at", "-pk")
    )
    qs = filter_queryset(DemandFilterSet, filters, qs, request)
    return search_demands(qs, filters.q)


@router.post(
    "",
    response={201: DemandDetailOut, 403: Error, 422: Error},
    summary="登记需求（附录A）",
    description=doc(
        "8.1 — 登记需求。服务专员登记的需求由其本人承办；服务对象须在您可编辑的范围内，否则 422（loc 为 enterprise）。"
        "服务对象（企业用户）通过企业门户提交需求（POST /api/portal/demands），在这里为 403。"
    ),
)
def register_demand(request, payload: DemandIn):
    if get_scope(request.user).is_enterprise_only:
        raise PermissionDenied(_("服务对象请通过企业门户提交需求（/api/portal/demands）。"))
    enterprise = Enterprise.objects.restrict(request.user, "change").filter(pk=payload.enterprise).first()
    if enterprise is None:
        raise _invalid(["enterprise"], _("该服务对象不存在，或您无权为其登记需求。"))
    fields = payload.dict(exclude={"enterprise"})
    demand = _rules(workflow.register_demand, enterprise=enterprise, by=request.user, **fields)
    return Status(201, _detail(request, demand.pk))


@router.get(
    "/{int:demand_id}",
    response={200: DemandDetailOut, 404: Error},
    summary="需求详情",
    description=(
        "附录A各项、当前状态、服务准备、协议、方案与步骤、上报与派单、台账、总结、评价总分、您可见的附件，"
        "以及您当前可执行的操作（allowed_actions，missing 为尚缺的前置记录）。每次查看记入审计日志。"
        "服务对象（企业用户）通过 /api/portal/demands/{id} 查看，该需求的各个 /api/demands/{id} 接口对其为 404。"
    ),
)
def get_demand(request, demand_id: int):
    demand = _demand(request, demand_id)
    audit.record(AuditEvent.VIEWED, demand, actor=request.user, extra={"via": "api"})
    return _detail(request, demand.pk)


@router.get(
    "/{int:demand_id}/timeline",
    response={200: list[EventOut], 404: Error},
    summary="需求时间线",
    description=(
        "状态变更与各项记录按时间排列；看不到无权查看的商业秘密附件。"
        "服务对象（企业用户）通过 /api/portal/demands/{id} 查看进展，在这里为 404。"
    ),
)
def get_timeline(request, demand_id: int):
    demand = _demand(request, demand_id)
    return [event.as_dict() for event in timeline.build(demand, request.user)]


# --- transitions: one endpoint per action of the transition table ---------------------------

SPECIALIST = "承办的服务专员"
WORKERS = "直接服务：承办的服务专员；协助服务：承办的服务专员或已接单的技术机构"
AGENCY = "管理机构（管理员或该区工作人员）"

# action -> (its body, who may take it: the transition table's rows, said in Chinese for the docs)
ACTIONS = {
    "start_preparation": (VersionIn, SPECIALIST),
    "confirm": (ConfirmIn, SPECIALIST),
    "sign_agreement": (AgreementIn, "直接服务：承办的服务专员；协助服务：承办的服务专员、已接单的技术机构或管理机构"),
    "make_plan": (PlanIn, WORKERS),
    "start_service": (VersionIn, WORKERS),
    "escalate": (EscalateIn, SPECIALIST + "（确认为寻求服务协助的需求）"),
    "switch_to_assisted": (EscalateIn, SPECIALIST + "（直接服务中的需求，已有记录全部保留）"),
    "dispatch": (DispatchIn, AGENCY),
    "accept_dispatch": (VersionIn, "收到派单的技术机构"),
    "decline_dispatch": (ReasonIn, "收到派单的技术机构"),
    "end_service": (VersionIn, WORKERS),
    "submit_summary": (SummaryIn, SPECIALIST),
    "close": (CloseIn, "承办的服务专员或管理机构；未经服务对象评价而办结仅限管理机构，并须说明理由"),
    "withdraw": (ReasonIn, "服务对象或承办的服务专员"),
    "cancel": (ReasonIn, AGENCY),
}
if set(ACTIONS) != set(T.TRANSITIONS):
    raise RuntimeError("every transition of transitions.TRANSITIONS needs an endpoint here")


def _action_fields(action, payload, request, demand):
    """The rules function's keyword arguments from the body: ids become scoped objects."""
    fields = payload.dict(exclude={"version"})
    if action == "dispatch":
        found = Institution.objects.restrict(request.user).in_bulk(payload.institutions)
        for i, pk in enumerate(payload.institutions):
            if pk not in found:
                raise _invalid(["institutions", i], _("技术机构不存在。"))
        fields["institutions"] = [found[pk] for pk in payload.institutions]
    if action == "sign_agreement" and payload.scan is not None:
        scan = workflow.attachments_visible_to(request.user, demand).filter(pk=payload.scan).first()
        if scan is None:
            raise _invalid(["scan"], _("协议扫描件须为该需求的附件。"))
        fields["scan"] = scan
    if action in ("escalate", "switch_to_assisted") and demand.service_mode:
        # One rules function serves both and picks by the service mode: keep the name honest.
        row = T.TRANSITIONS[action]
        if demand.service_mode not in row.modes:
            message = _("该需求的服务方式为“%(mode)s”，不能执行“%(action)s”。") % {
                "mode": demand.get_service_mode_display(),
                "action": row.label,
            }
            raise ApiValidationError([{"loc": ["path"], "msg": message, "type": "not_allowed_now"}])
    return fields


def _action_endpoint(action, body):
    def endpoint(request, demand_id: int, payload):
        demand = _demand(request, demand_id, "change")
        fields = _action_fields(action, payload, request, demand)
        _rules(workflow.take, action, demand, by=request.user, expected_version=payload.version, **fields)
        return _detail(request, demand.pk)

    endpoint.__annotations__["payload"] = body
    endpoint.__name__ = f"demand_{action}"
    return endpoint


for _action, (_body, _who) in ACTIONS.items():
    _row = T.TRANSITIONS[_action]
    router.post(
        f"/{{int:demand_id}}/actions/{_action}",
        response={200: DemandDetailOut, **WRITE_ERRORS},
        summary=str(_row.label),
        description=doc(
            f"流程操作 `{_action}`：{_row.label}。{_row.help}\n\n可执行者：{_who}。"
            "成功时返回更新后的需求详情（含新的 version 与 allowed_actions）。"
        ),
        operation_id=f"demand_{_action}",
        url_name=f"demand_{_action}",
    )(_action_endpoint(_action, _body))


# --- assignment, notes, preparation, enterprise profile -------------------------------------


@router.post(
    "/{int:demand_id}/assign",
    response={200: DemandDetailOut, **WRITE_ERRORS},
    summary="指派服务专员",
    description=doc("管理机构指派（或改派）服务专员，由其接受或拒绝；服务专员须在您的数据范围内。"),
)
def assign(request, demand_id: int, payload: AssignIn):
    demand = _demand(request, demand_id, "change")
    specialist = Specialist.objects.restrict(request.user).filter(pk=payload.specialist).first()
    if specialist is None:
        raise _invalid(["specialist"], _("该服务专员不存在，或不在您的管理范围。"))
    _rules(workflow.assign, demand, specialist, by=request.user, note=payload.note, expected_version=payload.version)
    return _detail(request, demand.pk)


@router.post(
    "/{int:demand_id}/assignment",
    response={200: DemandDetailOut, **WRITE_ERRORS},
    summary="答复指派",
    description=doc("被指派的服务专员接受，或说明理由后拒绝（6.1）。"),
)
def answer_assignment(request, demand_id: int, payload: AssignmentAnswerIn):
    demand = _demand(request, demand_id, "change")
    _rules(
        workflow.respond_to_assignment,
        demand,
        by=request.user,
        accept=payload.accept,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return _detail(request, demand.pk)


@router.post(
    "/{int:demand_id}/notes",
    response={201: NoteOut, **WRITE_ERRORS},
    summary="进展或工作指示",
    description=doc("承办的服务专员或技术机构填写进展（8.4.2 d）；管理机构下达工作指示（4.2，服务对象不可见）。"),
)
def add_note(request, demand_id: int, payload: NoteIn):
    demand = _demand(request, demand_id, "change")
    note = _rules(
        workflow.add_note,
        demand,
        by=request.user,
        kind=payload.kind,
        text=payload.text,
        expected_version=payload.version,
    )
    note.demand_version = _version(demand.pk)
    return Status(201, note)


@router.put(
    "/{int:demand_id}/preparation",
    response={200: DemandDetailOut, **WRITE_ERRORS},
    summary="服务准备记录",
    description=doc(
        "8.2 — 承办的服务专员在服务准备阶段填写（整体替换）：计划安排、初步服务内容、服务对象建议、风险信息。"
    ),
)
def save_preparation(request, demand_id: int, payload: PreparationIn):
    demand = _demand(request, demand_id, "change")
    fields = payload.dict(exclude={"version"})
    _rules(workflow.save_preparation, demand, by=request.user, expected_version=payload.version, **fields)
    return _detail(request, demand.pk)


@router.post(
    "/{int:demand_id}/verify-enterprise",
    response={200: DemandDetailOut, **WRITE_ERRORS},
    summary="核实服务对象信息",
    description=doc(
        "8.2.2 — 核实服务对象的企业规模、主要产品、研发能力、生产能力、质量管理状况，记录核实人与时间；"
        "只传需要更新的字段。"
    ),
)
def verify_enterprise(request, demand_id: int, payload: VerifyEnterpriseIn):
    demand = _demand(request, demand_id, "change")
    profile = payload.dict(exclude={"version"}, exclude_none=True)
    if "size" in profile and profile["size"] not in EnterpriseSize.values:
        raise _invalid(["size"], _("请选择有效的企业规模。"))
    _rules(workflow.verify_enterprise, demand, by=request.user, expected_version=payload.version, **profile)
    return _detail(request, demand.pk)


# --- implementation records: ledger, milestones, plan informed --------------------------------


@router.post(
    "/{int:demand_id}/ledger",
    response={201: LedgerEntryChanged, **WRITE_ERRORS},
    summary="填写工作台账",
    description=doc("附录B — 承办的服务专员或技术机构填写一条台账；超过修改期限的记录以更正记录（corrects）纠正。"),
)
def add_ledger_entry(request, demand_id: int, payload: LedgerEntryIn):
    demand = _demand(request, demand_id, "change")
    corrects = None
    if payload.corrects is not None:
        corrects = LedgerEntry.objects.filter(demand=demand, pk=payload.corrects).first()
        if corrects is None:
            raise _invalid(["corrects"], _("更正的台账记录不属于该需求。"))
    fields = payload.dict(exclude={"version", "corrects"})
    entry = _rules(
        workflow.add_ledger_entry,
        demand,
        by=request.user,
        corrects=corrects,
        expected_version=payload.version,
        **fields,
    )
    entry.demand_version = _version(demand.pk)
    return Status(201, entry)


@router.patch(
    "/{int:demand_id}/ledger/{int:entry_id}",
    response={200: LedgerEntryChanged, **WRITE_ERRORS},
    summary="修改工作台账",
    description=doc("记录人可在修改期限内修改自己填写的台账；只传需要修改的字段。"),
)
def edit_ledger_entry(request, demand_id: int, entry_id: int, payload: LedgerEntryPatch):
    demand = _demand(request, demand_id, "change")
    entry = LedgerEntry.objects.filter(demand=demand, pk=entry_id).first()
    if entry is None:
        raise Http404
    fields = {
        name: getattr(entry, name) for name in ("entry_on", "enterprise_contact", "problem", "handling", "remarks")
    }
    fields.update(payload.dict(exclude={"version"}, exclude_unset=True, exclude_none=True))
    entry = _rules(workflow.edit_ledger_entry, entry, by=request.user, expected_version=payload.version, **fields)
    entry.demand_version = _version(demand.pk)
    return entry


@router.patch(
    "/{int:demand_id}/milestones/{int:milestone_id}",
    response={200: MilestoneChanged, **WRITE_ERRORS},
    summary="更新方案步骤进度",
    description=doc("8.4.1 c — 承办人员更新服务方案步骤的完成进度（进度为 100 且未填完成日期时记为今天）。"),
)
def update_milestone(request, demand_id: int, milestone_id: int, payload: MilestonePatch):
    demand = _demand(request, demand_id, "change")
    milestone = Milestone.objects.select_related("plan__demand").filter(plan__demand=demand, pk=milestone_id).first()
    if milestone is None:
        raise Http404
    milestone = _rules(
        workflow.update_milestone,
        milestone,
        by=request.user,
        progress=payload.progress,
        notes=payload.notes,
        done_on=payload.done_on,
        expected_version=payload.version,
    )
    milestone.demand_version = _version(demand.pk)
    return milestone


@router.post(
    "/{int:demand_id}/informed",
    response={200: DemandDetailOut, **WRITE_ERRORS},
    summary="方案已告知服务对象",
    description=doc("8.4.2 c — 记录服务方案已告知服务对象（或服务对象本人确认知悉）；协助服务开始实施前须先记录。"),
)
def mark_informed(request, demand_id: int, payload: InformedIn):
    demand = _demand(request, demand_id, "change")
    _rules(
        workflow.mark_informed,
        demand,
        by=request.user,
        informed_on=payload.informed_on,
        expected_version=payload.version,
    )
    return _detail(request, demand.pk)


# --- attachments ---------------------------------------------------------------------------------


@router.post(
    "/{int:demand_id}/attachments",
    response={201: AttachmentCreated, **WRITE_ERRORS},
    summary="上传附件",
    description=doc(
        "multipart/form-data：file 为文件，另有 stage、is_trade_secret、description。"
        "文件类型按内容核验（PDF、JPG/PNG、Word、Excel、文本），大小受限。"
    ),
)
def upload_attachment(request, demand_id: int, file: File[UploadedFile], details: Form[AttachmentIn]):
    demand = _demand(request, demand_id, "change")
    if details.stage not in AttachmentStage.values:
        raise ApiValidationError([{"loc": ["form", "stage"], "msg": _("请选择有效的阶段。"), "type": "invalid"}])
    attachment = _rules(
        workflow.add_attachment,
        demand,
        file,
        by=request.user,
        stage=details.stage,
        is_trade_secret=details.is_trade_secret,
        description=details.description,
    )
    attachment.demand_version = _version(demand.pk)
    return Status(201, attachment)


@router.get(
    "/{int:demand_id}/attachments/{int:attachment_id}",
    response={404: Error},
    summary="下载附件",
    description="下载您可见的附件（商业秘密附件仅承办人员与管理机构管理员可见，其他人为 404）；每次下载记入审计日志。",
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容（作为附件下载）",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_attachment(request, demand_id: int, attachment_id: int):
    demand = _demand(request, demand_id)
    attachment = workflow.attachments_visible_to(request.user, demand).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    workflow.record_download(attachment, demand, by=request.user, via="api")
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
