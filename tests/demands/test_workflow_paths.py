"""The four paths of the issue, each step taken by the real role through the rules."""

import pytest

from qiservice.demands import workflow
from qiservice.demands.choices import DemandStatus as S
from qiservice.demands.choices import DispatchStatus
from qiservice.demands.models import StatusChange
from qiservice.evaluations.models import EvaluationInvitation

from .conftest import RATINGS, agreement_data, ledger_data, plan_data, preparation_data


def statuses(demand):
    return [c.to_status for c in StatusChange.objects.filter(demand=demand).order_by("pk")]


def prepare_and_confirm(world, demand, mode):
    sp = world.people.specialist
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.verify_enterprise(demand, by=sp, size="medium", main_products="精密零部件")
    return workflow.confirm(demand, by=sp, mode=mode, reason="企业需求明确")


def serve_to_the_end(world, demand, worker):
    sp = world.people.specialist
    workflow.add_ledger_entry(demand, by=worker, **ledger_data())
    workflow.start_service(demand, by=worker)
    invitation = workflow.end_service(demand, by=worker)
    workflow.submit_summary(demand, by=sp, problems_solved="校准周期", methods="现场核查", results="通过内审")
    evaluation = workflow.record_evaluation(demand, ratings=RATINGS, channel="link", invitation=invitation)
    workflow.close(demand, by=sp)
    return evaluation


def test_the_full_direct_path(world, register):
    sp = world.people.specialist
    demand = register()
    assert demand.number.startswith("QI-") and demand.specialist == world.sp_jimei
    prepare_and_confirm(world, demand, "direct")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    evaluation = serve_to_the_end(world, demand, sp)
    demand.refresh_from_db()
    assert demand.status == S.CLOSED
    assert evaluation.total == 46 and evaluation.specialist == world.sp_jimei
    assert statuses(demand) == [
        S.REGISTERED, S.PREPARING, S.CONFIRMED, S.AGREEMENT_SIGNED, S.PLAN_MADE,
        S.IN_SERVICE, S.SERVICE_ENDED, S.SUMMARY_SUBMITTED, S.EVALUATED, S.CLOSED,
    ]  # fmt: skip
    world.ent_jimei.refresh_from_db()
    assert world.ent_jimei.profile_verified_by == sp


def test_the_full_assisted_path(world, register):
    sp, inst, officer = world.people.specialist, world.people.institution_staff, world.people.officer_jimei
    demand = register()
    prepare_and_confirm(world, demand, "assisted")
    workflow.escalate(demand, by=sp, reason="需要检定资质", needs="三坐标测量机校准")
    workflow.dispatch(demand, by=officer, institutions=[world.metrology])
    workflow.accept_dispatch(demand, by=inst)
    agreement = workflow.sign_agreement(demand, by=inst, **agreement_data())
    assert world.metrology.name in agreement.parties and agreement.institution == world.metrology
    workflow.make_plan(demand, by=inst, **plan_data())
    with pytest.raises(workflow.WorkflowError, match="告知服务对象"):
        workflow.start_service(demand, by=inst)
    workflow.mark_informed(demand, by=sp)
    workflow.add_note(demand, by=inst, kind="progress", text="已完成首轮校准")
    serve_to_the_end(world, demand, inst)
    demand.refresh_from_db()
    assert demand.status == S.CLOSED
    assert S.DISPATCHED in statuses(demand) and S.ACCEPTED in statuses(demand)


def test_a_direct_service_switches_to_assisted_and_keeps_its_records(world, register):
    sp = world.people.specialist
    demand = register()
    prepare_and_confirm(world, demand, "direct")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    workflow.start_service(demand, by=sp)
    workflow.add_ledger_entry(demand, by=sp, **ledger_data())
    escalation = workflow.escalate(demand, by=sp, reason="需要检测资质", needs="出具检测报告")
    demand.refresh_from_db()
    assert escalation.switched_from_direct
    assert (demand.status, demand.service_mode) == (S.ESCALATED, "assisted")
    assert demand.agreements.count() == 1 and demand.plans.count() == 1 and demand.ledger_entries.count() == 1
    assert hasattr(demand, "preparation")
    workflow.dispatch(demand, by=world.people.admin, institutions=[world.metrology])
    workflow.accept_dispatch(demand, by=world.people.institution_staff)
    workflow.sign_agreement(demand, by=world.people.institution_staff, **agreement_data())
    assert demand.agreements.count() == 2, "the tripartite agreement is added, the first kept"


def test_decline_and_redispatch(world, register):
    from qiservice.accounts.choices import Role
    from tests.conftest import make_user

    testing_staff = make_user("testing_staff", Role.INSTITUTION_STAFF, institution=world.testing)
    sp, officer = world.people.specialist, world.people.officer_jimei
    demand = register()
    prepare_and_confirm(world, demand, "assisted")
    workflow.escalate(demand, by=sp, reason="需要协助", needs="检测")
    workflow.dispatch(demand, by=officer, institutions=[world.testing])
    with pytest.raises(workflow.WorkflowError, match="理由"):
        workflow.decline_dispatch(demand, by=testing_staff, reason=" ")
    workflow.decline_dispatch(demand, by=testing_staff, reason="检测能力不覆盖该项目")
    demand.refresh_from_db()
    assert demand.status == S.ESCALATED
    with pytest.raises(workflow.WorkflowError, match="已派给过"):
        workflow.dispatch(demand, by=officer, institutions=[world.testing])
    workflow.dispatch(demand, by=officer, institutions=[world.metrology])
    workflow.accept_dispatch(demand, by=world.people.institution_staff)
    demand.refresh_from_db()
    assert demand.status == S.ACCEPTED
    dispatches = {d.institution_id: d for d in demand.escalations.get().dispatches.all()}
    assert dispatches[world.testing.pk].status == DispatchStatus.DECLINED
    assert dispatches[world.testing.pk].reason == "检测能力不覆盖该项目"
    assert dispatches[world.metrology.pk].status == DispatchStatus.ACCEPTED


def test_evaluation_links_are_single_use_and_expire(world, register):
    from django.utils import timezone

    sp = world.people.specialist
    demand = register()
    prepare_and_confirm(world, demand, "direct")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    workflow.start_service(demand, by=sp)
    workflow.add_ledger_entry(demand, by=sp, **ledger_data())
    invitation = workflow.end_service(demand, by=sp)
    assert EvaluationInvitation.from_token(invitation.token) == invitation
    assert EvaluationInvitation.from_token(invitation.token + "x") is None

    EvaluationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(workflow.WorkflowError, match="已过期"):
        workflow.record_evaluation(demand, ratings=RATINGS, channel="link", invitation=invitation)
    fresh = workflow.reissue_invitation(demand, by=sp)
    workflow.record_evaluation(demand, ratings=RATINGS, channel="link", invitation=fresh)
    with pytest.raises(workflow.WorkflowError, match="已评价"):
        workflow.record_evaluation(demand, ratings=RATINGS, channel="link", invitation=fresh)
    demand.refresh_from_db()
    assert demand.status == S.SERVICE_ENDED, "the summary is still due"
    workflow.submit_summary(demand, by=sp, problems_solved="a", methods="b", results="c")
    demand.refresh_from_db()
    assert demand.status == S.EVALUATED


def test_numbers_are_sequential_without_gaps(world, register):
    numbers = [register().number for _ in range(5)]
    year = numbers[0].split("-")[1]
    assert numbers == [f"QI-{year}-{n:06d}" for n in range(1, 6)]
