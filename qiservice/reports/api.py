"""Statistics in the API (4.2, 8.6): all the dashboard's figures as JSON, and the Excel
workbook and the Word report of a period."""

import datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from qiservice.api.common import ApiValidationError, Error

from . import views
from .access import report_view
from .periods import PeriodError, parse_period
from .stats import dashboard

router = Router(tags=["统计监管"])


class PeriodQuery(Schema):
    period: str = Field(
        "month", description="month 本月 / last_month 上月 / quarter 本季度 / year 本年 / custom 自定义"
    )
    date_from: datetime.date | None = Field(None, alias="from", description="自定义期间的开始日期（含）")
    date_to: datetime.date | None = Field(None, alias="to", description="自定义期间的结束日期（含）")
    district: int | None = Field(None, description="所在区编号；区级工作人员只能查看本区")


class Dashboard(Schema):
    """Every figure; each figure item has a `link` to the demand list behind it."""

    period: dict[str, str]
    preset: str
    district: str | None
    today: str
    total: dict[str, Any]
    completion: dict[str, Any]
    by_status: list[dict[str, Any]]
    by_source: list[dict[str, Any]]
    by_district: list[dict[str, Any]]
    by_category: list[dict[str, Any]]
    by_month: list[dict[str, Any]]
    on_time: list[dict[str, Any]]
    satisfaction: dict[str, Any]
    overdue: dict[str, Any]
    specialists: dict[str, Any]
    institutions: list[dict[str, Any]]


def _checked(request, filters):
    """Validate the period strictly (the API does not fall back to this month)."""
    view = report_view(request.user, filters.district)
    params = {"period": filters.period}
    if filters.date_from:
        params["from"] = filters.date_from.isoformat()
    if filters.date_to:
        params["to"] = filters.date_to.isoformat()
    try:
        period = parse_period(params, timezone.localdate())
    except PeriodError as exc:
        raise ApiValidationError([{"loc": ["query", "period"], "msg": str(exc)}]) from None
    return view, period


@router.get("/dashboard", response={200: Dashboard, 403: Error, 404: Error, 422: Error}, summary="统计监管数据")
def get_dashboard(request, filters: Query[PeriodQuery]):
    view, period = _checked(request, filters)
    return dashboard(view, period)


@router.get("/export.xlsx", response={403: Error, 404: Error, 422: Error}, summary="导出统计Excel")
def export_xlsx(request, filters: Query[PeriodQuery]):
    _checked(request, filters)
    return views.xlsx_response(request)


@router.get("/report.docx", response={403: Error, 404: Error, 422: Error}, summary="导出Word月报/季报")
def report_docx(request, filters: Query[PeriodQuery]):
    _checked(request, filters)
    return views.docx_response(request)
