"""The Excel workbook and the Word report hold the same figures as the page."""

import io

from docx import Document
from lxml import etree
from openpyxl import load_workbook

from qiservice.core.models import AuditLog

from .conftest import QUERY

C = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}


def sheet_rows(ws):
    """The rows under the scope line and the header, as {first cell: rest}."""
    return {row[0]: list(row[1:]) for row in ws.iter_rows(min_row=3, values_only=True)}


def test_workbook_has_one_sheet_per_group_with_numbers_as_numbers(world, data, login):
    response = login(world.people.admin).get(f"/reports/export.xlsx?{QUERY}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [
        "概览",
        "按状态",
        "按类别",
        "按来源",
        "按区",
        "按月",
        "按时率",
        "满意度",
        "逾期事项",
        "服务专员",
        "技术机构",
    ]
    assert wb["概览"]["A1"].value == "统计期间：2025-09-01 至 2025-10-31；范围：全市"
    assert [c.value for c in wb["按类别"][2]] == ["需求类别", "需求数"]
    overview = sheet_rows(wb["概览"])
    assert overview["登记需求数"] == [6]
    assert overview["服务完成率（%）"] == [60.0]
    assert overview["满意度平均总分（满分50）"] == [37.33]
    assert sheet_rows(wb["按类别"])["计量"] == [3]
    assert isinstance(wb["按类别"]["B3"].value, int)
    assert sheet_rows(wb["按月"]) == {"2025-09": [2, 1, 1, 0], "2025-10": [4, 1, 2, 1]}
    assert sheet_rows(wb["按时率"])["完成服务准备"] == [2, 1, 0, 66.7]
    assert sheet_rows(wb["满意度"])["服务时效"] == [4.67]
    assert sheet_rows(wb["技术机构"])["厦门市计量检定测试院"] == [2, 1, 2, 1, 0, 100.0]
    log = AuditLog.objects.filter(event_type="exported").latest("pk")
    assert log.extra["export"] == "statistics.xlsx" and log.actor == world.people.admin


def test_district_staff_export_only_their_district(world, data, login):
    wb = load_workbook(io.BytesIO(login(world.people.officer_jimei).get(f"/api/reports/export.xlsx?{QUERY}").content))
    assert wb["概览"]["A1"].value.endswith("范围：集美区")
    assert sheet_rows(wb["概览"])["登记需求数"] == [3]
    assert list(sheet_rows(wb["按区"])) == ["集美区"]


def _charts(document):
    """The chart parts of the document, parsed, in the order they appear."""
    parts = {rel.rId: rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/chart")}
    body = document.element.body
    order = [
        el.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        for el in body.iter(f"{{{C['c']}}}chart")
    ]
    return [(parts[rid], etree.fromstring(parts[rid].blob)) for rid in order]


def _series(chart):
    """{category: value} of the first series of a chart."""
    ser = chart.find(".//c:ser", C)
    cats = [v.text for v in ser.findall("c:cat//c:pt/c:v", C)]
    vals = [float(v.text) for v in ser.findall("c:val//c:pt/c:v", C)]
    return dict(zip(cats, vals, strict=True))


def test_word_report_has_headings_tables_and_native_charts(world, data, login):
    response = login(world.people.admin).get(f"/api/reports/report.docx?{QUERY}")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "质量基础设施协同服务工作统计报告"
    assert "三、办理时限" in headings and "四、满意度评价（附录C）" in headings
    text = "\n".join(p.text for p in document.paragraphs)
    assert "本期登记服务需求 6 项，已完成 3 项，服务完成率 60.0%" in text
    assert "平均总分 37.33" in text
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    assert ["计量", "3"] in tables[3]  # 按类别
    assert ["完成服务准备", "2", "1", "0", "66.7"] in tables[6]

    charts = _charts(document)
    assert len(charts) == 7
    month, _status, category, source, _district, on_time, satisfaction = (c for _part, c in charts)
    assert _series(category) == {"计量": 3, "标准化": 1, "检验检测": 2, "认证认可": 0, "质量管理": 1, "其他": 1}
    assert _series(source) == {"现场": 2, "电话": 2, "网络": 1, "其他": 1}
    assert _series(on_time) == {"完成服务准备": 66.7, "签订服务协议": 0.0, "服务结束后提交工作总结": 0.0}
    assert _series(satisfaction)["服务时效"] == 4.67
    month_series = {
        s.find("c:tx//c:v", C).text: [float(v.text) for v in s.findall("c:val//c:pt/c:v", C)]
        for s in month.findall(".//c:ser", C)
    }
    assert month_series == {"办理中": [1, 1], "已完成": [1, 2], "撤回/取消": [0, 1]}
    assert month.find(".//c:grouping", C).get("val") == "stacked"
    # Chinese text is drawn by the reader's own fonts: East Asian typeface named, data workbook embedded.
    part, xml = charts[0]
    assert xml.find(".//c:txPr//a:ea", C).get("typeface") == "宋体"
    assert part.content_type == "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
    embedded = [rel.target_part for rel in part.rels.values()]
    assert load_workbook(io.BytesIO(embedded[0].blob)).active["A2"].value == "2025-09"
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "宋体"
    heading_fonts = document.styles["Heading 1"].element.rPr.rFonts
    assert heading_fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"


def test_monthly_and_quarterly_titles(world, login):
    client = login(world.people.admin)
    for preset, title in [("month", "质量基础设施协同服务工作月报"), ("quarter", "质量基础设施协同服务工作季报")]:
        document = Document(io.BytesIO(client.get(f"/reports/report.docx?period={preset}").content))
        assert document.paragraphs[0].text == title
        # No demands at all: the report still opens, saying so instead of drawing empty charts.
        assert "暂无数据。" in [p.text for p in document.paragraphs]
