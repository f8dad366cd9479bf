"""Opening an uploaded workbook safely, and reading its rows one at a time.

The checks run from the cheapest to the dearest, and each refuses with a Chinese message
(`FileRefused`) before any row is read:

1. size (IMPORT_MAX_MB) from the stored file's size, never read into memory;
2. the first bytes: an OLE/CFB header (D0 CF 11 E0) is an encrypted .xlsx or an old .xls,
   anything but a zip signature is not an .xlsx (a renamed .csv or .txt);
3. the zip's central directory: it must open, hold `[Content_Types].xml` and a workbook,
   no macros (`vbaProject.bin` or a macro-enabled content type), and its members must not
   unpack to more than IMPORT_MAX_UNPACKED_MB or at a ratio only a zip bomb has;
4. the sheet XML is streamed row by row (`xlsx.py`; memory stays flat), formulas seen as
   formulas, never evaluated;
5. the header row: row 1 must hold the template's column names; a missing column is named.
"""

import datetime as dt
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

ZIP_SIGNATURES = (b"PK\x03\x04",)
CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MACRO_CONTENT_TYPES = ("macroEnabled", "vbaProject")
# A sheet of real data compresses perhaps 10-50 times; a member over 1 MB that unpacks more
# than this many times its packed size is a zip bomb.
BOMB_RATIO = 500
HEADER_SEARCH_ROWS = 10


class FileRefused(Exception):
    """The whole file is refused; the message says why, in Chinese."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Cell:
    value: object
    is_formula: bool = False


def max_bytes():
    return settings.IMPORT_MAX_MB * 1024 * 1024


def check_size(size):
    if size == 0:
        raise FileRefused(_("文件为空，请选择填写好的 Excel 文件。"))
    if size > max_bytes():
        raise FileRefused(
            _("文件过大（%(size).1f MB），上限为 %(max)d MB。请分成几个文件导入。")
            % {"size": size / 1024 / 1024, "max": settings.IMPORT_MAX_MB}
        )


def check_container(fileobj, size):
    """Steps 1-3 on an open binary file; leaves it at position 0."""
    check_size(size)
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(CFB_SIGNATURE):
        raise FileRefused(
            _("文件已加密，或是旧版 Excel（.xls）文件。请去掉打开密码，并另存为“Excel 工作簿（.xlsx）”后再上传。")
        )
    if not head.startswith(ZIP_SIGNATURES):
        raise FileRefused(
            _("文件不是 Excel 工作簿（.xlsx）。请用模板填写，或在 Excel 中另存为“Excel 工作簿（.xlsx）”后再上传。")
        )
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise FileRefused(_("文件已损坏，无法打开。请在 Excel 中重新保存后再上传。")) from None
    finally:
        fileobj.seek(0)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/workbook") for n in names):
        raise FileRefused(
            _("文件不是 Excel 工作簿（.xlsx）。请用模板填写，或在 Excel 中另存为“Excel 工作簿（.xlsx）”后再上传。")
        )
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise FileRefused(_("文件含有宏，出于安全原因不予接受。请另存为不含宏的“Excel 工作簿（.xlsx）”后再上传。"))
    limit = settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024
    total = 0
    for info in infos:
        total += info.file_size
        bomb = info.file_size > 1024 * 1024 and info.file_size > BOMB_RATIO * max(info.compress_size, 1)
        if bomb or total > limit:
            raise FileRefused(_("文件解压后过大（疑似压缩炸弹），不予处理。请只保留需要导入的数据后再上传。"))
    content_types = next(i for i in infos if i.filename == "[Content_Types].xml")
    if content_types.file_size > 1024 * 1024:
        raise FileRefused(_("文件已损坏，无法打开。请在 Excel 中重新保存后再上传。"))
    with zipfile.ZipFile(fileobj) as archive:
        text = archive.read(content_types).decode("utf-8", "replace")
    fileobj.seek(0)
    if any(marker in text for marker in MACRO_CONTENT_TYPES):
        raise FileRefused(_("文件含有宏，出于安全原因不予接受。请另存为不含宏的“Excel 工作簿（.xlsx）”后再上传。"))


def normalise_header(value):
    text = "" if value is None else str(value)
    text = text.replace("\n", "").replace(" ", "").replace("\u3000", "").strip()
    for suffix in ("*", "＊", "（必填）", "(必填)"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


class Sheet:
    """An opened workbook's data sheet: `columns` maps each expected header to its index;
    iterate `rows()` for (row number, {header: Cell}) of the non-empty data rows."""

    def __init__(self, fileobj, size, *, headers, required, sheet_name):
        check_container(fileobj, size)
        from .xlsx import BrokenWorkbook, Workbook

        self._broken = BrokenWorkbook
        try:
            self.workbook = Workbook(fileobj)
        except BrokenWorkbook:
            raise FileRefused(BROKEN()) from None
        names = self.workbook.sheetnames
        if not names:
            raise FileRefused(_("工作簿中没有工作表。"))
        self.sheet = sheet_name if sheet_name in names else names[0]
        self.headers = headers
        self._find_header(headers, required)

    def close(self):
        self.workbook.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read(self, **kwargs):
        try:
            yield from self.workbook.rows(self.sheet, **kwargs)
        except self._broken:
            raise FileRefused(BROKEN()) from None

    def _find_header(self, headers, required):
        found = dict(self._read(max_row=HEADER_SEARCH_ROWS))
        rows = []
        for number in range(1, HEADER_SEARCH_ROWS + 1):
            cells = found.get(number, {})
            width = max(cells, default=-1) + 1
            rows.append([normalise_header(cells[i][0]) if i in cells else "" for i in range(width)])
        if not any(any(names) for names in rows):
            raise FileRefused(_("工作表是空的：第1行应为表头，其下为数据（请使用导入模板）。"))
        first = rows[0]
        if not all(h in first for h in required):
            for number, names in enumerate(rows[1:], 2):
                if all(h in names for h in required):
                    raise FileRefused(
                        _("表头应在第1行，当前在第%(n)d行。请删除表头上方的行（如标题行）后再上传。") % {"n": number}
                    )
            missing = [h for h in required if h not in first]
            raise FileRefused(
                _("缺少必需的列：%(columns)s。请使用导入模板，表头须在第1行。") % {"columns": "、".join(missing)}
            )
        self.columns = {h: first.index(h) for h in headers if h in first}

    def rows(self):
        limit = settings.IMPORT_MAX_ROWS
        count = 0
        columns = list(self.columns.items())
        empty_cell = Cell(None)
        for number, cells in self._read(min_row=2):
            values = {}
            empty = True
            for header, index in columns:
                value, is_formula = cells.get(index, (None, False))
                if not is_formula and (value is None or (isinstance(value, str) and not value.strip())):
                    values[header] = empty_cell
                    continue
                empty = False
                values[header] = Cell(value, is_formula)
            if empty:
                continue
            count += 1
            if count > limit:
                raise FileRefused(_("数据行数超过上限 %(max)d 行。请分成几个文件导入。") % {"max": limit})
            yield number, values


def BROKEN():
    return _("文件已损坏，无法打开。请在 Excel 中重新保存后再上传。")


def cell_text(value):
    """A cell's value as the text a person typed: whole numbers without '.0', dates as
    YYYY-MM-DD. Nothing is evaluated."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
