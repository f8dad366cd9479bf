"""Demands of the portal tests: submitted online by 厦门集美精密机械有限公司's user, then
driven through the rules by those serving it."""

from django.core.files.uploadedfile import SimpleUploadedFile

from qiservice.demands import workflow
from qiservice.demands.choices import AttachmentStage, NoteKind
from qiservice.portal import workflow as portal
from tests.demands._ui import PDF
from tests.demands.conftest import agreement_data, ledger_data, plan_data, preparation_data

FORM = {
    "categories": ["metrology", "inspection_testing"],
    "description": "新购三坐标测量机需要校准，并希望对出厂产品开展尺寸检测。",
    "contact_name": "林经理",
    "contact_phone": "13912345678",
    "contact_email": "lin@jmjx.example.cn",
    "address": "厦门市集美区杏林湾路88号",
}

# Texts that must never reach the enterprise.
INSTRUCTION = "内部指示：优先安排，注意该企业曾有投诉记录"
PROGRESS = "内部进展：已与检测院沟通排期"
LEDGER_PROBLEM = "台账问题：企业量具管理混乱"
SECRET_FILE = "检测院内部报价单.pdf"
DECLINE_REASON = "本月检定排期已满"


def submit(world, user=None, enterprise=None, **overrides):
    data = dict(FORM, **overrides)
    user = user or world.people.enterprise_user
    return portal.submit_demand(by=user, enterprise=enterprise or world.ent_jimei, **data)


def pdf(name="资料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def to_plan(world, demand, *, with_secrets=True):
    """An assisted service up to its plan: 王建华 serves, 厦门市产品质量监督检验院 declines,
    厦门市计量检定测试院 accepts; internal notes, a ledger row and a trade-secret file of the
    institution on the way."""
    people = world.people
    sp, inst, officer = people.specialist, people.institution_staff, people.admin
    workflow.assign(demand, world.sp_jimei, by=officer)
    workflow.respond_to_assignment(demand, by=sp, accept=True)
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要检定资质")
    workflow.escalate(demand, by=sp, reason="需要检定资质", needs="三坐标测量机校准")
    if with_secrets:
        from tests.conftest import make_user

        testing_staff = make_user("testing_staff", "institution_staff", institution=world.testing)
        workflow.dispatch(demand, by=officer, institutions=[world.testing])
        workflow.decline_dispatch(demand, by=testing_staff, reason=DECLINE_REASON)
    workflow.dispatch(demand, by=officer, institutions=[world.metrology])
    workflow.accept_dispatch(demand, by=inst)
    workflow.sign_agreement(demand, by=inst, **agreement_data())
    workflow.make_plan(demand, by=inst, **plan_data())
    if with_secrets:
        workflow.add_note(demand, by=officer, kind=NoteKind.INSTRUCTION, text=INSTRUCTION)
        workflow.add_note(demand, by=inst, kind=NoteKind.PROGRESS, text=PROGRESS)
        workflow.add_ledger_entry(demand, by=inst, **dict(ledger_data(), problem=LEDGER_PROBLEM))
        workflow.add_attachment(demand, pdf(SECRET_FILE), by=inst, stage=AttachmentStage.SERVICE, is_trade_secret=True)
    demand.refresh_from_db()
    return demand


def to_end(world, demand):
    """From the plan (acknowledged by the enterprise) to the end of service."""
    inst = world.people.institution_staff
    workflow.add_ledger_entry(demand, by=inst, **ledger_data())
    workflow.start_service(demand, by=inst)
    invitation = workflow.end_service(demand, by=inst)
    demand.refresh_from_db()
    return invitation
