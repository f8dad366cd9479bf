"""PDF rendering of a `content.Document` with ReportLab.

The text is set in ReportLab's built-in CJK CID font STSong-Light (Adobe-GB1): no font
file on the server, the reader supplies a Song typeface. The CID font covers GB 18030's
characters but not the ballot box ☑, so tick boxes are drawn as vector graphics (a square,
and a check mark in it when ticked). The title is set in the same font, stroked to look
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


class MinHeight(Flowable):
    """A cell's content given at least `height` points: centred in it when it is a short
    field, at the top when it is a box for text."""

    def __init__(self, content, height, top=False):
        super().__init__()
        self.content, self.min_height, self.top = content, height, top

    def wrap(self, avail_width, avail_height):
        self.width = avail_width
        self.content_height = self.content.wrap(avail_width, avail_height)[1]
        self.height = max(self.content_height, self.min_height)
        return avail_width, self.height

    def split(self, avail_width, avail_height):
        # A tall text is allowed to continue on the next page.
        parts = self.content.split(avail_width, avail_height)
        return parts if len(parts) > 1 else []

    def draw(self):
        y = self.height - self.content_height if self.top else (self.height - self.content_height) / 2
        self.content.drawOn(self.canv, 0, y)


def _flowable(cell):
    if cell.is_ticks:
        return TickLine(cell.content, cell.per_line)
    return Paragraph(_text(cell.content), LABEL if cell.label else BODY)


def _table(spec, width):
    total = sum(spec.widths)
    col_widths = [width * w / total for w in spec.widths]
    data, commands = (
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
    for r, row in enumerate(spec.rows):
        cells, c = [], 0
        inner = row.min_height * mm - 2 * PADDING
        for cell in row.cells:
            flowable = _flowable(cell)
            if not cell.label:
                flowable = MinHeight(flowable, inner, top=row.min_height > 16)
            cells.append(flowable)
            cells += [""] * (cell.span - 1)
            if cell.span > 1:
                commands.append(("SPAN", (c, r), (c + cell.span - 1, r)))
            c += cell.span
        if row.header:
            commands.append(("BACKGROUND", (0, r), (-1, r), HEADER_FILL))
        data.append(cells)
    table = Table(data, colWidths=col_widths, repeatRows=spec.header_rows, splitByRow=1)
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
