"""The streaming .xlsx writer: what openpyxl reads back from its files."""

import datetime
import io
import zipfile
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from qiservice.core import xlsx_stream as xs


def naive(*args):
    """A naive (local, as Excel holds it) datetime."""
    return datetime.datetime.combine(datetime.date(*args[:3]), datetime.time(*args[3:]))


def write(build, **options):
    out = io.BytesIO()
    with xs.XlsxStream(out, **options) as book:
        build(book)
    return out.getvalue()


def test_sheet_has_headers_typed_cells_frozen_header_widths_and_filter():
    def build(book):
        sheet = book.add_sheet("工作台账", widths=[14, 30, 12, 18], freeze="A2")
        sheet.append([xs.Cell(h, xs.STYLE_HEADER) for h in ("编号", "服务对象", "日期", "登记时间")])
        sheet.append(
            [
                "QI-2026-000001",
                "厦门集美精密机械有限公司",
                xs.Cell(datetime.date(2026, 11, 2), xs.STYLE_DATE),
                xs.Cell(naive(2026, 11, 2, 9, 30, 15, 250000), xs.STYLE_DATETIME),
            ]
        )
        sheet.append([42, 2.5, Decimal("3.10"), True, None, False])
        sheet.auto_filter = "A1:D3"

    content = write(build)
    ws = load_workbook(io.BytesIO(content)).active
    assert ws.title == "工作台账"
    assert [c.value for c in ws[1][:4]] == ["编号", "服务对象", "日期", "登记时间"]
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    date_cell, time_cell = ws["C2"], ws["D2"]
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    assert date_cell.value == naive(2026, 11, 2)
    assert time_cell.is_date and time_cell.number_format == "yyyy-mm-dd hh:mm"
    assert abs(time_cell.value - naive(2026, 11, 2, 9, 30, 15, 250000)) < datetime.timedelta(milliseconds=1)
    assert [c.value for c in ws[3]] == [42, 2.5, 3.1, True, None, False]
    assert isinstance(ws["A3"].value, int) and ws["D3"].data_type == "b"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width == 30
    assert ws.auto_filter.ref == "A1:D3"
    assert ws.max_row == 3


def test_formula_like_text_is_a_quoted_string_never_a_formula():
    texts = ["=SUM(A1:A9)", "+86 138", "-现场核查", "@cmd", "\tx", '=HYPERLINK("http://evil.example/","点我")']

    def build(book):
        sheet = book.add_sheet("s")
        for text in texts:
            sheet.append([text, "普通文字"])

    content = write(build)
    ws = load_workbook(io.BytesIO(content)).active
    for row, text in zip(ws.iter_rows(), texts, strict=True):
        assert row[0].value == text and row[0].data_type == "s" and row[0].quotePrefix
        assert row[1].value == "普通文字" and not row[1].quotePrefix
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


def test_markup_control_characters_and_spaces_survive_as_text():
    def build(book):
        sheet = book.add_sheet("s")
        sheet.append(["a & b < c > d", "  前后空格  ", "第一行\n第二行", "响铃\x07与\x00空字符", "</t></is></c>"])

    ws = load_workbook(io.BytesIO(write(build))).active
    assert [c.value for c in ws[1]] == [
        "a & b < c > d",
        "  前后空格  ",
        "第一行\n第二行",
        "响铃与空字符",
        "</t></is></c>",
    ]


def test_many_rows_stream_and_read_back_in_order(tmp_path):
    path = tmp_path / "big.xlsx"
    with xs.XlsxStream(str(path), compresslevel=1) as book:
        sheet = book.add_sheet("数据", freeze="B3")
        sheet.append(["序号", "名称"])
        sheet.append([])
        for n in range(1, 20_001):
            sheet.append_xml(xs.number_xml(f"A{sheet.next_row()}", n) + xs.text_xml(f"B{sheet.next_row()}", f"第{n}行"))
    ws = load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 20_000
    assert rows[0] == (1, "第1行") and rows[-1] == (20_000, "第20000行")
    assert load_workbook(path).active.freeze_panes == "B3"


def test_sheets_follow_one_another_and_titles_are_made_legal():
    def build(book):
        book.add_sheet("结果/报告:一[二]").append(["一"])
        book.add_sheet("说明").append(["二"])

    wb = load_workbook(io.BytesIO(write(build)))
    assert wb.sheetnames == ["结果_报告_一_二_", "说明"]
    assert wb["说明"]["A1"].value == "二"


def test_dates_before_march_1900_and_midnight_round_trip():
    values = [datetime.date(1900, 1, 1), datetime.date(1900, 3, 1), naive(2026, 1, 5, 0, 0)]

    def build(book):
        sheet = book.add_sheet("s")
        sheet.append(values)

    ws = load_workbook(io.BytesIO(write(build))).active
    assert [c.value for c in ws[1]] == [naive(v.year, v.month, v.day) for v in values]


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=60))
def test_any_text_reads_back_as_written_less_what_xml_cannot_hold(text):
    def build(book):
        book.add_sheet("s").append([text])

    ws = load_workbook(io.BytesIO(write(build))).active
    expected = xs.ILLEGAL.sub("", text)
    assert (ws["A1"].value or "") == expected
