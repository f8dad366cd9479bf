"""The workbooks the imports app writes: the template of each kind (openpyxl: drop-down
lists, comments), and the report (the uploaded rows plus a 结果 column), which can be big
and is streamed to a temporary file, so memory stays flat."""

import tempfile

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qiservice.core import xlsx_stream

from . import rules
from .choices import RowStatus
from .models import ImportRow

REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
HEADER_FILL = PatternFill("solid", fgColor="E7EEF8")


def _kind_label(column):
    return {
        "credit_code": _("统一社会信用代码"),
        "phone": _("电话"),
        "email": _("电子邮箱"),
        "choice": _("从列表中选一项"),
        "multi": _("一项或多项"),
        "date": _("日期"),
        "district": _("区名"),
    }.get(column.kind, _("文本"))


def template(kind, user):
    """The template of `kind` for `user`: the data sheet (headers, one example row, drop-down
    lists), a hidden sheet of the lists, and the 说明 sheet explaining each column."""
    columns = rules.columns_for(kind)
    checker = rules.Checker(kind, user)
    book = Workbook()
    sheet = book.active
    sheet.title = rules.sheet_name(kind)
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    guide = book.create_sheet("说明")

    list_column = 0
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.comment = Comment(column.help or column.header, "模板")
        sheet.column_dimensions[letter].width = max(12, min(40, len(column.header) * 3 + 4))
        # Text format keeps credit codes and phone numbers as typed (no 1.38E+10).
        sheet.cell(row=2, column=index).number_format = "@"
        options = [label for label, _v in column.choices]
        if column.kind == "district":
            options = checker.district_names
        if options:
            list_column += 1
            lists_letter = get_column_letter(list_column)
            lists.cell(row=1, column=list_column, value=column.header)
            for row, option in enumerate(options, 2):
                lists.cell(row=row, column=list_column, value=option)
            validation = DataValidation(
                type="list",
                formula1=f"'选项'!${lists_letter}$2:${lists_letter}${len(options) + 1}",
                allow_blank=not column.required,
                # Several categories go in one cell: the list helps, it does not forbid.
                showErrorMessage=column.kind != "multi",
                errorTitle=_("不是可选值"),
                error=_("请从下拉列表中选择。"),
            )
            validation.add(f"{letter}2:{letter}5001")
            sheet.add_data_validation(validation)
    example = {c.header: c.example for c in columns}
    if checker.district_names:
        example["所在区"] = checker.district_names[0]
    for index, column in enumerate(columns, 1):
        sheet.cell(row=2, column=index, value=example.get(column.header) or None)
    sheet.freeze_panes = "A2"

    guide.append([_("导入说明")])
    guide["A1"].font = Font(bold=True, size=14)
    rules_text = [
        _("1. 表头必须在第1行，不要改动列名；数据从第2行开始，每行一条。第2行为示例，导入前请删除或改为真实数据。"),
        _("2. 红底列为必填。单元格请直接填写内容，不接受公式；不要加密文件，不要含宏；只接受 .xlsx 格式。"),
        _("3. 文件不超过 %(mb)d MB，数据不超过 %(rows)d 行。")
        % {"mb": settings.IMPORT_MAX_MB, "rows": settings.IMPORT_MAX_ROWS},
        _("4. 上传后系统先逐行检查（不写入），给出每行的结果；确认后可选择“只导入有效行”或“全部导入或全部不导入”。"),
    ]
    if kind == "enterprises":
        rules_text.append(_("5. 统一社会信用代码不能与已登记的企业或本文件的其他行重复。"))
    else:
        rules_text.append(
            _("5. 需求对应的企业须已登记（先导入服务对象）。同一企业、同一收集日期、相同描述的需求视为重复。")
        )
    for line in rules_text:
        guide.append([line])
    guide.append([])
    guide.append([_("列名"), _("是否必填"), _("类型"), _("最大长度"), _("可选值"), _("说明"), _("示例")])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in columns:
        options = [label for label, _v in column.choices]
        if column.kind == "district":
            options = checker.district_names
        guide.append(
            [
                column.header,
                _("必填") if column.required else _("选填"),
                _kind_label(column),
                column.max_length or "",
                "、".join(options),
                column.help,
                column.example,
            ]
        )
    for letter, width in zip("ABCDEFG", (18, 10, 16, 10, 40, 60, 24), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return _save(book)


def _save(book):
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    book.save(out)
    out.seek(0)
    return out


def report(job):
    """The uploaded rows, as they were, plus 结果 (通过 / 已导入 / the errors), streamed
    (`core.xlsx_stream`): 100 000 rows in seconds."""
    from .workflow import open_sheet

    out = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    labels = {value: str(label) for value, label in RowStatus.choices}
    results = (
        ImportRow.objects.filter(job=job)
        .order_by("row_number")
        .values_list("row_number", "status", "errors", "object_id")
    )
    with (
        job.file.open("rb") as fileobj,
        open_sheet(job, fileobj) as data,
        xlsx_stream.XlsxStream(out, compresslevel=3) as book,
    ):
        sheet = book.add_sheet(_("导入结果"), freeze="A2")
        headers = list(data.columns)
        sheet.append([xlsx_stream.Cell(h, xlsx_stream.STYLE_HEADER) for h in [_("行号"), *headers, _("结果")]])
        iterator = iter(results.iterator(chunk_size=2000))
        current = next(iterator, None)
        for number, cells in data.rows():
            while current is not None and current[0] < number:
                current = next(iterator, None)
            result = ""
            if current is not None and current[0] == number:
                _n, status, errors, object_id = current
                result = "；".join(errors) if errors else labels.get(status, status)
                if object_id:
                    result += f" {object_id}"
            # Text stays text: a value that looks like a formula (or was one) is written as
            # a string cell with the quote prefix, never as a formula for Excel to evaluate.
            sheet.append([number, *(cells[header].value for header in headers), result])
    out.seek(0)
    return out
