"""The Word files: the standard's layout (title, number line, the table's rows, labels and
tick boxes), the values of the demand, the East Asian fonts, and long ledgers."""

import datetime
import io
import zipfile

from django.utils import timezone
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from qiservice.demands import workflow
from qiservice.documents import content, services
from qiservice.documents.docx_forms import render_docx
from qiservice.documents.pdf_forms import render_pdf
from tests.evaluations.helpers import ended_demand

from .helpers import SUMMARY, cell_texts, docx_of, flat, ledger_entry, pdf_of


def build(world, demand, form, user=None):
    user = user or world.people.admin
    return services.build(user, services.load(user, demand.pk), form)


def docx(world, demand, form, user=None):
    return docx_of(render_docx(build(world, demand, form, user)))


def paragraphs(doc):
    return [p.text for p in doc.paragraphs if p.text]


def ticked(text):
    """The labels ticked (☑) in a line of tick boxes."""
    parts = text.replace("\t", "　").replace("\n", "　").split("　")
    return {p[1:] for p in parts if p.startswith(content.TICKED)}


def unticked(text):
    parts = text.replace("\t", "　").replace("\n", "　").split("　")
    return {p[1:] for p in parts if p.startswith(content.UNTICKED)}


def test_registration_form_has_appendix_a_rows_and_ticks(world, done):
    doc = docx(world, done, "registration")
    assert paragraphs(doc)[:3] == [
        "附录A（资料性）",
        "厦门市质量基础设施协同服务需求登记表",
        f"编号：{done.number}",
    ]
    assert len(doc.tables) == 1
    rows = cell_texts(doc.tables[0])
    labels = [row[0] for row in rows]
    assert labels == ["服务对象", "地址", "需求类别", "来源", "联系人", "需求描述", "填表人"]
    assert rows[0] == ["服务对象", "厦门集美精密机械有限公司"]
    assert rows[1][1] == done.address
    # Exactly the chosen categories and source are ticked; the others are empty boxes.
    assert ticked(rows[2][1]) == {"计量服务", "标准化服务"}
    assert unticked(rows[2][1]) == {"检验检测服务", "认证认可服务", "质量管理服务", "其他"}
    assert ticked(rows[3][1]) == {"现场"}
    assert unticked(rows[3][1]) == {"电话", "网络", "其他"}
    assert rows[4] == ["联系人", "张经理", "联系方式", "13800001111"]
    assert rows[5][1] == done.description
    assert rows[6][2:] == ["日期", f"{done.registered_on.year}年{done.registered_on.month}月{done.registered_on.day}日"]


def test_fonts_are_named_for_east_asian_text(world, done):
    doc = docx(world, done, "registration")
    normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "宋体"
    title_run = doc.paragraphs[1].runs[0]
    assert title_run.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    cell_runs = [r for row in doc.tables[0].rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert cell_runs and all(r.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体" for r in cell_runs)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == 20


def test_contact_phone_is_masked_for_a_viewer_without_contact_rights(world, done):
    # The auditor reads the demand but not the enterprise's contact details (R6.2).
    rows = cell_texts(docx(world, done, "registration", world.people.auditor).tables[0])
    assert rows[4][3] == "138****1111"


def test_ledger_form_has_the_title_rows_the_header_and_one_row_per_entry(world, done):
    doc = docx(world, done, "ledger")
    assert paragraphs(doc)[:3] == ["附录B（资料性）", "厦门市质量基础设施协同服务项目工作台账", f"编号：{done.number}"]
    table = doc.tables[0]
    rows = cell_texts(table)
    assert rows[0] == ["服务对象", "厦门集美精密机械有限公司", "服务事项", done.service_matter]
    assert rows[1] == ["联系人", "张经理", "联系电话", "13800001111"]
    assert rows[2] == ["服务专员", "王建华", "联系电话", world.sp_jimei.phone]
    assert rows[3] == [
        "日期",
        "服务对象对接人员",
        "处理的问题",
        "处理过程（简要描述运用哪些技术服务手段处理问题）",
        "备注",
    ]
    entries = list(done.ledger_entries.order_by("entry_on", "created_at", "pk"))
    assert len(rows) == 4 + len(entries) == 7
    for row, entry in zip(rows[4:], entries, strict=True):
        assert row == [
            entry.entry_on.isoformat(),
            entry.enterprise_contact,
            entry.problem,
            entry.handling,
            entry.remarks,
        ]
    # The title rows and the column header repeat on every page; the entries do not.
    repeated = [row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows]
    assert repeated == [True] * 4 + [False] * 3
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)  # rows kept whole
    assert "共 3 条记录。" in paragraphs(doc)


def test_a_long_ledger_continues_over_pages(world, done):
    sp = world.people.specialist
    demand = workflow.register_demand(
        by=sp,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="李工",
        contact_phone="13900002222",
        description="长台账",
    )
    workflow.start_preparation(demand, by=sp)
    for n in range(45):
        workflow.add_ledger_entry(demand, by=sp, **ledger_entry(n, datetime.date(2026, 1, 1) + datetime.timedelta(n)))
    document = build(world, demand, "ledger")
    rows = cell_texts(docx_of(render_docx(document)).tables[0])
    assert len(rows) == 49
    assert [r[0] for r in rows[4:6]] == ["2026-01-01", "2026-01-02"]
    pdf = pdf_of(render_pdf(document))
    assert len(pdf.pages) >= 3
    for page in pdf.pages:  # the header row repeated at the top of every page
        text = flat(page.extract_text())
        assert "处理的问题" in text and "服务对象对接人员" in text and "厦门集美精密机械有限公司" in text
    last = flat(pdf.pages[-1].extract_text())
    assert "第44个问题" in last and "共45条记录" in last


def test_correction_entries_name_the_row_they_correct(world):
    demand, _invitation = ended_demand(world)
    first = demand.ledger_entries.get()
    workflow.add_ledger_entry(
        demand,
        by=world.people.specialist,
        corrects=first,
        entry_on=timezone.localdate(),
        enterprise_contact="张经理",
        problem="更正校准周期",
        handling="按新的设备清单重新给出校准方案",
    )
    rows = cell_texts(docx(world, demand, "ledger").tables[0])
    assert len(rows) == 6
    assert rows[-1][-1] == f"更正 {first.entry_on.isoformat()} 的记录"


def test_evaluation_form_ticks_exactly_the_ratings_given(world, done):
    doc = docx(world, done, "evaluation")
    assert paragraphs(doc)[:3] == ["附录C（资料性）", "厦门市质量基础设施服务专员满意度评价表", f"编号：{done.number}"]
    rows = cell_texts(doc.tables[0])
    items = ["遵纪守法", "服务态度", "服务能力", "服务时效", "服务结果"]
    assert [r[0] for r in rows] == ["服务对象", "服务事项", "联系人", *items, "其他建议", "备注"]
    expected = {
        "遵纪守法": "非常满意",
        "服务态度": "满意",
        "服务能力": "一般",
        "服务时效": "不满意",
        "服务结果": "非常满意",
    }
    for row in rows[3:8]:
        assert ticked(row[1]) == {expected[row[0]]}
        assert len(unticked(row[1])) == 3
    assert rows[8][1] == "希望继续提供标准化服务。"
    remarks = rows[9][1].split("\n")
    assert remarks[0] == "服务专员认真负责。"
    assert remarks[1] == "总分：34 分（满分 50 分）"
    assert remarks[2].startswith("评价分值说明：非常满意（10分）")
    assert any(p.startswith("评价人：张经理；评价方式：企业账号") for p in paragraphs(doc))


def test_blank_forms_have_empty_boxes_and_no_number(world):
    for form in ("registration", "evaluation"):
        doc = docx_of(render_docx(services.build_blank(form)))
        texts = paragraphs(doc)
        assert "编号：" in texts
        all_cells = "".join(c.text for row in doc.tables[0].rows for c in row.cells)
        assert content.TICKED not in all_cells
        assert content.UNTICKED in all_cells
    rows = cell_texts(docx_of(render_docx(services.build_blank("evaluation"))).tables[0])
    assert rows[0] == ["服务对象", ""]
    assert all(len(unticked(r[1])) == 4 for r in rows[3:8])


def test_summary_form(world, done):
    doc = docx(world, done, "summary")
    assert paragraphs(doc)[:2] == ["厦门市质量基础设施协同服务工作总结", f"编号：{done.number}"]
    rows = {r[0]: r[1:] for r in cell_texts(doc.tables[0])}
    assert rows["解决的问题"] == [SUMMARY["problems_solved"]]
    assert rows["解决问题的方法"] == [SUMMARY["methods"]]
    assert rows["取得的成效"] == [SUMMARY["results"]]
    assert rows["服务专员"] == ["王建华", "联系电话", world.sp_jimei.phone]


def test_typical_case_masks_the_enterprise_everywhere(world, done):
    doc = docx(world, done, "case")
    everything = "\n".join(paragraphs(doc) + [c.text for row in doc.tables[0].rows for c in row.cells])
    assert "厦门集美精密机械有限公司" not in everything
    assert "集美精密" not in everything
    rows = {r[0]: r[1:] for r in cell_texts(doc.tables[0])}
    assert rows["服务对象"][0] == "某精密机械企业"
    assert rows["案例标题"] == ["某精密机械企业建立测量管理体系"]
    assert rows["取得的成效"] == ["某精密机械企业的关键计量器具全部完成校准。"]
    assert rows["服务对象"][1:] == ["需求类别", "计量、标准化"]


def test_the_same_form_gives_the_same_bytes(world, done):
    document = build(world, done, "registration")
    assert render_docx(document) == render_docx(document)


ledger_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(["\n", "\t", "\r", " ", "　"]),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(entries=st.lists(st.tuples(ledger_text, ledger_text, ledger_text, ledger_text), min_size=1, max_size=6))
def test_copied_ledger_rows_are_the_rows_python_docx_builds(entries):
    """A long ledger's rows are copies of one template row with the texts put in: the XML
    must be exactly what building each row with python-docx gives (texts with line breaks,
    tabs, leading spaces, empty cells)."""
    header = [content.label(t) for t in ("日期", "服务对象对接人员", "处理的问题", "处理过程", "备注")]
    header[3].span = 2
    rows = [content.Row(header, 12, header=True)]
    rows += [
        content.Row(
            [
                content.value("2026-01-05"),
                content.value(contact),
                content.value(problem),
                content.value(handling, 2),
                content.value(remarks),
            ],
            12,
        )
        for contact, problem, handling, remarks in entries
    ]
    document = content.Document(
        form="ledger",
        appendix="附录B（资料性）",
        title="工作台账",
        number="QI-2026-000001",
        table=content.Table(content.LEDGER_GRID, rows, header_rows=1),
    )

    def body(data):
        return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")

    assert body(render_docx(document)) == body(render_docx(document, clone_rows=False))
