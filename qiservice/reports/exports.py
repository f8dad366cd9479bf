"""The statistics as files: an Excel workbook (one sheet per figure group, numbers as
numbers) and the Word 服务工作月报/季报 with the figures as tables and native Word charts.

The charts are DrawingML chart parts (the `c:chartSpace` XML written by python-pptx's
ChartXmlWriter from CategoryChartData, with its data workbook embedded), referenced from an
inline `<c:chart r:id=…>` graphic. Word, WPS and LibreOffice draw them with their own fonts,
so the Chinese labels never depend on a font installed on the server.
"""

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pptx.chart.data import CategoryChartData
from pptx.chart.xmlwriter import ChartXmlWriter
from pptx.enum.chart import XL_CHART_TYPE

CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BODY_FONT, HEADING_FONT = "宋体", "黑体"


def _rate(value):
    return value if value is not None else None


# --- the figure groups as rows, shared by both files ------------------------------------------


def tables(f):
    """[(sheet/section title, headers, rows)] — every figure group of the dashboard."""
    return [
        (
            _("概览"),
            [_("指标"), _("数值")],
            [
                [_("登记需求数"), f["total"]["count"]],
                [_("已完成需求数"), f["completion"]["completed"]],
                [_("应办需求数（不含撤回、取消）"), f["completion"]["base"]],
                [_("服务完成率（%）"), _rate(f["completion"]["rate"])],
                [_("当前逾期需求数"), f["overdue"]["count"]],
                [_("满意度评价份数"), f["satisfaction"]["count"]],
                [_("满意度平均总分（满分50）"), f["satisfaction"]["mean_total"]],
            ],
        ),
        (_("按状态"), [_("状态"), _("需求数")], [[r["label"], r["count"]] for r in f["by_status"]]),
        (_("按类别"), [_("需求类别"), _("需求数")], [[r["label"], r["count"]] for r in f["by_category"]]),
        (_("按来源"), [_("来源"), _("需求数")], [[r["label"], r["count"]] for r in f["by_source"]]),
        (_("按区"), [_("所在区"), _("需求数")], [[r["label"], r["count"]] for r in f["by_district"]]),
        (
            _("按月"),
            [_("月份"), _("登记需求数"), _("办理中"), _("已完成"), _("撤回/取消")],
            [[r["label"], r["count"], r["open"], r["completed"], r["dropped"]] for r in f["by_month"]],
        ),
        (
            _("按时率"),
            [_("环节"), _("按时完成"), _("超时完成"), _("逾期未完成"), _("按时率（%）")],
            [[r["label"], r["on_time"], r["late"], r["overdue"], _rate(r["rate"])] for r in f["on_time"]],
        ),
        (
            _("满意度"),
            [_("评价项目"), _("平均分")],
            [[r["label"], r["mean"]] for r in f["satisfaction"]["items"]]
            + [[_("总分（满分50）"), f["satisfaction"]["mean_total"]], [_("评价份数"), f["satisfaction"]["count"]]],
        ),
        (
            _("逾期事项"),
            [_("环节"), _("逾期需求数")],
            [[r["label"], r["count"]] for r in f["overdue"]["by_stage"]],
        ),
        (
            _("服务专员"),
            [_("类别"), _("服务专员"), _("在办需求"), _("承接上限"), _("负荷（%）")],
            [[_("承接最满"), r["name"], r["open"], r["capacity"], r["load"]] for r in f["specialists"]["busiest"]]
            + [[_("承接最少"), r["name"], r["open"], r["capacity"], r["load"]] for r in f["specialists"]["idlest"]],
        ),
        (
            _("技术机构"),
            [_("技术机构"), _("在办协助需求"), _("待接派单"), _("本期派单"), _("接单"), _("拒绝"), _("接单率（%）")],
            [
                [
                    r["name"],
                    r["open_demands"],
                    r["pending"],
                    r["sent"],
                    r["accepted"],
                    r["declined"],
                    r["acceptance_rate"],
                ]
                for r in f["institutions"]
            ],
        ),
    ]


def _scope_line(f):
    where = f["district"] or _("全市")
    return _("统计期间：%(start)s 至 %(end)s；范围：%(where)s") % {
        "start": f["period"]["start"],
        "end": f["period"]["end"],
        "where": where,
    }


# --- Excel ------------------------------------------------------------------------------------


def workbook(f):
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for title, headers, rows in tables(f):
        ws = wb.create_sheet(title)
        ws.append([_scope_line(f)])
        ws.append(headers)
        for cell in ws[2]:
            cell.font = bold
        for row in rows:
            ws.append(row)
        for n, header in enumerate(headers, start=1):
            width = max([len(str(header))] + [len(str(r[n - 1])) for r in rows if r[n - 1] is not None]) * 2 + 2
            ws.column_dimensions[get_column_letter(n)].width = min(max(width, 10), 40)
        ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Word -------------------------------------------------------------------------------------


def _set_fonts(document):
    """East Asian font names on the styles (宋体 body, 黑体 headings)."""
    for style in document.styles:
        if not hasattr(style, "font") or style.type != 1:  # paragraph styles only
            continue
        heading = style.name.startswith("Heading") or style.name == "Title"
        style.font.name = HEADING_FONT if heading else BODY_FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), HEADING_FONT if heading else BODY_FONT)
        for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        if heading:
            style.font.color.rgb = None
    document.styles["Normal"].font.size = Pt(11)


def _chart_xml(kind, categories, series, rid):
    """The chartSpace XML of a chart with data labels, a legend when there are several
    series, East Asian font on all text and its data workbook linked as `rid`."""
    data = CategoryChartData()
    data.categories = categories
    for name, values in series:
        data.add_series(name, values)
    root = etree.fromstring(ChartXmlWriter(kind, data).xml.encode())
    ns = {"c": C_NS, "a": A_NS}
    plot_chart = root.find("c:chart/c:plotArea", ns)[0]
    sers = plot_chart.findall("c:ser", ns)
    labels = etree.SubElement(plot_chart, f"{{{C_NS}}}dLbls")
    for name in ("showLegendKey", "showVal", "showCatName", "showSerName", "showPercent", "showBubbleSize"):
        etree.SubElement(labels, f"{{{C_NS}}}{name}", val="1" if name == "showVal" else "0")
    sers[-1].addnext(labels)
    if len(series) > 1:
        legend = etree.fromstring(f'<c:legend xmlns:c="{C_NS}"><c:legendPos val="b"/><c:overlay val="0"/></c:legend>')
        root.find("c:chart/c:plotArea", ns).addnext(legend)
    if kind == XL_CHART_TYPE.BAR_CLUSTERED:  # horizontal bars read top-down, as in the tables
        root.find("c:chart/c:plotArea/c:catAx/c:scaling/c:orientation", ns).set("val", "maxMin")
    default = root.find("c:txPr/a:p/a:pPr/a:defRPr", ns)
    default.set("sz", "1000")
    etree.SubElement(default, f"{{{A_NS}}}latin", typeface=BODY_FONT)
    etree.SubElement(default, f"{{{A_NS}}}ea", typeface=BODY_FONT)
    external = etree.SubElement(root, f"{{{C_NS}}}externalData", nsmap={"r": R_NS})
    external.set(f"{{{R_NS}}}id", rid)
    etree.SubElement(external, f"{{{C_NS}}}autoUpdate", val="0")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True), data.xlsx_blob


def add_chart(document, kind, categories, series, *, width=None, height=None, name="Chart"):
    """Append a native chart (its own paragraph) to the document."""
    if not categories:
        document.add_paragraph(_("暂无数据。"))
        return None
    width, height = width or Cm(15), height or Cm(7.5)
    package = document.part.package
    number = len([p for p in package.iter_parts() if p.partname.startswith("/word/charts/")]) + 1
    chart_part = Part(PackURI(f"/word/charts/chart{number}.xml"), CHART_CT, b"", package)
    workbook_part = Part(PackURI(f"/word/embeddings/Microsoft_Excel_Sheet{number}.xlsx"), XLSX_CT, b"", package)
    rid_workbook = chart_part.relate_to(workbook_part, RT.PACKAGE)
    chart_part._blob, workbook_part._blob = _chart_xml(kind, categories, series, rid_workbook)
    rid = document.part.relate_to(chart_part, RT.CHART)
    inline = parse_xml(
        f'<wp:inline distT="0" distB="0" distL="0" distR="0" '
        f'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        f'xmlns:a="{A_NS}" xmlns:c="{C_NS}" xmlns:r="{R_NS}">'
        f'<wp:extent cx="{int(width)}" cy="{int(height)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{1000 + number}" name="{name} {number}"/><wp:cNvGraphicFramePr/>'
        f'<a:graphic><a:graphicData uri="{C_NS}"><c:chart r:id="{rid}"/></a:graphicData></a:graphic>'
        f"</wp:inline>"
    )
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    drawing = parse_xml('<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
    drawing.append(inline)
    paragraph.add_run()._r.append(drawing)
    return chart_part


def _table(document, headers, rows):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = str(header)
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "—" if value is None else str(value)
    return table


def word_report(f, period):
    document = Document()
    _set_fonts(document)
    title = _("质量基础设施协同服务工作%(kind)s") % {"kind": period.kind}
    heading = document.add_heading(title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(_scope_line(f))
    groups = {title: (headers, rows) for title, headers, rows in tables(f)}

    document.add_heading(_("一、总体情况"), level=1)
    c = f["completion"]
    document.add_paragraph(
        _(
            "本期登记服务需求 %(total)s 项，已完成 %(done)s 项，服务完成率 %(rate)s；当前逾期需求 %(overdue)s 项；"
            "收到满意度评价 %(evals)s 份，平均总分 %(mean)s（满分50）。"
        )
        % {
            "total": f["total"]["count"],
            "done": c["completed"],
            "rate": f"{c['rate']}%" if c["rate"] is not None else "—",
            "overdue": f["overdue"]["count"],
            "evals": f["satisfaction"]["count"],
            "mean": f["satisfaction"]["mean_total"] if f["satisfaction"]["mean_total"] is not None else "—",
        }
    )
    _table(document, *groups[_("概览")])

    document.add_heading(_("二、服务需求"), level=1)
    month = f["by_month"]
    document.add_heading(_("（一）按月登记"), level=2)
    add_chart(
        document,
        XL_CHART_TYPE.COLUMN_STACKED,
        [m["label"] for m in month],
        [
            (_("办理中"), [m["open"] for m in month]),
            (_("已完成"), [m["completed"] for m in month]),
            (_("撤回/取消"), [m["dropped"] for m in month]),
        ],
    )
    _table(document, *groups[_("按月")])
    for number, key, group, field in (
        (_("（二）按状态"), "by_status", _("按状态"), "count"),
        (_("（三）按需求类别"), "by_category", _("按类别"), "count"),
        (_("（四）按来源"), "by_source", _("按来源"), "count"),
        (_("（五）按所在区"), "by_district", _("按区"), "count"),
    ):
        document.add_heading(number, level=2)
        rows = [r for r in f[key] if key != "by_status" or r["count"]]
        add_chart(
            document,
            XL_CHART_TYPE.BAR_CLUSTERED,
            [r["label"] for r in rows],
            [(_("需求数"), [r[field] for r in rows])],
            height=Cm(max(4, 1 + 0.8 * len(rows))),
        )
        _table(document, *groups[group])

    document.add_heading(_("三、办理时限"), level=1)
    document.add_paragraph(
        _("截止日期在统计期间内的各环节时限；截止日期按工作日计算，已扣除法定节假日并计入调休上班日。")
    )
    stages = [r for r in f["on_time"] if r["decided"]]
    add_chart(
        document,
        XL_CHART_TYPE.BAR_CLUSTERED,
        [r["label"] for r in stages],
        [(_("按时率（%）"), [r["rate"] for r in stages])],
        height=Cm(max(4, 1 + 0.8 * len(stages))),
    )
    _table(document, *groups[_("按时率")])
    document.add_heading(_("当前逾期事项"), level=2)
    _table(document, *groups[_("逾期事项")])

    document.add_heading(_("四、满意度评价（附录C）"), level=1)
    items = f["satisfaction"]["items"]
    add_chart(
        document,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        [r["label"] for r in items],
        [(_("平均分"), [r["mean"] or 0 for r in items])],
    )
    _table(document, *groups[_("满意度")])

    document.add_heading(_("五、服务专员与技术机构"), level=1)
    _table(document, *groups[_("服务专员")])
    document.add_paragraph()
    _table(document, *groups[_("技术机构")])

    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2.5)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
