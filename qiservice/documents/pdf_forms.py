"""PDF rendering of a `content.Document` with ReportLab.

The text is set in ReportLab's built-in CJK CID font STSong-Light (Adobe-GB1): no font
file on the server, the reader supplies a Song typeface. The CID font covers GB 18030's
characters but not the ballot box ☑, so tick boxes are drawn as vector graphics (a square,
and a check mark in it when ticked). Rows have a minimum height (room to write on
a blank form). The title is set in the same font, stroked to look
bold (there is no built-in Hei font). Table cells wrap long text (CJK line breaking), the
table's header rows repeat on every page, and each page is numbered.
"""

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BODY_SIZE = 10.5
LEADING = 15
MARGIN = 20 * mm
PADDING = 4  # points inside each cell
GRID = colors.black
HEADER_FILL = colors.HexColor("#F2F2F2")

BODY = ParagraphStyle("body", fontName=FONT, fontSize=BODY_SIZE, leading=LEADING, wordWrap="CJK", alignment=TA_JUSTIFY)
LABEL = ParagraphStyle("label", parent=BODY, alignment=TA_CENTER)
NUMBER = ParagraphStyle("number", parent=BODY, alignment=TA_LEFT)
NOTE = ParagraphStyle("note", parent=BODY, fontSize=9, leading=13, alignment=TA_LEFT)
APPENDIX = ParagraphStyle("appendix", parent=BODY, alignment=TA_CENTER)


def _text(text):
    return "<br/>".join(escape(line) for line in (text or "").split("\n"))


class Title(Flowable):
    """One centred line in the CID font, stroked so it reads as bold."""

    def __init__(self, text, size=16):
        super().__init__()
        self.text, self.size = text, size

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        return avail_width, self.size * 1.6

    def draw(self):
        canvas = self.canv
        width = pdfmetrics.stringWidth(self.text, FONT, self.size)
        text = canvas.beginText()
        text.setTextRenderMode(2)  # fill and stroke
        text.setFont(FONT, self.size)
        text.setTextOrigin((self.width - width) / 2, self.size * 0.35)
        text.textOut(self.text)
        canvas.saveState()
        canvas.setLineWidth(0.45)
        canvas.drawText(text)
        canvas.restoreState()


class TickLine(Flowable):
    """Tick boxes with their labels, laid out left to right and wrapped onto more lines
    when the cell is too narrow. Boxes are vector squares; a ticked one holds a check mark."""

    BOX = 3.4 * mm
    GAP = 2.2 * mm  # between two options
    SPACE = 1.0 * mm  # between a box and its label

    def __init__(self, ticks, per_line=0, size=BODY_SIZE):
        super().__init__()
        self.ticks, self.per_line, self.size, self.leading = ticks, per_line, size, LEADING

    def _widths(self):
        return [self.BOX + self.SPACE + pdfmetrics.stringWidth(t.label, FONT, self.size) for t in self.ticks]

    def _layout(self, width):
        if self.per_line and max(self._widths()) <= width / self.per_line:
            column = width / self.per_line
            rows = [self.ticks[i : i + self.per_line] for i in range(0, len(self.ticks), self.per_line)]
            return [[(i * column, tick) for i, tick in enumerate(row)] for row in rows]
        lines, line, x = [], [], 0
        for tick in self.ticks:
            w = self.BOX + self.SPACE + pdfmetrics.stringWidth(tick.label, FONT, self.size)
            if line and x + w > width:
                lines.append(line)
                line, x = [], 0
            line.append((x, tick))
            x += w + self.GAP
        if line:
            lines.append(line)
        return lines

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.lines = self._layout(avail_width)
        self.height = len(self.lines) * self.leading
        return avail_width, self.height

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        canvas.setLineWidth(0.6)
        for index, line in enumerate(self.lines):
            baseline = self.height - (index + 1) * self.leading + (self.leading - self.size) / 2 + 1.5
            for x, tick in line:
                box_y = baseline - 0.6
                canvas.rect(x, box_y, self.BOX, self.BOX, stroke=1, fill=0)
                if tick.ticked:
                    p = canvas.beginPath()
                    p.moveTo(x + self.BOX * 0.18, box_y + self.BOX * 0.52)
                    p.lineTo(x + self.BOX * 0.42, box_y + self.BOX * 0.22)
                    p.lineTo(x + self.BOX * 0.85, box_y + self.BOX * 0.85)
                    canvas.setLineWidth(1.1)
                    canvas.drawPath(p, stroke=1, fill=0)
                    canvas.setLineWidth(0.6)
                canvas.setFont(FONT, self.size)
                canvas.drawString(x + self.BOX + self.SPACE, baseline, tick.label)
        canvas.restoreState()


def _flowable(cell):
    if cell.is_ticks:
        return TickLine(cell.content, cell.per_line)
    return Paragraph(_text(cell.content), LABEL if cell.label else BODY)


# A row is at most this tall: a longer text continues in rows of its own, labelled 续
# (ReportLab cannot split a row with merged cells across pages by itself).
MAX_ROW = 330


def _pieces(flowable, width):
    """The flowable cut into parts of at most MAX_ROW points."""
    pieces = []
    while True:
        height = flowable.wrap(width, MAX_ROW)[1]
        parts = flowable.split(width, MAX_ROW) if height > MAX_ROW else []
        if len(parts) < 2:
            pieces.append(flowable)
            return pieces
        pieces.append(parts[0])
        flowable = parts[1]


def _table(spec, width):
    total = sum(spec.widths)
    col_widths = [width * w / total for w in spec.widths]
    data, heights, commands = (
        [],
        [],
        [
            ("GRID", (0, 0), (-1, -1), 0.6, GRID),
            ("BOX", (0, 0), (-1, -1), 1.0, GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), PADDING),
        ],
    )
    header_rows = 0
    for index, row in enumerate(spec.rows):
        columns, c = [], 0
        for cell in row.cells:
            cell_width = sum(col_widths[c : c + cell.span]) - 2 * PADDING
            pieces = [_flowable(cell)] if cell.label else _pieces(_flowable(cell), cell_width)
            columns.append((c, cell, pieces))
            c += cell.span
        count = max(len(pieces) for _c, _cell, pieces in columns)
        for part in range(count):
            r = len(data)
            cells = []
            for c, cell, pieces in columns:
                if part < len(pieces):
                    cells.append(pieces[part])
                elif cell.label:
                    cells.append(Paragraph(_text(_("%(label)s（续）") % {"label": cell.content}), LABEL))
                else:
                    cells.append("")
                cells += [""] * (cell.span - 1)
                if cell.span > 1:
                    commands.append(("SPAN", (c, r), (c + cell.span - 1, r)))
                if (row.min_height > 16 or count > 1) and not cell.label:
                    commands.append(("VALIGN", (c, r), (c, r), "TOP"))  # a box to write in
            if row.header:
                commands.append(("BACKGROUND", (0, r), (-1, r), HEADER_FILL))
            data.append(cells)
            heights.append(row.min_height * mm if part == 0 else 0)
        if index < spec.header_rows:
            header_rows = len(data)
    table = Table(data, colWidths=col_widths, minRowHeights=heights, repeatRows=header_rows, splitByRow=1)
    table.setStyle(TableStyle(commands))
    return table


def _page_number(canvas, doc):
    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(A4[0] / 2, 10 * mm, _("第 %(n)d 页") % {"n": doc.page})
    canvas.restoreState()


def render_pdf(document):
    """The PDF bytes of a content.Document."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=document.title,
        author="质量基础设施协同服务平台",
        invariant=True,  # no creation time or random id: the same form gives the same bytes
    )
    story = []
    if document.appendix:
        story.append(Paragraph(_text(document.appendix), APPENDIX))
    story += [Title(document.title), Spacer(1, 2 * mm), Paragraph(_text(document.number_line), NUMBER)]
    story.append(Spacer(1, 1.5 * mm))
    story.append(_table(document.table, doc.width))
    for note in document.notes:
        story += [Spacer(1, 2 * mm), Paragraph(_text(note), NOTE)]
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()
