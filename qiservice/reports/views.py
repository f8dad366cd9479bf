"""The agency's statistics page (4.2, 8.6) and its two export files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent

from . import charts, exports
from .access import districts_for, report_view
from .periods import PRESETS, PeriodError, parse_period, preset_period
from .stats import dashboard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def figures_for(request):
    """(figures, period, view, error) for the request's period and district. A bad period
    falls back to this month with the reason in `error`; a district outside the user's
    scope is a 404 and a user who may not read statistics a 403 (from report_view)."""
    view = report_view(request.user, request.GET.get("district"))
    today = timezone.localdate()
    error = None
    try:
        period = parse_period(request.GET, today)
    except PeriodError as exc:
        error = str(exc)
        period = preset_period("month", today)
    return dashboard(view, period, today), period, view, error


# A province has some 60 districts: charted all, the card would be 2 800 px tall. The chart
# shows the busiest; the card's data table lists every one.
DISTRICTS_CHARTED = 12


def charted_districts(rows):
    """(the district rows to chart, the note saying what was left out, or "")."""
    if len(rows) <= DISTRICTS_CHARTED:
        return rows, ""
    top = sorted(rows, key=lambda r: (-r["count"], r["label"]))[:DISTRICTS_CHARTED]
    note = _("共 %(n)s 个区，图中为登记需求最多的 %(k)s 个，全部见数据表。") % {
        "n": len(rows),
        "k": DISTRICTS_CHARTED,
    }
    return top, note


def chart_set(figures):
    """The SVG charts of the page and the Word report's figures, built from the same data."""
    districts = charted_districts(figures["by_district"])[0]
    month_series = [("open", _("办理中")), ("completed", _("已完成")), ("dropped", _("撤回/取消"))]
    return {
        "status": charts.bar_chart(
            [{"label": r["label"], "value": r["count"], "link": r["link"]} for r in figures["by_status"] if r["count"]],
            title=_("按状态"),
        ),
        "category": charts.bar_chart(
            [{"label": r["label"], "value": r["count"], "link": r["link"]} for r in figures["by_category"]],
            title=_("按需求类别"),
        ),
        "source": charts.bar_chart(
            [{"label": r["label"], "value": r["count"], "link": r["link"]} for r in figures["by_source"]],
            title=_("按来源"),
        ),
        "district": charts.bar_chart(
            [{"label": r["label"], "value": r["count"], "link": r["link"]} for r in districts],
            title=_("按所在区"),
        ),
        "month": charts.stacked_months(figures["by_month"], title=_("按月登记"), series=month_series),
        "completion": charts.donut(
            figures["completion"]["rate"],
            title=_("服务完成率"),
            caption=_("已完成 %(done)s / 应办 %(base)s")
            % {"done": figures["completion"]["completed"], "base": figures["completion"]["base"]},
        ),
        "on_time": charts.bar_chart(
            [
                {
                    "label": r["label"],
                    "value": r["rate"],
                    "note": _("按时 %(a)s，超时 %(b)s，逾期 %(c)s")
                    % {"a": r["on_time"], "b": r["late"], "c": r["overdue"]},
                }
                for r in figures["on_time"]
                if r["decided"]
            ],
            title=_("各环节按时率"),
            unit="%",
            max_value=100,
            colour="#198754",
        ),
        "satisfaction": charts.bar_chart(
            [{"label": r["label"], "value": r["mean"]} for r in figures["satisfaction"]["items"]],
            title=_("满意度各项均分（满分10分）"),
            max_value=10,
            colour="#fd7e14",
        ),
    }


@login_required
def dashboard_page(request):
    figures, period, view, error = figures_for(request)
    if error:
        messages.error(request, error + _("已按本月统计。"))
    return render(
        request,
        "reports/dashboard.html",
        {
            "title": _("统计监管"),
            "f": figures,
            "charts": chart_set(figures),
            "district_note": charted_districts(figures["by_district"])[1],
            "period": period,
            "presets": PRESETS,
            "districts": districts_for(request.user),
            "district_forced": view.district_ids is not None and not _may_choose(request.user),
            "chosen_district": view.district.pk if view.district else None,
            "export_query": _export_query(period, view),
        },
    )


def _may_choose(user):
    from qiservice.core.visibility import get_scope

    scope = get_scope(user)
    return scope.sees_everything or len(scope.district_ids) > 1


def _export_query(period, view):
    query = period.query()
    if view.district:
        query += f"&district={view.district.pk}"
    return query


def _record_export(request, kind, period, view):
    audit.record(
        AuditEvent.EXPORTED,
        actor=request.user,
        extra={
            "export": kind,
            "period": period.label,
            "district": view.district.name if view.district else "",
        },
    )


def xlsx_response(request):
    figures, period, view, _error = figures_for(request)
    _record_export(request, "statistics.xlsx", period, view)
    response = HttpResponse(exports.workbook(figures), content_type=XLSX)
    name = f"statistics-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def docx_response(request):
    figures, period, view, _error = figures_for(request)
    _record_export(request, "report.docx", period, view)
    response = HttpResponse(exports.word_report(figures, period), content_type=DOCX)
    name = f"report-{period.start.isoformat()}-{period.end.isoformat()}.docx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _strict(request, respond):
    """The UI's export links: a bad period is refused with its reason, not replaced."""
    try:
        parse_period(request.GET)
    except PeriodError as exc:
        report_view(request.user, request.GET.get("district"))
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return respond(request)


@login_required
def export_xlsx(request):
    return _strict(request, xlsx_response)


@login_required
def export_docx(request):
    return _strict(request, docx_response)
