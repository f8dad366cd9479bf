"""Word (.docx) rendering of a `content.Document` with python-docx.

A4 portrait; the body in 宋体 10.5 pt (五号), the title in 黑体 16 pt (三号). The East Asian
font is named on the styles and on every run (w:rFonts w:eastAsia), which is what Word and
WPS read for Chinese text. One bordered table with fixed column widths; label cells are
centred; the table's header rows repeat on every page (w:tblHeader) and no row breaks
across pages unless it is taller than a page.
"""

import copy
import io
import zipfile

from django.utils.translation import gettext as _
from docx import Document as new_document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .content import Cell, Row

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(10.5)
TITLE_SIZE = Pt(16)

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_LEFT = MARGIN_RIGHT = Mm(20)
MARGIN_TOP = MARGIN_BOTTOM = Mm(20)
CONTENT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT


def set_fonts(target, east_asia, latin=LATIN_FONT):
    """Name the fonts of a run or a style: Latin and East Asian (python-docx sets only the
    Latin ones by itself)."""
    target.font.name = latin
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def add_run(paragraph, text, *, font=BODY_FONT, size=BODY_SIZE, bold=False):
    run = paragraph.add_run(text)
    set_fonts(run, font)
    run.font.size = size
    run.bold = bold
    return run


def paragraph_format(paragraph, *, align=None, before=0, after=0):
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.15
    if align is not None:
        paragraph.alignment = align


CELL_MARGIN = Mm(1.5)


def _cell_margins(table, mm=1.5):
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(mm * 56.7)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)


def _fixed_layout(table):
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)


def _keep_together(row):
    """The row is not broken across pages (Word still breaks one taller than a page)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _shade(cell, fill="F2F2F2"):
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def _fill_cell(cell, content_cell, width, top=False):
    top = top and not content_cell.label
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP if top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    if content_cell.label:
        paragraph_format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_run(paragraph, content_cell.content)
        return
    if content_cell.is_ticks:
        paragraph_format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT)
        per_line = content_cell.per_line or len(content_cell.content)
        column = int((width - 2 * CELL_MARGIN) / per_line)
        for n in range(1, per_line):
            paragraph.paragraph_format.tab_stops.add_tab_stop(column * n)
        for index, tick in enumerate(content_cell.content):
            if index and index % per_line == 0:
                add_run(paragraph, "").add_break()
            elif index:
                add_run(paragraph, "\t")
            add_run(paragraph, tick.text)
        return
    lines = (content_cell.content or "").split("\n")
    paragraph_format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT)
    add_run(paragraph, lines[0])
    for line in lines[1:]:
        extra = cell.add_paragraph()
        paragraph_format(extra, align=WD_ALIGN_PARAGRAPH.LEFT)
        add_run(extra, line)


def _table(doc, spec, clone_rows=True):
    """The form's table. Every row is built with python-docx, except a long table's plain
    value rows (a ledger's entries): those are copies of one row built the same way, with
    the texts put in (`_cloned_row`), which gives the same XML at a fraction of the cost."""
    columns = len(spec.widths)
    total = sum(spec.widths)
    widths = [int(CONTENT_WIDTH * w / total) for w in spec.widths]
    table = doc.add_table(rows=len(spec.rows), cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _fixed_layout(table)
    _cell_margins(table)
    for index, width in enumerate(widths):
        table.columns[index].width = width
    rows = list(table.rows)
    templates = {}
    for row_index, row_spec in enumerate(spec.rows):
        row = rows[row_index]
        if clone_rows and row_index >= spec.header_rows and _is_plain(row_spec):
            key = (tuple(c.span for c in row_spec.cells), row_spec.min_height)
            template = templates.get(key)
            if template is None:
                # The template: this row built with a placeholder in every cell.
                placeholders = Row([Cell("X", span=c.span) for c in row_spec.cells], row_spec.min_height)
                _fill_row(row, placeholders, widths, is_header=False)
                template = templates[key] = copy.deepcopy(row._tr)
            table._tbl.replace(row._tr, _cloned_row(template, row_spec))
            continue
        _fill_row(row, row_spec, widths, is_header=row_index < spec.header_rows)
    return table


def _is_plain(row_spec):
    """A row of plain values (no label, no tick boxes, not shaded): its cells' formatting
    does not depend on their text."""
    return not row_spec.header and not any(c.label or c.is_ticks for c in row_spec.cells)


def _cloned_row(template, row_spec):
    """A copy of the template row (`w:tr`) holding this row's texts: each cell's first
    paragraph gets the first line, copies of that paragraph the other lines — as
    `_fill_cell` builds them; the run's text is set by python-docx itself (CT_R.text: tabs,
    line breaks, xml:space), so the XML is what `_fill_row` would have written."""
    tr = copy.deepcopy(template)
    for tc, cell in zip(tr.iterchildren(qn("w:tc")), row_spec.cells, strict=True):
        paragraph = tc.find(qn("w:p"))
        lines = (cell.content or "").split("\n")
        blank = copy.deepcopy(paragraph) if len(lines) > 1 else None
        paragraph.find(qn("w:r")).text = lines[0]
        for line in lines[1:]:
            extra = copy.deepcopy(blank)
            extra.find(qn("w:r")).text = line
            tc.append(extra)
    return tr


def _fill_row(row, row_spec, widths, *, is_header):
    row.height = Mm(row_spec.min_height)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    _keep_together(row)
    if is_header:
        _repeat_header(row)
    cells = row.cells  # read once: python-docx walks the whole table for it
    column = 0
    for content_cell in row_spec.cells:
        start, span = cells[column], content_cell.span
        tc = start._tc
        tc.width = sum(widths[column : column + span])
        if span > 1:
            # A horizontal merge written directly (w:gridSpan): python-docx's merge()
            # measures the whole table each time, quadratic on a long ledger.
            tc.grid_span = span
            for other in cells[column + 1 : column + span]:
                other._tc.getparent().remove(other._tc)
        if row_spec.header:
            _shade(start)  # before the cell's vAlign: w:shd precedes it in w:tcPr
        _fill_cell(start, content_cell, tc.width, row_spec.min_height > 16)
        column += span


def _page_number_footer(section):
    """第 N 页 at the foot of every page (a PAGE field Word and WPS fill in)."""
    paragraph = section.footer.paragraphs[0]
    paragraph_format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER)
    before, after = (_("第 %(n)d 页") % {"n": 0}).split("0", 1)  # the PDF's words around the number
    add_run(paragraph, before, size=Pt(9))
    run = add_run(paragraph, "", size=Pt(9))
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)
    add_run(paragraph, after, size=Pt(9))


def render_docx(document, *, clone_rows=True):
    """The .docx bytes of a content.Document (`clone_rows=False` builds every table row
    with python-docx: the tests compare both ways)."""
    doc = new_document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    _page_number_footer(section)

    normal = doc.styles["Normal"]
    set_fonts(normal, BODY_FONT)
    normal.font.size = BODY_SIZE
    doc.core_properties.title = document.title
    doc.core_properties.author = "质量基础设施协同服务平台"

    if document.appendix:
        p = doc.add_paragraph()
        paragraph_format(p, align=WD_ALIGN_PARAGRAPH.CENTER, after=2)
        add_run(p, document.appendix, font=TITLE_FONT, size=Pt(10.5))
    p = doc.add_paragraph()
    paragraph_format(p, align=WD_ALIGN_PARAGRAPH.CENTER, after=10)
    add_run(p, document.title, font=TITLE_FONT, size=TITLE_SIZE)
    p = doc.add_paragraph()
    paragraph_format(p, align=WD_ALIGN_PARAGRAPH.LEFT, after=4)
    add_run(p, document.number_line)

    _table(doc, document.table, clone_rows=clone_rows)

    for note in document.notes:
        p = doc.add_paragraph()
        paragraph_format(p, before=4)
        add_run(p, note, size=Pt(9))

    buffer = io.BytesIO()
    doc.save(buffer)
    return _stable_zip(buffer.getvalue())


FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def _stable_zip(data):
    """The same package with fixed member times, so the same form gives the same bytes
    (python-docx stamps every member with the time of saving)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info.filename))
    return out.getvalue()
