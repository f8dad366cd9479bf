"""What each official form says, decided once for both renderers (Word and PDF).

A form is a `Document`: the appendix line, the title, the number line (编号) and one
bordered `Table` on a grid of relative column widths. A table row holds `Cell`s; a cell is
a label (the form's printed words) or a value, and its content is either text or a line
of tick boxes (`Tick`: □ unticked / ☑ ticked). The first `header_rows` rows of a table are
repeated on every page. `docx_forms` and `pdf_forms` only draw what is here, so the Word
and the PDF file of a form never disagree.

The layouts follow the appendices of the standard: A 需求登记表, B 工作台账, C 服务专员满意度
评价表. The work summary (8.5.1) and the typical case (8.5.2) have no appendix; they use the
same frame. The typical case shows the masked enterprise name, and the real name is masked
in its texts too (it is the publishable document).
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core.choices import QIField
from qiservice.demands.choices import DemandSource
from qiservice.evaluations.choices import ITEMS, Rating

FORMS = ("registration", "ledger", "evaluation", "summary", "case")
BLANK_FORMS = ("registration", "evaluation")
FORMATS = ("docx", "pdf")

MIME_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

UNTICKED, TICKED = "□", "☑"


def form_names():
    """The Chinese name of each form (also the file name's first part)."""
    return {
        "registration": _("需求登记表"),
        "ledger": _("工作台账"),
        "evaluation": _("满意度评价表"),
        "summary": _("工作总结"),
        "case": _("典型案例"),
    }


@dataclass
class Tick:
    label: str
    ticked: bool = False

    @property
    def text(self):
        return f"{TICKED if self.ticked else UNTICKED}{self.label}"


@dataclass
class Cell:
    content: str | list  # text, or a list of Tick
    span: int = 1
    label: bool = False
    per_line: int = 0  # tick boxes: this many to a line, in equal columns

    @property
    def is_ticks(self):
        return isinstance(self.content, list)

    @property
    def text(self):
        """The cell as plain text (tick boxes as □/☑ characters)."""
        if self.is_ticks:
            return "　".join(t.text for t in self.content)
        return self.content


@dataclass
class Row:
    cells: list
    min_height: float = 9  # millimetres: room to write by hand on a blank form
    header: bool = False  # a column-header row (shaded)


@dataclass
class Table:
    widths: list  # relative column widths of the grid
    rows: list = field(default_factory=list)
    header_rows: int = 0  # repeated at the top of every page


@dataclass
class Document:
    form: str
    appendix: str  # "附录A（资料性）", or "" for the forms without an appendix
    title: str
    number: str  # the demand's number; "" on a blank form
    table: Table
    notes: list = field(default_factory=list)  # lines under the table
    filename_stem: str = ""

    def filename(self, fmt):
        return f"{self.filename_stem}.{fmt}"

    def texts(self):
        """Every text of the document in reading order (tests and the glyph check)."""
        out = [self.appendix, self.title, self.number_line]
        for row in self.table.rows:
            out += [cell.text for cell in row.cells]
        return [t for t in out + list(self.notes) if t]

    @property
    def number_line(self):
        return _("编号：%(number)s") % {"number": self.number}


# --- small helpers -------------------------------------------------------------------------------


def label(text, span=1):
    return Cell(str(text), span=span, label=True)


def value(text, span=1):
    return Cell("" if text is None else str(text), span=span)


def cn_date(d):
    if not d:
        return ""
    if hasattr(d, "astimezone"):
        d = timezone.localtime(d).date()
    return f"{d.year}年{d.month}月{d.day}日"


def category_ticks(chosen=()):
    """Appendix A 需求类别: 计量服务□ 标准化服务□ … 其他□ (several may be ticked)."""
    ticks = []
    for code, text in QIField.choices:
        name = str(text) if code == QIField.OTHER else _("%(field)s服务") % {"field": text}
        ticks.append(Tick(name, code in chosen))
    return ticks


def source_ticks(chosen=None):
    return [Tick(str(text), code == chosen) for code, text in DemandSource.choices]


def rating_ticks(chosen=None):
    return [Tick(str(text), chosen is not None and code == chosen) for code, text in Rating.choices]


def scale_note():
    return _("评价分值说明：非常满意（10分） 满意（8分） 一般（6分） 不满意（0分）")


def specialist_phone(demand, full=True):
    """The specialist's number, masked for a viewer who may not read it (R6.2)."""
    from qiservice.core.masking import shown

    return shown(demand.specialist.phone, full) if demand.specialist_id else ""


class Contact:
    """The enterprise's contact details as the viewer may read them (masked otherwise, R6.2)."""

    def __init__(self, demand, sees_contact=True):
        from qiservice.core.masking import shown

        self.name = demand.contact_name
        self.phone = shown(demand.contact_phone, sees_contact)


# --- Appendix A: the demand registration form --------------------------------------------------

FOUR_COLUMNS = [16, 34, 16, 34]


def registration(demand=None, *, sees_contact=True):
    """附录A 需求登记表: filled in from a demand, or blank for paper intake."""
    d = demand
    contact = Contact(d, sees_contact) if d else None
    rows = [
        Row([label(_("服务对象")), value(d.enterprise.name if d else "", 3)], 11),
        Row([label(_("地址")), value(d.address if d else "", 3)], 11),
        Row([label(_("需求类别")), Cell(category_ticks(d.categories if d else ()), span=3, per_line=3)], 16),
        Row([label(_("来源")), Cell(source_ticks(d.source if d else None), span=3, per_line=4)], 11),
        Row(
            [
                label(_("联系人")),
                value(contact.name if d else ""),
                label(_("联系方式")),
                value(contact.phone if d else ""),
            ],
            11,
        ),
        Row([label(_("需求描述")), value(d.description if d else "", 3)], 70),
        Row(
            [
                label(_("填表人")),
                value(d.registered_by.display_name if d else ""),
                label(_("日期")),
                value(cn_date(d.registered_on) if d else ""),
            ],
            11,
        ),
    ]
    return Document(
        form="registration",
        appendix=_("附录A（资料性）"),
        title=_("厦门市质量基础设施协同服务需求登记表"),
        number=d.number if d else "",
        table=Table(FOUR_COLUMNS, rows),
        filename_stem=_stem("registration", d),
    )


# --- Appendix B: the work ledger ---------------------------------------------------------------

# One grid for both parts: the title rows (label, value, label, value) and the ledger's
# five columns (日期, 服务对象对接人员, 处理的问题, 处理过程 over two grid columns, 备注).
LEDGER_GRID = [12, 14, 26, 14, 20, 14]


def ledger(demand, entries, *, sees_contact=True, sees_specialist=True):
    """附录B 工作台账: the title rows and the column header repeat on every page."""
    d = demand
    contact = Contact(d, sees_contact)
    rows = [
        Row([label(_("服务对象")), value(d.enterprise.name, 2), label(_("服务事项")), value(d.service_matter, 2)], 10),
        Row([label(_("联系人")), value(contact.name, 2), label(_("联系电话")), value(contact.phone, 2)], 9),
        Row(
            [
                label(_("服务专员")),
                value(d.specialist.name if d.specialist_id else "", 2),
                label(_("联系电话")),
                value(specialist_phone(d, sees_specialist), 2),
            ],
            9,
        ),
        Row(
            [
                label(_("日期")),
                label(_("服务对象对接人员")),
                label(_("处理的问题")),
                label(_("处理过程（简要描述运用哪些技术服务手段处理问题）"), 2),
                label(_("备注")),
            ],
            12,
            header=True,
        ),
    ]
    for entry in entries:
        remarks = entry.remarks
        if entry.corrects_id:
            note = _("更正 %(date)s 的记录") % {"date": entry.corrects.entry_on.isoformat()}
            remarks = f"{note}\n{remarks}" if remarks else note
        rows.append(
            Row(
                [
                    value(entry.entry_on.isoformat()),
                    value(entry.enterprise_contact),
                    value(entry.problem),
                    value(entry.handling, 2),
                    value(remarks),
                ],
                12,
            )
        )
    return Document(
        form="ledger",
        appendix=_("附录B（资料性）"),
        title=_("厦门市质量基础设施协同服务项目工作台账"),
        number=d.number,
        table=Table(LEDGER_GRID, rows, header_rows=4),
        notes=[_("共 %(n)d 条记录。") % {"n": len(entries)}],
        filename_stem=_stem("ledger", d),
    )


# --- Appendix C: the satisfaction evaluation form ------------------------------------------------


def evaluation(demand=None, evaluation=None, *, sees_contact=True):
    """附录C 服务专员满意度评价表: blank for printing (demand None), the demand's header
    with empty boxes (evaluation None), or filled in from the demand's Evaluation."""
    d, e = demand, evaluation
    contact = Contact(d, sees_contact) if d else None
    rows = [
        Row([label(_("服务对象")), value(d.enterprise.name if d else "", 3)], 10),
        Row([label(_("服务事项")), value(d.service_matter if d else "", 3)], 10),
        Row(
            [
                label(_("联系人")),
                value(contact.name if d else ""),
                label(_("联系电话")),
                value(contact.phone if d else ""),
            ],
            10,
        ),
    ]
    for name, text in ITEMS:
        rows.append(Row([label(text), Cell(rating_ticks(getattr(e, name) if e else None), span=3, per_line=4)], 10))
    remarks = []
    if e is not None:
        if e.remarks:
            remarks.append(e.remarks)
        remarks.append(_("总分：%(total)d 分（满分 50 分）") % {"total": e.total})
    remarks.append(scale_note())
    rows += [
        Row([label(_("其他建议")), value(e.suggestions if e else "", 3)], 30),
        Row([label(_("备注")), value("\n".join(remarks), 3)], 16),
    ]
    if e is not None:
        notes = [
            _("评价人：%(name)s；评价方式：%(channel)s；评价日期：%(date)s")
            % {
                "name": e.evaluator_name or "—",
                "channel": e.get_channel_display(),
                "date": cn_date(e.submitted_at),
            }
        ]
    else:
        notes = [_("评价人（签字）：________________；日期：______年____月____日")]
    return Document(
        form="evaluation",
        appendix=_("附录C（资料性）"),
        title=_("厦门市质量基础设施服务专员满意度评价表"),
        number=d.number if d else "",
        table=Table(FOUR_COLUMNS, rows),
        notes=notes,
        filename_stem=_stem("evaluation", d),
    )


# --- 8.5.1 the work summary and 8.5.2 the typical case ------------------------------------------


def summary(demand, summary, *, sees_specialist=True):
    d = demand
    rows = [
        Row([label(_("服务对象")), value(d.enterprise.name, 3)], 10),
        Row([label(_("服务事项")), value(d.service_matter, 3)], 10),
        Row(
            [
                label(_("服务专员")),
                value(d.specialist.name if d.specialist_id else ""),
                label(_("联系电话")),
                value(specialist_phone(d, sees_specialist)),
            ],
            10,
        ),
        Row([label(_("解决的问题")), value(summary.problems_solved, 3)], 45),
        Row([label(_("解决问题的方法")), value(summary.methods, 3)], 45),
        Row([label(_("取得的成效")), value(summary.results, 3)], 45),
        Row(
            [
                label(_("提交人")),
                value(summary.submitted_by.display_name),
                label(_("提交日期")),
                value(cn_date(summary.submitted_at)),
            ],
            10,
        ),
    ]
    return Document(
        form="summary",
        appendix="",
        title=_("厦门市质量基础设施协同服务工作总结"),
        number=d.number,
        table=Table(FOUR_COLUMNS, rows),
        filename_stem=_stem("summary", d),
    )


def typical_case(demand, case, summary):
    """The typical case as it may be published: the masked enterprise name, and the real
    name (and its short forms) masked in every text."""
    from qiservice.demands.views.cases import mask_text

    d = demand
    real, masked = d.enterprise.name, case.masked_enterprise

    def m(text):
        return mask_text(text or "", real, masked)

    rows = [
        Row([label(_("案例标题")), value(m(case.title), 3)], 11),
        Row(
            [
                label(_("服务对象")),
                value(masked),
                label(_("需求类别")),
                value("、".join(str(x) for x in d.category_labels)),
            ],
            10,
        ),
        Row(
            [
                label(_("服务专员")),
                value(d.specialist.name if d.specialist_id else ""),
                label(_("审核状态")),
                value(case.get_status_display()),
            ],
            10,
        ),
        Row([label(_("典型意义")), value(m(case.highlights), 3)], 30),
        Row([label(_("解决的问题")), value(m(summary.problems_solved if summary else ""), 3)], 35),
        Row([label(_("解决问题的方法")), value(m(summary.methods if summary else ""), 3)], 35),
        Row([label(_("取得的成效")), value(m(summary.results if summary else ""), 3)], 35),
    ]
    return Document(
        form="case",
        appendix="",
        title=_("厦门市质量基础设施协同服务典型案例"),
        number=d.number,
        table=Table(FOUR_COLUMNS, rows),
        notes=[_("本案例中的服务对象名称已作脱敏处理。")],
        filename_stem=_stem("case", d),
    )


def _stem(form, demand):
    name = form_names()[form]
    if demand is None:
        return _("%(name)s（空白）") % {"name": name}
    return f"{name}-{demand.number}"
