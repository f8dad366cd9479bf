"""8.6.2 performance assessment and return visits in the API: the same data scope and
rules as the pages (a specialist sees only their own result, once published)."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema
from ninja.responses import Status

from qiservice.api.common import Error, get_scoped
from qiservice.core.visibility import get_scope
from qiservice.demands.models import Demand

from . import workflow
from .display import indicator_rows
from .models import Assessment, AssessmentPeriod, AssessmentWeights, ReturnVisit

router = Router(tags=["绩效评估与回访"])


class PeriodOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="quarter 季度 / year 年度")
    year: int
    quarter: int | None
    starts_on: date
    ends_on: date
    status: str = Field(..., description="open 评估中 / scored 已评分 / published 已公布 / closed 已结束")
    computed_at: datetime | None
    published_at: datetime | None


class IndicatorOut(Schema):
    key: str
    label: str
    figure: str = Field(..., description="来自业务记录的数值")
    score: float | None = Field(None, description="折算得分 0–100；无数据为 null")
    weight: int


class AssessmentOut(Schema):
    id: int
    period: int = Field(alias="period_id")
    period_name: str = Field(alias="period.name")
    specialist: int = Field(alias="specialist_id")
    specialist_name: str = Field(alias="specialist.name")
    indicators: dict
    scores: dict
    supervisor_score: Decimal | None
    supervisor_comments: str
    is_flagged: bool
    flag_reason: str
    total: Decimal | None
    grade: str = Field(..., description="excellent 优秀 / good 良好 / pass 合格 / fail 不合格；未计算为空")
    rank: int | None
    acknowledged_at: datetime | None
    specialist_comment: str


class AssessmentDetailOut(AssessmentOut):
    rows: list[IndicatorOut]


class ScoreIn(Schema):
    supervisor_score: Decimal = Field(..., description="评议打分 0–100")
    comments: str = ""
    is_flagged: bool = False
    flag_reason: str = ""


class AcknowledgeIn(Schema):
    comment: str = ""


class ReturnVisitIn(Schema):
    visited_on: date | None = Field(None, description="回访日期，默认今天")
    method: str = Field(..., description="phone 电话 / onsite 上门 / other 其他")
    enterprise_feedback: str
    further_needs: str = ""
    satisfaction_remark: str = ""
    start_demand: bool = Field(False, description="将后续需求登记为新需求（源自回访）")
    categories: list[str] = Field(default_factory=list, description="新需求类别，不填沿用原需求")


class ReturnVisitOut(Schema):
    id: int
    demand: int = Field(alias="demand_id")
    visited_on: date
    visited_by: str
    method: str
    enterprise_feedback: str
    further_needs: str
    satisfaction_remark: str
    new_demand: int | None = Field(alias="new_demand_id")

    @staticmethod
    def resolve_visited_by(obj):
        return str(obj.visited_by)


def _assessment(request, pk, action="view"):
    return Assessment.objects.select_related("period", "specialist").get_for(request.user, pk, action)


def _detail(assessment):
    assessment.rows = indicator_rows(assessment, AssessmentWeights.current().weights)
    return assessment


@router.get("/periods", response=list[PeriodOut], summary="评估周期列表")
def list_periods(request):
    scope = get_scope(request.user)
    if not (scope.is_agency or scope.is_auditor or scope.is_specialist):
        raise PermissionDenied
    return AssessmentPeriod.objects.restrict(request.user).order_by("-starts_on", "-pk")[:200]


@router.get("/periods/{period_id}", response={200: PeriodOut, 404: Error}, summary="评估周期")
def get_period(request, period_id: int):
    return get_scoped(AssessmentPeriod, request.user, period_id)


@router.get(
    "/periods/{period_id}/assessments", response={200: list[AssessmentOut], 404: Error}, summary="周期内的评估结果"
)
def list_assessments(request, period_id: int):
    period = get_scoped(AssessmentPeriod, request.user, period_id)
    return (
        Assessment.objects.restrict(request.user)
        .filter(period=period)
        .select_related("period", "specialist")
        .order_by("rank", "pk")
    )


@router.get("/{assessment_id}", response={200: AssessmentDetailOut, 404: Error}, summary="评估结果")
def get_assessment(request, assessment_id: int):
    return _detail(_assessment(request, assessment_id))


@router.post(
    "/{assessment_id}/score",
    response={200: AssessmentDetailOut, 403: Error, 404: Error, 422: Error},
    summary="评议打分（管理机构）",
)
def score_assessment(request, assessment_id: int, payload: ScoreIn):
    assessment = _assessment(request, assessment_id, "change")
    return _detail(workflow.score(assessment, by=request.user, **payload.dict()))


@router.post(
    "/{assessment_id}/acknowledge",
    response={200: AssessmentDetailOut, 403: Error, 404: Error, 422: Error},
    summary="专员确认评估结果",
)
def acknowledge_assessment(request, assessment_id: int, payload: AcknowledgeIn):
    assessment = _assessment(request, assessment_id)
    if get_scope(request.user).specialist_id != assessment.specialist_id:
        raise PermissionDenied
    return _detail(workflow.acknowledge(assessment, by=request.user, comment=payload.comment))


@router.get(
    "/demand/{demand_id}/return-visits", response={200: list[ReturnVisitOut], 404: Error}, summary="需求的回访记录"
)
def list_return_visits(request, demand_id: int):
    demand = get_scoped(Demand, request.user, demand_id)
    return ReturnVisit.objects.filter(demand=demand).select_related("visited_by")


@router.post(
    "/demand/{demand_id}/return-visits",
    response={201: ReturnVisitOut, 403: Error, 404: Error, 422: Error},
    summary="记录回访（可将后续需求登记为新需求）",
)
def create_return_visit(request, demand_id: int, payload: ReturnVisitIn):
    demand = get_scoped(Demand, request.user, demand_id)
    if not workflow.may_visit(request.user, demand):
        raise PermissionDenied
    visit = workflow.record_return_visit(demand, by=request.user, **payload.dict())
    return Status(201, visit)
