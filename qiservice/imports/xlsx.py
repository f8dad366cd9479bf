"""A streaming reader of one worksheet of an .xlsx, for imports.

openpyxl's read-only mode builds an object per cell (and a rich-text object per inline
string), which makes 1.3 million cells take minutes; this reader walks the sheet XML with
lxml's `iterparse`, keeps only the current row, and yields plain values. It reads what an
import needs and nothing else: shared and inline strings, numbers, booleans, dates (by the
cell's number format, with openpyxl's own date-format test), and whether a cell holds a
formula (`<f>`, shared formulas included) — a formula's cached value is never used.

The XML parser resolves no entities and loads nothing from the network (lxml with
`resolve_entities=False, no_network=True`), so a billion-laughs or XXE file is refused as
broken, not expanded.
"""

import zipfile
from posixpath import join, normpath

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
ROW, CELL, VALUE, FORMULA, INLINE, TEXT, RUN, PHONETIC = (
    f"{MAIN}row",
    f"{MAIN}c",
    f"{MAIN}v",
    f"{MAIN}f",
    f"{MAIN}is",
    f"{MAIN}t",
    f"{MAIN}r",
    f"{MAIN}rPh",
)


class BrokenWorkbook(Exception):
    pass


def _parser_options():
    return {"resolve_entities": False, "no_network": True, "huge_tree": True, "load_dtd": False}


def _xml(archive, name):
    try:
        with archive.open(name) as handle:
            return etree.parse(handle, etree.XMLParser(**_parser_options())).getroot()
    except (KeyError, etree.XMLSyntaxError) as error:
        raise BrokenWorkbook(name) from error


def _column(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _text(element):
    """The text of a shared or inline string: its <t>, or its runs' <t>, without phonetics."""
    t = element.find(TEXT)
    if t is not None:
        return t.text or ""
    return "".join((r.findtext(TEXT) or "") for r in element.iter(RUN))


def _inline_text(element):
    """An inline string's text: the usual single <t> first, else as `_text`."""
    if len(element) == 1:
        t = element[0]
        if t.tag == TEXT:
            return t.text or ""
    return _text(element)


class Workbook:
    def __init__(self, fileobj):
        try:
            self.archive = zipfile.ZipFile(fileobj)
        except zipfile.BadZipFile as error:
            raise BrokenWorkbook("zip") from error
        names = set(self.archive.namelist())
        book = _xml(self.archive, "xl/workbook.xml")
        rels = _xml(self.archive, "xl/_rels/workbook.xml.rels")
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_REL}Relationship")}
        self.sheets = {}
        for sheet in book.iter(f"{MAIN}sheet"):
            target = targets.get(sheet.get(f"{REL}id"), "")
            path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
            if path in names:
                self.sheets[sheet.get("name")] = path
        pr = book.find(f"{MAIN}workbookPr")
        self.epoch = (
            CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
        )
        self.shared = self._shared_strings(names)
        self.date_styles = self._date_styles(names)

    def close(self):
        self.archive.close()

    @property
    def sheetnames(self):
        return list(self.sheets)

    def _shared_strings(self, names):
        path = "xl/sharedStrings.xml"
        if path not in names:
            return []
        strings = []
        try:
            with self.archive.open(path) as handle:
                for _event, si in etree.iterparse(handle, events=("end",), tag=f"{MAIN}si", **_parser_options()):
                    strings.append(_text(si))
                    si.clear()
        except etree.XMLSyntaxError as error:
            raise BrokenWorkbook(path) from error
        return strings

    def _date_styles(self, names):
        path = "xl/styles.xml"
        if path not in names:
            return set()
        styles = _xml(self.archive, path)
        formats = dict(BUILTIN_FORMATS)
        for fmt in styles.iter(f"{MAIN}numFmt"):
            formats[int(fmt.get("numFmtId", 0))] = fmt.get("formatCode", "")
        xfs = styles.find(f"{MAIN}cellXfs")
        dates = set()
        if xfs is not None:
            for index, xf in enumerate(xfs.iter(f"{MAIN}xf")):
                if is_date_format(formats.get(int(xf.get("numFmtId", 0)), "")):
                    dates.add(index)
        return dates

    def rows(self, sheet_name, min_row=1, max_row=None):
        """(row number, {column index: (value, is_formula)}) for each row in the sheet XML."""
        path = self.sheets[sheet_name]
        shared, dates, epoch = self.shared, self.date_styles, self.epoch
        expected = 0
        columns = {}
        try:
            with self.archive.open(path) as handle:
                for _event, row in etree.iterparse(handle, events=("end",), tag=ROW, **_parser_options()):
                    expected += 1
                    number = int(row.get("r") or expected)
                    expected = number
                    if max_row is not None and number > max_row:
                        break
                    if number < min_row:
                        row.clear()
                        continue
                    cells = {}
                    position = -1
                    for c in row.iterchildren(CELL):
                        ref = c.get("r")
                        if ref:
                            letters = ref.rstrip("0123456789")
                            index = columns.get(letters)
                            if index is None:
                                index = columns[letters] = _column(letters)
                            position = index
                        else:
                            position += 1
                        # One pass over the cell's children: <f>, <v> or <is>.
                        raw = inline = formula = None
                        for child in c:
                            tag = child.tag
                            if tag == VALUE:
                                if raw is None:
                                    raw = child.text or ""
                            elif tag == INLINE:
                                if inline is None:
                                    inline = child
                            elif tag == FORMULA:
                                formula = child
                                break
                        if formula is not None:
                            # The formula itself, never its cached result.
                            cells[position] = ("=" + (formula.text or ""), True)
                            continue
                        kind = c.get("t", "n")
                        if kind == "inlineStr":
                            value = None if inline is None else _inline_text(inline)
                        elif raw is None:
                            value = None
                        elif kind == "s":
                            value = shared[int(raw)]
                        elif kind in ("str", "e", "d"):
                            value = raw
                        elif kind == "b":
                            value = raw == "1"
                        else:
                            value = float(raw)
                            if value.is_integer() and "E" not in raw and "." not in raw:
                                value = int(raw)
                            if dates and int(c.get("s", 0) or 0) in dates:
                                try:
                                    value = from_excel(value, epoch)
                                except (OverflowError, ValueError):
                                    value = raw
                        cells[position] = (value, False)
                    row.clear()
                    while row.getprevious() is not None:
                        del row.getparent()[0]
                    yield number, cells
        except (etree.XMLSyntaxError, IndexError, ValueError, zipfile.BadZipFile, EOFError) as error:
            raise BrokenWorkbook(path) from error
