"""The import's validation rules: the one place that says what a valid row is.

The dry run and the import both call `Checker.check_chunk`; the template's 说明 sheet is
written from the same column definitions. Each error names its column in Chinese:
“【统一社会信用代码】校验位不正确…”.

Decisions (documented in docs/imports.md):
- An enterprise is a duplicate when its credit code is already registered (anywhere: the
  code is unique platform-wide) or appears on an earlier row of the same file.
- A demand's enterprise must already be registered (import the enterprises first) and be
  one the importer may register demands for (district staff: their own district).
- A demand is a duplicate when the same enterprise already has a demand (in the database or
  on an earlier row) with the same description (ignoring white space) collected on the
  same date.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.accounts.models import District
from qiservice.core.choices import QIField
from qiservice.core.validators import normalize_credit_code, normalize_phone, validate_credit_code, validate_phone
from qiservice.core.visibility import get_scope
from qiservice.demands.choices import DemandSource
from qiservice.enterprises.choices import EnterpriseSize, Industry
from qiservice.enterprises.models import Enterprise

from .choices import ImportKind
from .spreadsheet import cell_text

TEXT_MAX = 2000  # free-text fields (TextField in the model) accept this much from a file
SEPARATORS = re.compile(r"[、,，;；\s/]+")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False
    max_length: int | None = None
    kind: str = "text"  # text, credit_code, phone, email, choice, multi, date, district
    choices: tuple = ()  # (label, value) for choice / multi
    help: str = ""
    example: str = ""


def _labels(choices):
    return tuple((str(label), value) for value, label in choices)


def enterprise_columns():
    return (
        Column("企业名称", "name", True, 100, help=_("营业执照上的名称。"), example="厦门示例精密制造有限公司"),
        Column(
            "统一社会信用代码",
            "credit_code",
            True,
            18,
            "credit_code",
            help=_("18位，按 GB 32100 校验；不能与已登记的企业或本文件其他行重复。"),
            example="91350211MA00000010",
        ),
        Column("所在区", "district", True, 50, "district", help=_("区名，如“集美区”；区工作人员只能填本人所辖区。")),
        Column("地址", "address", True, 200, help=_("生产或经营地址。"), example="厦门市集美区示例路8号"),
        Column(
            "所属行业",
            "industry",
            True,
            50,
            "choice",
            _labels(Industry.choices),
            _("国民经济行业门类（GB/T 4754），从下拉列表选择，或填门类字母。"),
            str(Industry.C.label),
        ),
        Column(
            "企业规模",
            "size",
            False,
            10,
            "choice",
            _labels(EnterpriseSize.choices),
            _("大型、中型、小型或微型。"),
            "小型",
        ),
        Column("主要产品", "main_products", False, TEXT_MAX, help=_("可不填。"), example="数控机床零部件"),
        Column("研发能力", "rd_capability", False, TEXT_MAX, help=_("可不填。")),
        Column("生产能力", "production_capacity", False, TEXT_MAX, help=_("可不填。")),
        Column("质量管理状况", "quality_management", False, TEXT_MAX, help=_("可不填。")),
        Column("联系人", "contact_name", True, 50, example="张三"),
        Column(
            "联系电话",
            "contact_phone",
            True,
            30,
            "phone",
            help=_("11位手机号，或带区号的固定电话（如 0592-1234567）。"),
            example="13800000001",
        ),
        Column("电子邮箱", "contact_email", False, 254, "email", help=_("可不填。"), example="zhangsan@example.cn"),
    )


def demand_columns():
    return (
        Column(
            "统一社会信用代码",
            "enterprise",
            True,
            18,
            "credit_code",
            help=_("提出需求的企业，须已在服务对象库中登记（请先导入服务对象），且在您的管辖范围内。"),
            example="91350211MA00000010",
        ),
        Column("企业名称", "enterprise_name", False, 100, help=_("仅供核对，以统一社会信用代码为准。")),
        Column(
            "需求类别",
            "categories",
            True,
            100,
            "multi",
            _labels(QIField.choices),
            _("可填多个，用顿号、逗号、分号或空格分隔，如“计量、标准化”。"),
            "计量、检验检测",
        ),
        Column(
            "来源",
            "source",
            True,
            10,
            "choice",
            _labels(DemandSource.choices),
            _("现场、电话（含12345热线）、网络或其他。"),
            str(DemandSource.PHONE.label),
        ),
        Column(
            "需求描述",
            "description",
            True,
            TEXT_MAX,
            help=_("企业需求的具体内容。"),
            example="需要对生产线上的压力表进行检定。",
        ),
        Column("联系人", "contact_name", True, 50, example="张三"),
        Column(
            "联系电话",
            "contact_phone",
            True,
            30,
            "phone",
            help=_("11位手机号，或带区号的固定电话。"),
            example="13800000001",
        ),
        Column("电子邮箱", "contact_email", False, 254, "email", help=_("可不填。")),
        Column("地址", "address", False, 200, help=_("服务地点；不填则为企业地址。")),
        Column(
            "收集日期",
            "collected_on",
            False,
            20,
            "date",
            help=_("需求收集的日期，格式 YYYY-MM-DD；不填为导入当天；不能晚于今天。"),
            example="2026-11-20",
        ),
    )


KINDS = {
    ImportKind.ENTERPRISES: {"columns": enterprise_columns, "sheet": "服务对象"},
    ImportKind.DEMANDS: {"columns": demand_columns, "sheet": "服务需求"},
}


def columns_for(kind):
    return KINDS[kind]["columns"]()


def sheet_name(kind):
    return KINDS[kind]["sheet"]


def may_import(user):
    """Agency admins (every district) and agency staff (their own districts)."""
    return get_scope(user).is_agency


def _choice_list(column):
    """The labels, separated so that labels with 、 in them (行业门类) stay readable."""
    labels = [label for label, _v in column.choices]
    return ("；" if any("、" in label for label in labels) else "、").join(labels)


def _err(column, message):
    return _("【%(column)s】%(message)s") % {"column": column.header, "message": message}


def parse_date(text):
    text = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    text = text.split(" ")[0]
    return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))


@dataclass
class Row:
    number: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


class Checker:
    """Checks rows of one kind for one user. Keeps what it has seen, so a duplicate of an
    earlier row of the same file is found; create one per pass over a file."""

    def __init__(self, kind, user):
        self.kind = kind
        self.user = user
        self.scope = get_scope(user)
        self.columns = columns_for(kind)
        self.today = timezone.localdate()
        self.seen = {}
        self._choice_maps = {}
        districts = list(District.objects.all())
        self.assignable = set(District.objects.assignable_for(user).values_list("pk", flat=True))
        self.district_names = [d.name for d in districts if d.pk in self.assignable]
        self.districts = {}
        for d in districts:
            for key in (d.name, d.name.removesuffix("区"), d.code):
                self.districts[key] = d

    # --- one cell -------------------------------------------------------------------------

    def _choices(self, column):
        maps = self._choice_maps.get(column.field)
        if maps is None:
            maps = dict(column.choices), {value.upper(): value for _label, value in column.choices}
            self._choice_maps[column.field] = maps
        return maps

    def _cell(self, column, cell, row):
        if cell is not None and cell.is_formula:
            row.errors.append(_err(column, _("不接受公式，请填写数值本身（可在 Excel 中复制后“粘贴为数值”）。")))
            return None
        text = cell_text(cell.value if cell is not None else None)
        if column.kind == "date" and cell is not None and isinstance(cell.value, dt.datetime | dt.date):
            text = cell_text(cell.value)[:10]
        if not text:
            if column.required:
                row.errors.append(_err(column, _("必填项，不能为空。")))
            return None
        if column.max_length and len(text) > column.max_length:
            row.errors.append(
                _err(column, _("最多 %(max)d 个字，当前 %(n)d 个字。") % {"max": column.max_length, "n": len(text)})
            )
            return None
        try:
            return self._parse(column, text)
        except ValidationError as error:
            for message in error.messages:
                row.errors.append(_err(column, message))
            return None

    def _parse(self, column, text):
        kind = column.kind
        if kind == "credit_code":
            code = normalize_credit_code(text)
            validate_credit_code(code)
            return code
        if kind == "phone":
            validate_phone(text)
            return normalize_phone(text)
        if kind == "email":
            try:
                validate_email(text)
            except ValidationError:
                raise ValidationError(_("电子邮箱格式不正确。")) from None
            return text
        if kind == "choice":
            by_label, by_value = self._choices(column)
            value = by_label.get(text) or by_value.get(text.upper())
            if value is None:
                raise ValidationError(
                    _("“%(text)s”不是可选值，可选：%(choices)s。")
                    % {"text": text[:20], "choices": _choice_list(column)}
                )
            return value
        if kind == "multi":
            by_label, _by_value = self._choices(column)
            values, unknown = [], []
            for part in SEPARATORS.split(text):
                if not part:
                    continue
                if part in by_label:
                    if by_label[part] not in values:
                        values.append(by_label[part])
                else:
                    unknown.append(part)
            if unknown:
                raise ValidationError(
                    _("“%(text)s”不是可选值，可选：%(choices)s（多个用顿号分隔）。")
                    % {"text": "、".join(unknown)[:40], "choices": "、".join(label for label, _v in column.choices)}
                )
            return values
        if kind == "date":
            try:
                value = parse_date(text)
            except ValueError:
                raise ValidationError(
                    _("“%(text)s”不是有效日期，格式应为 YYYY-MM-DD。") % {"text": text[:20]}
                ) from None
            if value > self.today:
                raise ValidationError(_("不能晚于今天。"))
            if value.year < 2000:
                raise ValidationError(_("日期过早，请核对。"))
            return value
        if kind == "district":
            district = self.districts.get(text)
            if district is None:
                raise ValidationError(
                    _("“%(text)s”不是本平台的区，可选：%(choices)s。")
                    % {"text": text[:20], "choices": "、".join(self.district_names)}
                )
            if district.pk not in self.assignable:
                raise ValidationError(
                    _("您只能导入本人所辖区（%(mine)s）的服务对象。") % {"mine": "、".join(self.district_names) or "-"}
                )
            return district
        return text

    # --- a chunk of rows ------------------------------------------------------------------

    def check_chunk(self, chunk):
        """[(row number, {header: Cell})] -> [Row]; each Row holds its cleaned values (by
        model field) or its errors. Looks the chunk's credit codes up in one query."""
        rows = []
        for number, cells in chunk:
            row = Row(number)
            for column in self.columns:
                value = self._cell(column, cells.get(column.header), row)
                if value is not None:
                    row.values[column.field] = value
            rows.append(row)
        if self.kind == ImportKind.ENTERPRISES:
            self._enterprise_duplicates(rows)
        else:
            self._demand_enterprises(rows)
        return rows

    def recheck_chunk(self, chunk):
        """[(row number, stored values)] of rows a dry run found valid -> [Row], checked
        again against what may have changed since: the database (a credit code registered
        since, a demand's enterprise and its duplicates) and the user's districts. The file's
        own rules (formats, lengths, choices, duplicates within the file) held at the dry run
        and do not change."""
        rows = [Row(number, values) for number, values in chunk]
        if self.kind == ImportKind.ENTERPRISES:
            column = next(c for c in self.columns if c.kind == "district")
            for row in rows:
                if row.values.get("district_id") not in self.assignable:
                    row.errors.append(
                        _err(
                            column,
                            _("您只能导入本人所辖区（%(mine)s）的服务对象。")
                            % {"mine": "、".join(self.district_names) or "-"},
                        )
                    )
            self._enterprise_duplicates([r for r in rows if r.ok], within_file=False)
        else:
            for row in rows:
                row.values["enterprise"] = row.values.pop("enterprise_id")
            self._demand_enterprises(rows, within_file=False)
        return rows

    def _enterprise_duplicates(self, rows, within_file=True):
        column = self.columns[1]
        codes = [r.values["credit_code"] for r in rows if "credit_code" in r.values]
        registered = set(Enterprise.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
        for row in rows:
            code = row.values.get("credit_code")
            if code is None:
                continue
            if code in registered:
                row.errors.append(_err(column, _("该代码已登记，服务对象库中已有该企业。")))
            elif not within_file:
                continue
            elif code in self.seen:
                row.errors.append(_err(column, _("与第%(n)d行重复。") % {"n": self.seen[code]}))
            else:
                self.seen[code] = row.number

    def _demand_enterprises(self, rows, within_file=True):
        from qiservice.demands.models import Demand

        column = self.columns[0]
        # The file names enterprises by credit code; the stored rows of a dry run by id.
        by = "credit_code" if within_file else "pk"
        keys_wanted = {r.values["enterprise"] for r in rows if "enterprise" in r.values}
        allowed = Enterprise.objects.restrict(self.user, "change").filter(**{f"{by}__in": keys_wanted})
        if not self.scope.is_agency_admin:
            allowed = allowed.filter(district_id__in=self.scope.district_ids)
        enterprises = {getattr(e, by): e for e in allowed.only("pk", "credit_code", "name", "district_id", "address")}
        keys = {}
        for row in rows:
            code = row.values.get("enterprise")
            if code is None:
                continue
            enterprise = enterprises.get(code)
            if enterprise is None:
                row.errors.append(
                    _err(column, _("未找到该代码的服务对象，或不在您的管辖范围内。请先导入或登记该企业。"))
                )
                continue
            row.values["enterprise"] = enterprise
            if "description" in row.values:
                key = (
                    enterprise.pk,
                    " ".join(row.values["description"].split()),
                    row.values.get("collected_on") or self.today,
                )
                keys[row.number] = key
        if not keys:
            return
        stored = set()
        for enterprise_id, description, collected_on in Demand.objects.filter(
            enterprise_id__in={k[0] for k in keys.values()}, collected_on__in={k[2] for k in keys.values()}
        ).values_list("enterprise_id", "description", "collected_on"):
            stored.add((enterprise_id, " ".join(description.split()), collected_on))
        description = next(c for c in self.columns if c.field == "description")
        for row in rows:
            key = keys.get(row.number)
            if key is None:
                continue
            if key in stored:
                row.errors.append(_err(description, _("该企业在同一收集日期已有相同描述的需求，疑似重复。")))
            elif not within_file:
                continue
            elif key in self.seen:
                row.errors.append(
                    _err(
                        description, _("与第%(n)d行重复（同一企业、同一收集日期、相同描述）。") % {"n": self.seen[key]}
                    )
                )
            elif row.ok:
                self.seen[key] = row.number
