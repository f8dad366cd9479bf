"""Demands driven through the rules to the end of service, ready to be evaluated."""

from qiservice.demands import workflow
from tests.demands.conftest import agreement_data, ledger_data, plan_data, preparation_data

DEMAND = {
    "categories": ["metrology", "standardization"],
    "source": "onsite",
    "contact_name": "张经理",
    "contact_phone": "13800001111",
    "description": "企业新购三坐标测量机，需要建立测量管理体系并开展计量器具校准。",
}


def ended_demand(world, *, mode="direct", enterprise=None):
    """A demand of 集美 served by 王建华 (assisted: with 厦门市计量检定测试院) whose service
    has ended; returns (demand, invitation)."""
    sp = world.people.specialist
    demand = workflow.register_demand(by=sp, enterprise=enterprise or world.ent_jimei, **DEMAND)
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode=mode, reason="企业需求明确")
    worker = sp
    if mode == "assisted":
        worker = world.people.institution_staff
        workflow.escalate(demand, by=sp, reason="需要检定资质", needs="三坐标测量机校准")
        workflow.dispatch(demand, by=world.people.officer_jimei, institutions=[world.metrology])
        workflow.accept_dispatch(demand, by=worker)
    workflow.sign_agreement(demand, by=worker, **agreement_data())
    workflow.make_plan(demand, by=worker, **plan_data())
    if mode == "assisted":
        workflow.mark_informed(demand, by=sp)
    workflow.add_ledger_entry(demand, by=worker, **ledger_data())
    workflow.start_service(demand, by=worker)
    invitation = workflow.end_service(demand, by=worker)
    demand.refresh_from_db()
    return demand, invitation
