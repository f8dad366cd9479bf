"""A demand of 集美 carried through the rules to the end: ledger, summary, evaluation and an
approved typical case, so every form of it exists."""

import datetime
import io

from docx import Document as open_docx
from pypdf import PdfReader

from qiservice.demands import workflow
from qiservice.evaluations.choices import EvaluationChannel
from tests.evaluations.helpers import ended_demand

RATINGS = {"conduct": 10, "attitude": 8, "competence": 6, "timeliness": 0, "result": 10}

SUMMARY = {
    "problems_solved": "厦门集美精密机械有限公司的三坐标测量机未建立校准周期。",
    "methods": "按JJF 1064开展现场核查，建立测量管理体系。",
    "results": "集美精密机械的关键计量器具全部完成校准。",
}


def ledger_entry(n, day=None):
    return {
        "entry_on": day or datetime.date(2026, 11, 25),
        "enterprise_contact": f"对接人{n}",
        "problem": f"第{n}个问题：计量器具台账不全",
        "handling": f"第{n}次处理：现场核查设备清单并给出校准方案",
        "remarks": f"备注{n}" if n % 2 else "",
    }


def full_demand(world, *, extra_ledger=2, evaluate=True, case=True):
    """The ended direct demand, with `extra_ledger` more ledger rows (it has one), the work
    summary, the enterprise's evaluation and an approved, published typical case."""
    sp = world.people.specialist
    demand, _invitation = ended_demand(world)
    for n in range(extra_ledger):
        workflow.add_ledger_entry(demand, by=sp, **ledger_entry(n + 2))
    # Ledger rows may be added until the summary; the ended demand still accepts them.
    workflow.submit_summary(demand, by=sp, **SUMMARY)
    if evaluate:
        workflow.record_evaluation(
            demand,
            ratings=RATINGS,
            channel=EvaluationChannel.PORTAL,
            by=world.people.enterprise_user,
            suggestions="希望继续提供标准化服务。",
            remarks="服务专员认真负责。",
            evaluator_name="张经理",
        )
    if case:
        nominated = workflow.nominate_case(
            demand,
            by=sp,
            title="集美精密机械建立测量管理体系",
            highlights="厦门集美精密机械有限公司三个月建成测量管理体系。",
            masked_enterprise="某精密机械企业",
        )
        workflow.review_case(nominated, by=world.people.admin, approve=True, publish=True)
    demand.refresh_from_db()
    return demand


def docx_of(data):
    return open_docx(io.BytesIO(data))


def cell_texts(table):
    """Each row's distinct cell texts (a merged cell is listed once)."""
    rows = []
    for row in table.rows:
        seen, texts = set(), []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            texts.append(cell.text)
        rows.append(texts)
    return rows


def pdf_of(data):
    return PdfReader(io.BytesIO(data))


def pdf_text(data):
    return "\n".join(page.extract_text() for page in pdf_of(data).pages)


def flat(text):
    """Text without any whitespace: a PDF's extracted text breaks lines inside cells."""
    return "".join(text.split())
