"""A small streaming writer of .xlsx workbooks, for exports of any size.

openpyxl (even in write-only mode) builds a cell object per value and serialises it through
lxml, which costs tens of microseconds a cell: a 100 000-row export took half a minute. An
.xlsx is a zip of a few XML parts; this module writes them itself: each worksheet is
streamed into the zip row by row (no row is kept once written), text as inline strings
(no shared-string table to hold in memory), dates and times as serial numbers with a date
number format, numbers as numbers. Every part is plain SpreadsheetML (ECMA-376) that Excel,
WPS, LibreOffice and openpyxl read.

Usage::

    with XlsxStream(target) as book:           # a path or a binary file object
        sheet = book.add_sheet("工作台账", widths=[14, 30], freeze="A2")
        sheet.append([Cell("编号", HEADER), Cell("服务对象", HEADER)])
        sheet.append(["QI-2026-000001", datetime.date(2026, 1, 5)])
        sheet.auto_filter = "A1:B2"

`Sheet.append` takes Python values (or `Cell(value, style)`); code that writes many rows
of known columns can build the row XML itself with `text_xml` / `number_xml` and hand it
to `Sheet.append_xml`, which is several times faster.

The cell styles are the fixed set below (STYLE_*): the ones our workbooks use.
"""

import datetime
import math
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import quoteattr

# --- the fixed style table (indexes into cellXfs) ---------------------------------------------

STYLE_DEFAULT = 0
STYLE_HEADER = 1  # bold, light-blue fill: a table's header row
STYLE_TITLE = 2  # bold, 14 pt: a title above a table
STYLE_DATE = 3  # yyyy-mm-dd
STYLE_DATETIME = 4  # yyyy-mm-dd hh:mm
STYLE_DATETIME_SECONDS = 5  # yyyy-mm-dd h:mm:ss (openpyxl's default for a datetime)
STYLE_DECIMAL = 6  # 0.00
STYLE_QUOTED = 7  # text with the quote prefix: Excel keeps it text even after an edit
STYLE_BOLD = 8  # bold

HEADER, TITLE, DATE, DATETIME, DATETIME_SECONDS, DECIMAL, QUOTED, BOLD = (
    STYLE_HEADER,
    STYLE_TITLE,
    STYLE_DATE,
    STYLE_DATETIME,
    STYLE_DATETIME_SECONDS,
    STYLE_DECIMAL,
    STYLE_QUOTED,
    STYLE_BOLD,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES_XML = (
    XML_DECLARATION + f'<styleSheet xmlns="{MAIN_NS}">'
    '<numFmts count="3">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd h:mm:ss"/>'
    "</numFmts>"
    '<fonts count="3">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="3">'
    '<fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="9">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

# --- cells ------------------------------------------------------------------------------------

# What XML 1.0 cannot hold (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF):
# removed, as openpyxl refuses them.
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A text needs more than copying when it holds one of these.
NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Text Excel could read as a formula when a user edits the cell (CSV/DDE injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EPOCH_ORDINAL = datetime.date(1899, 12, 30).toordinal()


@dataclass(frozen=True, slots=True)
class Cell:
    """A value with one of the STYLE_* styles."""

    value: object
    style: int = STYLE_DEFAULT


def column_letter(index):
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def escape(text):
    """Text as XML element content: illegal characters dropped, & < > escaped, and a
    carriage return kept as a character reference (a parser would fold a raw one)."""
    if NEEDS_ESCAPE.search(text) is None:
        return text
    text = ILLEGAL.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def text_xml(ref, text, style=STYLE_DEFAULT):
    """An inline-string cell. Text that could be read as a formula gets the quote prefix
    (it is always a string cell: there is no formula element to write)."""
    if style == STYLE_DEFAULT and text.startswith(FORMULA_START):
        style = STYLE_QUOTED
    body = escape(text)
    space = ' xml:space="preserve"' if body[:1].isspace() or body[-1:].isspace() else ""
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{body}</t></is></c>'


def number_xml(ref, number, style=STYLE_DEFAULT):
    if style:
        return f'<c r="{ref}" s="{style}"><v>{number}</v></c>'
    return f'<c r="{ref}"><v>{number}</v></c>'


def excel_serial(value):
    """A date or a naive datetime as Excel's serial day number (1900 date system)."""
    days = value.toordinal() - EPOCH_ORDINAL
    if 0 < days <= 60:  # before 1900-03-01: Excel counts a 29 February 1900 that never was
        days -= 1
    if isinstance(value, datetime.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1_000_000
        return days + seconds / 86400 if seconds else days
    return days


def cell_xml(ref, value, style=STYLE_DEFAULT):
    """The XML of one cell of any supported Python value ("" for an empty cell)."""
    if isinstance(value, Cell):
        value, style = value.value, value.style
    if value is None:
        return f'<c r="{ref}" s="{style}"/>' if style else ""
    if isinstance(value, str):
        return text_xml(ref, value, style)
    if isinstance(value, bool):
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return number_xml(ref, value, style)
    if isinstance(value, float | Decimal):
        number = float(value)
        return number_xml(ref, repr(number), style) if math.isfinite(number) else text_xml(ref, str(value), style)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            raise ValueError("Excel holds no time zone: convert aware datetimes to local naive time first")
        return number_xml(ref, excel_serial(value), style or STYLE_DATETIME_SECONDS)
    if isinstance(value, datetime.date):
        return number_xml(ref, excel_serial(value), style or STYLE_DATE)
    return text_xml(ref, str(value), style)


# --- the workbook ---------------------------------------------------------------------------


class Sheet:
    """One worksheet being streamed into the workbook's zip. Rows are numbered from 1 in the
    order they are appended."""

    FLUSH_BYTES = 1 << 20

    def __init__(self, book, index, title, widths, freeze):
        self.book = book
        self.index = index
        self.title = title
        self.auto_filter = None  # e.g. "A1:O101", set before the sheet is closed
        self.row_count = 0
        self._buffer = []
        self._size = 0
        # No Zip64 header (the most compatible container): a sheet stays under 2 GiB
        # uncompressed, some 2 million rows of ledger entries, twice Excel's row limit.
        self._handle = book._zip.open(f"xl/worksheets/sheet{index}.xml", "w")
        self._write_start(widths, freeze)

    def _write_start(self, widths, freeze):
        parts = [XML_DECLARATION, f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">']
        selected = ' tabSelected="1"' if self.index == 1 else ""
        if freeze:
            col, row = _split_ref(freeze)
            pane_attrs = []
            if col > 1:
                pane_attrs.append(f'xSplit="{col - 1}"')
            if row > 1:
                pane_attrs.append(f'ySplit="{row - 1}"')
            active = "bottomRight" if col > 1 and row > 1 else ("bottomLeft" if row > 1 else "topRight")
            parts.append(
                f'<sheetViews><sheetView workbookViewId="0"{selected}>'
                f'<pane {" ".join(pane_attrs)} topLeftCell="{freeze}" activePane="{active}" state="frozen"/>'
                f'<selection pane="{active}" activeCell="{freeze}" sqref="{freeze}"/>'
                "</sheetView></sheetViews>"
            )
        else:
            parts.append(f'<sheetViews><sheetView workbookViewId="0"{selected}/></sheetViews>')
        parts.append('<sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            parts.append("<cols>")
            for i, width in enumerate(widths, start=1):
                if width:
                    parts.append(f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>')
            parts.append("</cols>")
        parts.append("<sheetData>")
        self._handle.write("".join(parts).encode())

    def append(self, values):
        """Append one row of Python values (or Cell); None leaves a cell empty."""
        self.row_count += 1
        r = self.row_count
        cells = "".join(cell_xml(f"{column_letter(i)}{r}", v) for i, v in enumerate(values, start=1))
        self._add(f'<row r="{r}">{cells}</row>' if cells else f'<row r="{r}"/>')

    def next_row(self):
        """The number the next appended row gets (for callers building XML themselves)."""
        return self.row_count + 1

    def append_xml(self, cells):
        """Append one row whose cells' XML the caller built (with refs on `next_row()`)."""
        self.row_count += 1
        self._add(f'<row r="{self.row_count}">{cells}</row>')

    def _add(self, text):
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= self.FLUSH_BYTES:
            self.flush()

    def flush(self):
        if self._buffer:
            self._handle.write("".join(self._buffer).encode())
            self._buffer = []
            self._size = 0

    def close(self):
        if self._handle is None:
            return
        self.flush()
        tail = ["</sheetData>"]
        if self.auto_filter:
            tail.append(f'<autoFilter ref="{self.auto_filter}"/>')
        tail.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>')
        tail.append("</worksheet>")
        self._handle.write("".join(tail).encode())
        self._handle.close()
        self._handle = None


def _split_ref(ref):
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col, int(ref[len(letters) :])


class XlsxStream:
    """A workbook written to `target` (a path or a binary file object) sheet after sheet.
    Close it (or use it as a context manager) to finish the file."""

    def __init__(self, target, *, compresslevel=6):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.sheets = []
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._zip.close()

    def add_sheet(self, title, *, widths=(), freeze=None):
        """Start the next sheet (the one before it is finished). `title`: at most 31
        characters, none of []:*?/\\ (they are replaced); `widths` in characters per column
        from A; `freeze`: the top-left cell of the scrolling area, e.g. "A2"."""
        if self.sheets:
            self.sheets[-1].close()
        title = re.sub(r"[\[\]:*?/\\]", "_", str(title))[:31] or f"Sheet{len(self.sheets) + 1}"
        sheet = Sheet(self, len(self.sheets) + 1, title, widths, freeze)
        self.sheets.append(sheet)
        return sheet

    def close(self):
        if self._closed:
            return
        if not self.sheets:
            self.add_sheet("Sheet1")
        for sheet in self.sheets:
            sheet.close()
        count = len(self.sheets)
        write = self._zip.writestr
        write("[Content_Types].xml", _content_types(count))
        write("_rels/.rels", _root_rels())
        write("docProps/app.xml", _app())
        write("xl/workbook.xml", _workbook(self.sheets))
        write("xl/_rels/workbook.xml.rels", _workbook_rels(count))
        write("xl/styles.xml", STYLES_XML)
        self._zip.close()
        self._closed = True


def _content_types(count):
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        XML_DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        f"{sheets}</Types>"
    )


def _root_rels():
    return (
        XML_DECLARATION + f'<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{REL_NS}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>"
    )


def _app():
    return (
        XML_DECLARATION
        + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Microsoft Excel</Application></Properties>"
    )


def _workbook(sheets):
    entries = "".join(f'<sheet name={quoteattr(s.title)} sheetId="{s.index}" r:id="rId{s.index}"/>' for s in sheets)
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{s.index - 1}" hidden="1">'
        f"{_escape_attr_text(_absolute_range(s.title, s.auto_filter))}</definedName>"
        for s in sheets
        if s.auto_filter
    )
    return (
        XML_DECLARATION + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>"
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'
    )


def _absolute_range(title, ref):
    start, _sep, end = ref.partition(":")
    quoted = "'" + title.replace("'", "''") + "'"

    def absolute(cell):
        letters = cell.rstrip("0123456789")
        return f"${letters}${cell[len(letters) :]}"

    return f"{quoted}!{absolute(start)}" + (f":{absolute(end)}" if end else "")


def _escape_attr_text(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _workbook_rels(count):
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    return (
        XML_DECLARATION + f'<Relationships xmlns="{PKG_REL_NS}">{sheets}'
        f'<Relationship Id="rId{count + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
