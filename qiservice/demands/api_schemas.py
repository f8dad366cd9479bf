"""Schemas of the demand API (`api.py`): what it reads and what it answers.

Inputs name the standard's fields (GLOSSARY.md); every write that changes a demand carries
the `version` the client read, so a change made by someone else in between is refused (409)
instead of being overwritten.
"""

from datetime import date, datetime

from ninja import Field, Schema

from qiservice.core.choices import QIField
from qiservice.core.masking import api_shown
from qiservice.enterprises.choices import EnterpriseSize

from .choices import AttachmentStage, DemandSource, NoteKind, RiskKind, ServiceMethod, ServiceMode


def choice(values, description):
    """A text field documented with its allowed values; the rules check them and answer in Chinese."""
    return Field(..., description=description, json_schema_extra={"enum": list(values)})


VERSION = Field(..., description="读取到的需求版本号（详情中的 version）；若需求已被他人更新，返回 409 且不作任何修改")
OPTIONAL_VERSION = Field(None, description="可选：读取到的需求版本号；提供且已过期时返回 409")


# --- what the API answers --------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class ActionOut(Schema):
    action: str = Field(description="操作名，对应 POST /api/demands/{id}/actions/{action}")
    label: str
    path: str
    needs_reason: bool
    help: str
    missing: str | None = Field(description="尚缺的前置记录；不为空时执行该操作会被拒绝（422）")


class DemandListOut(Schema):
    id: int
    number: str
    enterprise: Ref
    categories: list[str]
    source: str
    status: str
    status_label: str = Field(alias="get_status_display")
    service_mode: str
    specialist: Ref | None
    district: Ref
    registered_on: date


class AssignmentOut(Schema):
    id: int
    specialist: Ref
    status: str
    assigned_by: str = Field(alias="assigned_by.display_name")
    assigned_at: datetime
    note: str
    responded_at: datetime | None
    reason: str


class PreparationOut(Schema):
    plan_notes: str
    process_notes: str
    special_handling: str
    content: dict[str, str]
    enterprise_suggestions: str
    risks: dict[str, str]
    updated_by: str = Field(alias="updated_by.display_name")
    updated_at: datetime


class AgreementOut(Schema):
    id: int
    institution: Ref | None
    parties: str
    period_start: date
    period_end: date
    content: str
    method: str
    signed_on: date
    scan: int | None = Field(alias="scan_id")
    created_by: str = Field(alias="created_by.display_name")
    created_at: datetime


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    progress: int
    done_on: date | None
    notes: str


class MilestoneChanged(MilestoneOut):
    demand_version: int


class PlanOut(Schema):
    id: int
    agreement: int = Field(alias="agreement_id")
    objectives: str
    resources: str
    enterprise_informed_on: date | None
    progress: int
    created_by: str = Field(alias="created_by.display_name")
    created_at: datetime
    milestones: list[MilestoneOut]


class DispatchOut(Schema):
    id: int
    institution: Ref
    status: str
    note: str
    dispatched_at: datetime
    responded_at: datetime | None
    reason: str


class EscalationOut(Schema):
    id: int
    reason: str
    needs: str
    switched_from_direct: bool
    reported_by: str = Field(alias="reported_by.display_name")
    reported_at: datetime
    dispatches: list[DispatchOut]


class LedgerEntryOut(Schema):
    id: int
    entry_on: date
    enterprise_contact: str
    problem: str
    handling: str
    remarks: str
    corrects: int | None = Field(alias="corrects_id")
    author: str = Field(alias="author.display_name")
    created_at: datetime
    editable_until: datetime


class LedgerEntryChanged(LedgerEntryOut):
    demand_version: int


class SummaryOut(Schema):
    problems_solved: str
    methods: str
    results: str
    submitted_by: str = Field(alias="submitted_by.display_name")
    submitted_at: datetime


class EvaluationOut(Schema):
    total: int = Field(description="五项得分之和（0–50，附录C）")
    channel: str
    submitted_at: datetime


class AttachmentOut(Schema):
    id: int
    stage: str
    original_name: str
    content_type: str
    size: int
    is_trade_secret: bool
    description: str
    uploaded_by: str = Field(alias="uploaded_by.display_name")
    uploaded_at: datetime


class AttachmentCreated(AttachmentOut):
    demand_version: int


class NoteOut(Schema):
    id: int
    kind: str
    text: str
    author: str = Field(alias="author.display_name")
    created_at: datetime
    demand_version: int


class DemandDetailOut(Schema):
    """Appendix A, where the demand stands, every record it gathered, and what the caller may do now."""

    id: int
    number: str
    enterprise: Ref
    address: str
    categories: list[str]
    source: str
    contact_name: str
    contact_phone: str
    contact_email: str
    description: str
    collected_on: date
    registered_on: date
    registered_at: datetime
    registered_by: str = Field(alias="registered_by.display_name")
    district: Ref
    special_task: int | None = Field(alias="special_task_id")
    status: str
    status_label: str = Field(alias="get_status_display")
    service_mode: str
    confirmation_reason: str
    confirmed_at: datetime | None
    specialist: Ref | None
    service_ended_at: datetime | None
    closed_at: datetime | None
    version: int
    updated_at: datetime
    assignments: list[AssignmentOut]
    preparation: PreparationOut | None
    agreements: list[AgreementOut]
    plans: list[PlanOut]
    escalations: list[EscalationOut]
    ledger: list[LedgerEntryOut] = Field(alias="ledger_entries")
    summary: SummaryOut | None
    evaluation: EvaluationOut | None
    attachments: list[AttachmentOut] = Field(
        alias="visible_attachments", description="调用者可见的附件（商业秘密附件仅承办人员与管理机构管理员可见）"
    )
    allowed_actions: list[ActionOut] = Field(description="调用者当前可执行的流程操作")

    # Masked for those who may not read them in full (R6.2, qiservice/core/masking.py).
    @staticmethod
    def resolve_contact_phone(obj, context):
        return api_shown(context, obj, obj.contact_phone)

    @staticmethod
    def resolve_contact_email(obj, context):
        return api_shown(context, obj, obj.contact_email)

    # A missing one-to-one record reads as None (Django raises an AttributeError subclass).
    @staticmethod
    def resolve_preparation(obj):
        return getattr(obj, "preparation", None)

    @staticmethod
    def resolve_summary(obj):
        return getattr(obj, "summary", None)

    @staticmethod
    def resolve_evaluation(obj):
        return getattr(obj, "evaluation", None)


class EventOut(Schema):
    at: datetime
    kind: str
    title: str
    text: str
    actor: str


# --- what the API reads ----------------------------------------------------------------------


class DemandFilters(Schema):
    q: str | None = Field(None, description="按编号、服务对象名称、需求描述搜索")
    status: list[str] | None = Field(None, description="状态，可多选（重复参数：?status=a&status=b）")
    category: str | None = Field(None, description="需求类别（质量基础设施领域）")
    source: str | None = None
    district: int | None = None
    specialist: int | None = None
    institution: int | None = Field(None, description="派单过的技术机构")
    special_task: int | None = None
    registered_from: date | None = Field(None, description="登记日期从（含）")
    registered_to: date | None = Field(None, description="登记日期至（含）")


class DemandIn(Schema):
    """Appendix A 需求登记表."""

    enterprise: int = Field(description="服务对象 id，须在您的数据范围内")
    categories: list[str] = Field(description="需求类别，可多选", json_schema_extra={"items": {"enum": QIField.values}})
    source: str = choice(DemandSource.values, "来源")
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    address: str = Field("", description="留空则使用服务对象的地址")
    description: str
    collected_on: date | None = Field(None, description="收集日期，默认今天")


class VersionIn(Schema):
    version: int = VERSION


class ConfirmIn(VersionIn):
    mode: str = choice(ServiceMode.values, "服务方式：direct 直接提供服务，assisted 寻求服务协助")
    reason: str = Field(description="判断理由（8.3）")


class AgreementIn(VersionIn):
    period_start: date
    period_end: date
    content: str
    method: str = choice(ServiceMethod.values, "服务方式")
    signed_on: date
    scan: int | None = Field(None, description="协议扫描件：该需求的附件 id")


class MilestoneIn(Schema):
    title: str
    due_on: date


class PlanIn(VersionIn):
    objectives: str
    resources: str = ""
    milestones: list[MilestoneIn]


class EscalateIn(VersionIn):
    reason: str
    needs: str = Field(description="所需协助：需要技术机构提供的服务内容")


class DispatchIn(VersionIn):
    institutions: list[int] = Field(description="技术机构 id（须在库）")
    note: str = ""


class ReasonIn(VersionIn):
    reason: str


class CloseIn(VersionIn):
    reason: str = Field("", description="未经服务对象评价而办结时必填")


class SummaryIn(VersionIn):
    problems_solved: str
    methods: str
    results: str


class AssignIn(VersionIn):
    specialist: int = Field(description="服务专员 id")
    note: str = ""


class AssignmentAnswerIn(VersionIn):
    accept: bool
    reason: str = Field("", description="拒绝时必填")


class NoteIn(Schema):
    kind: str = choice(NoteKind.values, "progress 进展（承办人员），instruction 工作指示（管理机构，服务对象不可见）")
    text: str
    version: int | None = OPTIONAL_VERSION


class PreparationIn(VersionIn):
    plan_notes: str
    content: dict[str, str] = Field(description="初步服务内容：{质量基础设施领域: 内容}", examples=[{"metrology": "…"}])
    risks: dict[str, str] = Field(
        default_factory=dict, description=f"风险信息：{{风险类型: 说明}}，类型为 {', '.join(RiskKind.values)}"
    )
    process_notes: str = ""
    special_handling: str = ""
    enterprise_suggestions: str = ""


class VerifyEnterpriseIn(Schema):
    size: str | None = Field(None, json_schema_extra={"enum": EnterpriseSize.values})
    main_products: str | None = None
    rd_capability: str | None = None
    production_capacity: str | None = None
    quality_management: str | None = None
    version: int | None = OPTIONAL_VERSION


class LedgerEntryIn(Schema):
    """Appendix B — one row of the work ledger."""

    entry_on: date
    enterprise_contact: str
    problem: str
    handling: str
    remarks: str = ""
    corrects: int | None = Field(None, description="更正的台账记录 id")
    version: int | None = OPTIONAL_VERSION


class LedgerEntryPatch(Schema):
    entry_on: date | None = None
    enterprise_contact: str | None = None
    problem: str | None = None
    handling: str | None = None
    remarks: str | None = None
    version: int | None = OPTIONAL_VERSION


class MilestonePatch(Schema):
    progress: int = Field(description="完成进度 0–100")
    notes: str = ""
    done_on: date | None = None
    version: int | None = OPTIONAL_VERSION


class InformedIn(Schema):
    informed_on: date | None = Field(None, description="告知服务对象的日期，默认今天")
    version: int | None = OPTIONAL_VERSION


class AttachmentIn(Schema):
    stage: str = Field(AttachmentStage.OTHER.value, json_schema_extra={"enum": AttachmentStage.values})
    is_trade_secret: bool = False
    description: str = ""
