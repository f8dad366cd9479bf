"""8.6.1 — the satisfaction evaluation (Appendix C) in the API: read a demand's evaluation,
evaluate from a login (the enterprise; the agency typing in a paper form) or through the
invitation link without one."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, form_errors, get_scoped
from qiservice.demands import workflow
from qiservice.demands.models import Demand
from qiservice.demands.transitions import hasattr_row

from . import access
from .choices import EvaluationChannel
from .forms import EvaluationForm
from .models import EvaluationInvitation

router = Router(tags=["满意度评价"])

SCALE = "10 非常满意 / 8 满意 / 6 一般 / 0 不满意"


class EvaluationIn(Schema):
    conduct: int = Field(..., description=f"遵纪守法：{SCALE}")
    attitude: int = Field(..., description=f"服务态度：{SCALE}")
    competence: int = Field(..., description=f"服务能力：{SCALE}")
    timeliness: int = Field(..., description=f"服务时效：{SCALE}")
    result: int = Field(..., description=f"服务结果：{SCALE}")
    suggestions: str = Field("", description="其他建议")
    remarks: str = Field("", description="备注")
    evaluator_name: str = Field("", description="评价人（选填）")


class EvaluationResult(Schema):
    """What the evaluator gets back: the five scores and the total."""

    conduct: int
    attitude: int
    competence: int
    timeliness: int
    result: int
    total: int = Field(..., description="五项之和，0–50")
    submitted_at: datetime


class EvaluationOut(EvaluationResult):
    id: int
    demand: int = Field(alias="demand_id")
    demand_number: str = Field(alias="demand.number")
    specialist: int | None = Field(alias="specialist_id")
    suggestions: str
    remarks: str
    evaluator_name: str
    channel: str = Field(..., description="link 评价链接 / portal 企业账号 / paper 纸质表录入")


def _validated(payload):
    """The payload checked by the UI's form: the same Chinese messages, as 422."""
    form = EvaluationForm(data=payload.dict())
    if not form.is_valid():
        raise ApiValidationError(form_errors(form))
    return form


@router.get("/demand/{demand_id}", response={200: EvaluationOut, 404: Error}, summary="需求的满意度评价")
def get_evaluation(request, demand_id: int):
    demand = get_scoped(Demand, request.user, demand_id)
    if not hasattr_row(demand, "evaluation"):
        return Status(404, {"detail": _("该需求尚未评价。")})
    return demand.evaluation


@router.post(
    "/demand/{demand_id}",
    response={201: EvaluationOut, 403: Error, 404: Error, 422: Error},
    summary="登录评价：服务对象在线评价，或管理机构录入纸质评价表",
)
def evaluate_demand(request, demand_id: int, payload: EvaluationIn):
    """The enterprise's own users evaluate through the portal; the agency for the demand's
    district types in a paper Appendix C form. Once per demand."""
    demand = get_scoped(Demand, request.user, demand_id)
    channel = access.channel_for(request.user, demand)
    if channel is None:
        raise PermissionDenied(_("只有该服务对象的用户可以评价，或由管理机构录入纸质评价表。"))
    form = _validated(payload)
    evaluation = workflow.record_evaluation(
        demand, ratings=form.ratings(), channel=channel, by=request.user, **form.extra()
    )
    return Status(201, evaluation)


@router.post(
    "/link/{token}",
    auth=None,
    response={201: EvaluationResult, 404: Error, 410: Error, 422: Error},
    summary="通过评价链接评价（无需登录）",
)
def evaluate_by_link(request, token: str, payload: EvaluationIn):
    """The token of the invitation link (its last path segment). Single use and expiring:
    a used, revoked or expired link answers 410 and nothing changes."""
    invitation = EvaluationInvitation.from_token(token)
    if invitation is None:
        return Status(404, {"detail": _("评价链接无效，请核对链接或联系服务专员。")})
    problem = access.link_problem(invitation)
    if problem:
        return Status(410, {"detail": problem})
    form = _validated(payload)
    try:
        evaluation = workflow.record_evaluation(
            invitation.demand,
            ratings=form.ratings(),
            channel=EvaluationChannel.LINK,
            invitation=invitation,
            **form.extra(),
        )
    except workflow.WorkflowError as error:
        return Status(410, {"detail": " ".join(error.messages)})
    return Status(201, evaluation)
