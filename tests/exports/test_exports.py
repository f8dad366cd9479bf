"""The Excel exports: what each file holds (headers, rows, cell types), that it matches the
list page's filters and scope, formula escaping, masking and the audit record."""

import datetime
import io
import zipfile

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.demands.models import Demand, LedgerEntry
from qiservice.evaluations.models import Evaluation

from .conftest import DAY, open_xlsx, rows_of

DEMAND_HEADERS = [
    "编号",
    "服务对象",
    "统一社会信用代码",
    "所在区",
    "地址",
    "需求类别",
    "来源",
    "联系人",
    "联系方式",
    "电子邮箱",
    "需求描述",
    "收集日期",
    "登记日期",
    "登记时间",
    "填表人",
    "状态",
    "服务方式",
    "服务专员",
    "专项服务任务",
    "服务结束时间",
    "办结时间",
]


def column(header, name):
    return header.index(name)


def test_demand_export_holds_every_visible_demand_with_typed_cells(world, login, demands):
    response = login(world.people.admin).get("/exports/demands.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    ws = open_xlsx(response).active
    header, rows = rows_of(ws)
    assert header == DEMAND_HEADERS
    assert len(rows) == Demand.objects.count() == 3
    # The list's default order: newest registration first.
    assert [r[0] for r in rows] == list(
        Demand.objects.order_by("-registered_at", "-pk").values_list("number", flat=True)
    )
    by_number = {r[0]: r for r in rows}
    demand = demands["jimei_a"]
    row = by_number[demand.number]
    assert row[column(header, "服务对象")] == "厦门集美精密机械有限公司"
    assert row[column(header, "需求类别")] == "计量、标准化"
    assert row[column(header, "来源")] == "电话"  # the choice's Chinese label
    assert row[column(header, "状态")] == "已登记"
    assert row[column(header, "所在区")] == "集美区"
    assert row[column(header, "服务专员")] == "王建华"

    # Dates and datetimes are real date cells with a number format, in local (Shanghai) time.
    excel_row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == demand.number)
    registered_on = excel_row[column(header, "登记日期")]
    assert registered_on.is_date and registered_on.number_format == "yyyy-mm-dd"
    assert registered_on.value.date() == demand.registered_on
    registered_at = excel_row[column(header, "登记时间")]
    assert registered_at.is_date and registered_at.number_format == "yyyy-mm-dd hh:mm"
    local = timezone.localtime(demand.registered_at).replace(tzinfo=None)
    assert abs(registered_at.value - local) < datetime.timedelta(milliseconds=2)
    assert registered_at.value.tzinfo is None
    # Empty cells stay empty (not the text "None").
    assert excel_row[column(header, "办结时间")].value is None


def test_numbers_are_numbers_and_sheet_has_frozen_header_and_filter(world, login, demands):
    demand = demands["jimei_a"]
    Evaluation.objects.create(
        demand=demand,
        specialist=world.sp_jimei,
        conduct=10,
        attitude=8,
        competence=8,
        timeliness=6,
        result=10,
        channel="paper",
        evaluator_name="张经理",
    )
    ws = open_xlsx(login(world.people.admin).get("/exports/evaluations.xlsx")).active
    header, rows = rows_of(ws)
    assert header[:4] == ["需求编号", "服务对象", "所在区", "服务专员"]
    assert len(rows) == 1
    row = rows[0]
    assert row[column(header, "总分")] == 42 and isinstance(row[column(header, "总分")], int)
    assert row[column(header, "服务时效")] == 6
    assert row[column(header, "评价方式")] == "纸质表录入"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}2"
    assert ws.column_dimensions["B"].width == 30


def test_formula_like_text_is_never_a_formula(world, login, demands):
    response = login(world.people.admin).get("/exports/demands.xlsx")
    content = b"".join(response.streaming_content)
    ws = open_xlsx_bytes(content).active
    header = [c.value for c in ws[1]]
    cell = next(r for r in ws.iter_rows(min_row=2) if r[0].value == demands["jimei_b"].number)[
        column(header, "需求描述")
    ]
    assert cell.value == '=HYPERLINK("http://evil.example/","点我")'
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml

    # A ledger entry's handling starting with "-" is escaped too; plain text is left alone.
    ws = open_xlsx(login(world.people.admin).get("/exports/ledger.xlsx")).active
    header = [c.value for c in ws[1]]
    handling = [r[column(header, "处理过程（简要描述运用哪些技术服务手段处理问题）")] for r in ws.iter_rows(min_row=2)]
    escaped = [c for c in handling if c.value == "-现场核查"]
    assert len(escaped) == 3 and all(c.quotePrefix and c.data_type == "s" for c in escaped)
    assert all(not c.quotePrefix for c in handling if c.value == "现场核查设备清单")


def open_xlsx_bytes(content):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content))


def test_district_officer_exports_only_their_district(world, login, demands):
    ws = open_xlsx(login(world.people.officer_jimei).get("/exports/demands.xlsx")).active
    header, rows = rows_of(ws)
    assert sorted(r[0] for r in rows) == sorted([demands["jimei_a"].number, demands["jimei_b"].number])
    assert {r[column(header, "所在区")] for r in rows} == {"集美区"}

    ws = open_xlsx(login(world.people.officer_siming).get("/exports/ledger.xlsx")).active
    header, rows = rows_of(ws)
    assert len(rows) == 3
    assert {r[0] for r in rows} == {demands["siming"].number}

    # Asking for another district's rows by filter gives an empty file: the scope still applies.
    ws = open_xlsx(login(world.people.officer_siming).get(f"/exports/ledger.xlsx?district={world.jimei.pk}")).active
    header, rows = rows_of(ws)
    assert header[0] == "需求编号" and rows == []

    # Another district's demand ledger is not found.
    response = login(world.people.officer_siming).get(f"/exports/ledger_demand.xlsx?demand={demands['jimei_a'].pk}")
    assert response.status_code == 404


def test_every_export_is_in_the_audit_log(world, login, demands):
    before = AuditLog.objects.filter(event_type=AuditEvent.EXPORTED).count()
    login(world.people.officer_jimei).get("/exports/demands.xlsx?q=校准&sort=-number")
    assert AuditLog.objects.filter(event_type=AuditEvent.EXPORTED).count() == before + 1
    row = AuditLog.objects.filter(event_type=AuditEvent.EXPORTED).first()
    assert row.actor == world.people.officer_jimei
    assert row.extra["export"] == "demands"
    assert row.extra["filters"] == {"q": ["校准"], "sort": ["-number"]}
    assert row.extra["rows"] == 1


def test_invalid_filters_export_nothing_and_say_why(world, login, demands):
    client = login(world.people.admin)
    before = AuditLog.objects.count()
    response = client.get("/exports/ledger.xlsx?entry_from=not-a-date")
    assert response.status_code == 400
    assert "筛选条件无效" in response.content.decode()
    assert AuditLog.objects.count() == before


def test_auditor_gets_phones_and_emails_masked_agency_gets_them_in_full(world, login, demands):
    for person, phone, email in (
        (world.people.admin, "13800001111", "zhang@example.cn"),
        (world.people.auditor, "138****1111", "z***@example.cn"),
    ):
        ws = open_xlsx(login(person).get("/exports/demands.xlsx")).active
        header, rows = rows_of(ws)
        assert {r[column(header, "联系方式")] for r in rows} == {phone}
        assert {r[column(header, "电子邮箱")] for r in rows} == {email}


def test_one_demands_ledger_in_appendix_b_layout(world, login, demands):
    demand = demands["jimei_a"]
    ws = open_xlsx(login(world.people.specialist).get(f"/exports/ledger_demand.xlsx?demand={demand.pk}")).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "工作台账"
    block = {row[0]: row[1] for row in values[1:7]}
    assert list(block) == ["服务对象", "服务事项", "联系人", "联系电话", "服务专员"]
    assert block["服务对象"] == "厦门集美精密机械有限公司"
    assert block["服务事项"] == demand.service_matter
    assert values[5][0] == "服务专员" and values[5][1] == "王建华"
    assert values[6][:2] == ("联系电话", "13900000000")
    header = list(values[8][:5])
    assert header == [
        "日期",
        "服务对象对接人员",
        "处理的问题",
        "处理过程（简要描述运用哪些技术服务手段处理问题）",
        "备注",
    ]
    rows = values[9:]
    assert len(rows) == 3 == demand.ledger_entries.count()
    assert rows[0][0] == datetime.datetime.combine(DAY, datetime.time())
    assert ws.freeze_panes == "A10"


def test_ledger_of_a_period_and_district(world, login, demands):
    start, end = DAY + datetime.timedelta(days=5), DAY + datetime.timedelta(days=15)
    url = f"/exports/ledger.xlsx?entry_from={start}&entry_to={end}"
    ws = open_xlsx(login(world.people.admin).get(url + f"&district={world.jimei.pk}")).active
    header, rows = rows_of(ws)
    expected = LedgerEntry.objects.filter(
        entry_on__range=(DAY + datetime.timedelta(days=5), DAY + datetime.timedelta(days=15)),
        demand__district=world.jimei,
    )
    assert len(rows) == expected.count() == 2
    assert {r[column(header, "日期")].date() for r in rows} == {DAY + datetime.timedelta(days=10)}
    assert {r[column(header, "服务事项")] for r in rows} == {"计量、标准化", "计量"}


def test_audit_log_export_is_for_those_who_see_the_log(world, login, demands):
    assert login(world.people.officer_jimei).get("/exports/auditlog.xlsx").status_code == 403
    ws = open_xlsx(login(world.people.auditor).get("/exports/auditlog.xlsx?event_type=created")).active
    header, rows = rows_of(ws)
    assert header[:3] == ["时间", "操作人", "事件"]
    assert len(rows) == AuditLog.objects.filter(event_type="created").count() > 0
    assert {r[2] for r in rows} == {"新建"}


def test_list_pages_carry_their_filters_into_the_export_button(world, login, demands):
    page = login(world.people.admin).get(f"/demands/?district={world.jimei.pk}&q=校准&page=1").content.decode()
    assert 'data-testid="export-button"' in page
    assert f"/exports/demands.xlsx?district={world.jimei.pk}&amp;q=%E6%A0%A1%E5%87%86" in page
    for url, name in (
        ("/enterprises/", "enterprises"),
        ("/specialists/", "specialists"),
        ("/exports/ledger/", "ledger"),
        ("/exports/evaluations/", "evaluations"),
        ("/audit/", "auditlog"),
    ):
        assert f"/exports/{name}.xlsx" in login(world.people.admin).get(url).content.decode(), url
    detail = login(world.people.specialist).get(f"/demands/{demands['jimei_a'].pk}/").content.decode()
    assert f"/exports/ledger_demand.xlsx?demand={demands['jimei_a'].pk}" in detail


def test_ledger_and_evaluation_pages_show_only_visible_rows(world, login, demands):
    page = login(world.people.officer_siming).get("/exports/ledger/").content.decode()
    assert demands["siming"].number in page and demands["jimei_a"].number not in page


LIST_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "q": st.sampled_from(["", "校准", "QI-2026", "思明", "没有这个"]),
        "status": st.sampled_from(["registered", "closed"]),
        "sort": st.sampled_from(["number", "-number", "status", "-registered_at"]),
        "source": st.sampled_from(["phone", "onsite"]),
        "category": st.sampled_from(["metrology", "inspection_testing"]),
    },
)


@pytest.mark.parametrize("person", ["admin", "officer_jimei", "specialist_siming"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=LIST_PARAMS)
def test_export_rows_are_exactly_the_list_pages_rows(world, login, demands, person, params):
    """Whatever filters, search and sort combine: the file's rows are the page's, in order."""
    client = login(getattr(world.people, person))
    listed = client.get("/demands/", params).context["page"]
    expected = [d.number for d in listed.paginator.object_list]
    ws = open_xlsx(client.get("/exports/demands.xlsx", params)).active
    _header, rows = rows_of(ws)
    assert [r[0] for r in rows] == expected
