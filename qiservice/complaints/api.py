"""Complaints in the API: submit (enterprise users), list and read (in scope), answer
(the agency)."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, get_scoped, validation_errors
from qiservice.api.pagination import CappedPages
from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope
from qiservice.demands.models import Demand
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.models import Specialist

from . import workflow
from .models import Complaint
from .views import submit_limited

router = Router(tags=["投诉"])


class ComplaintIn(Schema):
    enterprise: int | None = Field(None, description="服务对象编号；只关联一家企业时可省略")
    demand: int | None = Field(None, description="涉及的服务需求编号（本企业的）")
    specialist: int | None = Field(None, description="涉及的服务专员编号（承办过本企业需求的）")
    subject: str = Field(..., description="投诉事由")
    text: str = Field(..., description="投诉内容，至少10个字")


class AnswerIn(Schema):
    answer: str = Field(..., description="答复意见（企业可见）")
    upheld: bool = Field(..., description="投诉是否成立")


class ComplaintOut(Schema):
    id: int
    number: str
    enterprise: int = Field(alias="enterprise_id")
    enterprise_name: str = Field(alias="enterprise.name")
    demand: int | None = Field(alias="demand_id")
    specialist: int | None = Field(alias="specialist_id")
    subject: str
    text: str
    status: str = Field(..., description="received / acknowledged / investigated / answered / closed")
    due_on: date | None = Field(..., description="本环节期限（工作日计）")
    is_overdue: bool
    submitted_at: datetime
    answer: str
    upheld: bool | None
    answered_at: datetime | None
    closed_at: datetime | None


def _invalid(error):
    return ApiValidationError(validation_errors(error))


@router.get("", response=list[ComplaintOut], summary="投诉列表")
@paginate(CappedPages, page_size=25, max_page_size=200)
def list_complaints(request, status: str = ""):
    """您数据范围内的投诉，最新的在前。被投诉的服务专员在答复后才能看到。"""
    qs = Complaint.objects.restrict(request.user).select_related("enterprise").order_by("-submitted_at", "-pk")
    return qs.filter(status=status) if status else qs


@router.post("", response={201: ComplaintOut, 403: Error, 422: Error, 429: Error}, summary="提交投诉")
def submit_complaint(request, payload: ComplaintIn):
    scope = get_scope(request.user)
    if not scope.enterprise_ids:
        raise HttpError(403, _("只有已核实的服务对象用户可以投诉。"))
    if submit_limited(request):
        raise HttpError(429, "")
    enterprise_id = payload.enterprise
    if enterprise_id is None and len(scope.enterprise_ids) == 1:
        enterprise_id = next(iter(scope.enterprise_ids))
    if enterprise_id not in scope.enterprise_ids:
        raise ApiValidationError([{"loc": ["body", "enterprise"], "msg": _("请指定您所属的服务对象。")}])
    enterprise = Enterprise.objects.get(pk=enterprise_id)
    demand = Demand.objects.filter(pk=payload.demand, enterprise=enterprise).first() if payload.demand else None
    if payload.demand and demand is None:
        raise ApiValidationError([{"loc": ["body", "demand"], "msg": _("只能投诉本企业的服务需求。")}])
    specialist = Specialist.objects.filter(pk=payload.specialist).first() if payload.specialist else None
    if payload.specialist and specialist is None:
        raise ApiValidationError([{"loc": ["body", "specialist"], "msg": _("该服务专员未承办过本企业的服务需求。")}])
    try:
        complaint = workflow.submit(
            enterprise=enterprise,
            by=request.user,
            subject=payload.subject,
            text=payload.text,
            demand=demand,
            specialist=specialist,
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return Status(201, complaint)


@router.get("/{complaint_id}", response={200: ComplaintOut, 404: Error}, summary="投诉详情")
def get_complaint(request, complaint_id: int):
    complaint = get_scoped(Complaint, request.user, complaint_id)
    audit.record(AuditEvent.VIEWED, complaint, actor=request.user)
    return complaint


@router.post(
    "/{complaint_id}/answer",
    response={200: ComplaintOut, 403: Error, 404: Error, 422: Error},
    summary="答复投诉（管理机构）",
    description="须在“已调查”状态；答复后企业可见，被投诉的服务专员也可查看。",
)
def answer_complaint(request, complaint_id: int, payload: AnswerIn):
    complaint = get_scoped(Complaint, request.user, complaint_id, "change")
    try:
        return workflow.answer(complaint, by=request.user, answer=payload.answer, upheld=payload.upheld)
    except ValidationError as error:
        raise _invalid(error) from error
