"""Building workbooks for the import tests."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from qiservice.core.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

ENTERPRISE_HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所在区",
    "地址",
    "所属行业",
    "企业规模",
    "主要产品",
    "研发能力",
    "生产能力",
    "质量管理状况",
    "联系人",
    "联系电话",
    "电子邮箱",
]
DEMAND_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "需求类别",
    "来源",
    "需求描述",
    "联系人",
    "联系电话",
    "电子邮箱",
    "地址",
    "收集日期",
]


def credit_code(n, region="350211"):
    """A valid credit code numbered n (GB 32100 check character)."""
    body = "91" + region
    rest = ""
    for _ in range(9):
        rest = CREDIT_CODE_ALPHABET[n % 31] + rest
        n //= 31
    body += rest
    return body + credit_code_check_character(body)


def enterprise_row(n, district="集美区", **overrides):
    row = {
        "企业名称": f"厦门导入测试企业{n}有限公司",
        "统一社会信用代码": credit_code(n),
        "所在区": district,
        "地址": f"厦门市{district}导入路{n}号",
        "所属行业": "制造业",
        "企业规模": "小型",
        "主要产品": "零部件",
        "联系人": "张三",
        "联系电话": "13800000001",
        "电子邮箱": f"e{n}@example.cn",
    }
    row.update(overrides)
    return row


def demand_row(code, **overrides):
    row = {
        "统一社会信用代码": code,
        "需求类别": "计量、检验检测",
        "来源": "电话",
        "需求描述": "需要对压力表进行检定",
        "联系人": "李四",
        "联系电话": "0592-1234567",
        "收集日期": "2026-01-05",
    }
    row.update(overrides)
    return row


def workbook(rows, headers=ENTERPRISE_HEADERS, title="服务对象", header_row=1, formulas=None):
    """An .xlsx (bytes) with `headers` in row `header_row` and one row per dict in `rows`;
    `formulas` maps (row index, header) to a formula string."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for _ in range(header_row - 1):
        sheet.append(["企业信息登记表"])
    sheet.append(headers)
    for i, row in enumerate(rows):
        values = [row.get(h) for h in headers]
        for (index, header), formula in (formulas or {}).items():
            if index == i:
                values[headers.index(header)] = formula
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content, name="企业.xlsx"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def with_member(content, name, data, content_types_extra=None):
    """The workbook `content` with one more zip member (e.g. xl/vbaProject.bin)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            payload = source.read(item)
            if item.filename == "[Content_Types].xml" and content_types_extra:
                payload = payload.replace(b"</Types>", content_types_extra.encode() + b"</Types>")
            target.writestr(item, payload)
        if name:
            target.writestr(name, data)
    return out.getvalue()


def zip_bomb(content, megabytes=30):
    """The workbook whose first sheet is replaced by a huge, highly compressible one."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            payload = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                payload = payload.replace(b"<sheetData>", b"<sheetData>" + b" " * (megabytes * 1024 * 1024))
            target.writestr(item.filename, payload, zipfile.ZIP_DEFLATED)
    return out.getvalue()
