"""Typical cases (8.5.2) in the API: the library, a case, the nomination and the review, with
the same rules (`workflow.nominate_case`, `workflow.review_case`) and visibility as the pages.

The enterprise's real name (and the demand) appear only for callers who may see the demand;
everyone else reads the masked name, also inside the case's texts.

Refusals write nothing: 401 not authenticated; 403 a role that may not do this; 404 a case
outside the caller's view; 422 the rules' Chinese reason in `detail[].msg`.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error
from qiservice.api.pagination import CappedPages
from qiservice.core.choices import QIField
from qiservice.core.visibility import get_scope

from . import workflow
from .choices import CaseStatus
from .forms.cases import CaseFilterSet
from .models import Demand
from .views.cases import cases_for, get_case, library_for, may_see_review, present, search_cases, with_visibility

router = Router(tags=["典型案例"])

ERRORS = {403: Error, 404: Error, 422: Error}


def _shown(case):
    if not hasattr(case, "shown"):
        present(case, case.demand_visible)
    return case.shown


class CaseOut(Schema):
    id: int
    title: str
    highlights: str
    enterprise: str = Field(description="企业名称；无权查看该需求时为公开名称")
    is_masked: bool = Field(description="enterprise 是否为公开名称")
    fields: list[str] = Field(description="质量基础设施领域（需求类别）")
    status: str
    status_label: str = Field(alias="get_status_display")
    is_published: bool
    demand: int | None = Field(description="需求 id；无权查看该需求时为 null")
    nominated_by: str = Field(alias="nominated_by.display_name")
    nominated_at: datetime
    reviewed_at: datetime | None

    @staticmethod
    def resolve_title(obj):
        return _shown(obj)["title"]

    @staticmethod
    def resolve_highlights(obj):
        return _shown(obj)["highlights"]

    @staticmethod
    def resolve_enterprise(obj):
        _shown(obj)
        return obj.enterprise_shown

    @staticmethod
    def resolve_is_masked(obj):
        return not obj.demand_visible

    @staticmethod
    def resolve_fields(obj):
        return obj.demand.categories

    @staticmethod
    def resolve_demand(obj):
        return obj.demand_id if obj.demand_visible else None


class CaseDetailOut(CaseOut):
    problems_solved: str
    methods: str
    results: str
    review_comments: str | None = Field(description="审核意见；仅管理机构、推荐人和承办专员可见")

    @staticmethod
    def resolve_problems_solved(obj):
        return _shown(obj)["problems_solved"]

    @staticmethod
    def resolve_methods(obj):
        return _shown(obj)["methods"]

    @staticmethod
    def resolve_results(obj):
        return _shown(obj)["results"]

    @staticmethod
    def resolve_review_comments(obj):
        return obj.review_comments if obj.sees_review else None


class CaseFilters(Schema):
    q: str | None = Field(None, description="标题、典型意义、工作总结中的关键字")
    field: str | None = Field(None, json_schema_extra={"enum": list(QIField.values)})
    status: str | None = Field(
        None,
        description="不填为案例库（已入库）；nominated / returned 为审核中的案例（管理机构、推荐人可见）",
        json_schema_extra={"enum": list(CaseStatus.values)},
    )


class NominationIn(Schema):
    demand: int = Field(description="已提交工作总结的需求 id（您承办的）")
    title: str
    highlights: str
    masked_enterprise: str = Field(description="公开时企业名称，不能包含企业真实名称")
    version: int | None = Field(None, description="可选：读取到的需求版本号；已过期时拒绝")


class ReviewIn(Schema):
    approve: bool = Field(description="true 通过入库；false 退回（须填写 comments）")
    publish: bool = Field(False, description="通过时是否在案例库中公开")
    comments: str = ""


def _detail(request, case_id):
    case = get_case(request.user, case_id)
    case.sees_review = may_see_review(request.user, case)
    return case


@router.get("", response=list[CaseOut], summary="典型案例库")
@paginate(CappedPages, page_size=25, max_page_size=200)
def list_cases(request, filters: Query[CaseFilters]):
    """已入库的案例（公开的对所有登录用户可见）；按关键字和领域检索。"""
    if filters.status:
        qs = with_visibility(cases_for(request.user).filter(status=filters.status), request.user)
    else:
        qs = library_for(request.user)
    if filters.field:
        qs = CaseFilterSet({"field": filters.field}, queryset=qs).qs
    qs = search_cases(qs, filters.q)
    return (
        qs.select_related("demand__enterprise", "demand__summary", "nominated_by")
        .prefetch_related("demand__category_rows")
        .order_by("-reviewed_at", "-nominated_at", "-pk")
    )


@router.get("/{int:case_id}", response={200: CaseDetailOut, 404: Error}, summary="典型案例详情")
def get_case_detail(request, case_id: int):
    return _detail(request, case_id)


@router.post("", response={201: CaseDetailOut, 409: Error, **ERRORS}, summary="推荐典型案例")
def nominate(request, payload: NominationIn):
    """承办的服务专员把已提交工作总结的服务推荐为典型案例；被退回的案例修改后可再次推荐。"""
    demand = Demand.objects.restrict(request.user).filter(pk=payload.demand).first()
    if demand is None:
        raise ApiValidationError([{"loc": ["body", "demand"], "msg": _("需求不存在，或不在您的数据范围内。")}])
    if not Demand.objects.restrict(request.user, "change").filter(pk=demand.pk).exists():
        raise PermissionDenied(_("只有承办的服务专员可以推荐典型案例。"))
    try:
        case = workflow.nominate_case(
            demand,
            by=request.user,
            title=payload.title,
            highlights=payload.highlights,
            masked_enterprise=payload.masked_enterprise,
            expected_version=payload.version,
        )
    except workflow.StaleDemandError as exc:
        raise HttpError(409, exc.messages[0]) from exc
    return Status(201, _detail(request, case.pk))


@router.post("/{int:case_id}/review", response={200: CaseDetailOut, **ERRORS}, summary="审核典型案例")
def review(request, case_id: int, payload: ReviewIn):
    """管理机构管理员审核待审核的案例：通过入库（可选择公开），或退回并填写审核意见。"""
    case = get_case(request.user, case_id)
    if not get_scope(request.user).is_agency_admin:
        raise PermissionDenied(_("只有管理机构管理员可以审核典型案例。"))
    workflow.review_case(
        case, by=request.user, approve=payload.approve, publish=payload.publish, comments=payload.comments
    )
    return _detail(request, case.pk)
