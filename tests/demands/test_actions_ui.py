"""The forms of the demand page: refusals, concurrent edits, assignment, the ledger's edit
window and corrections, plan and milestone forms."""

import datetime

import pytest
from django.utils import timezone

from qiservice.core.models import AuditLog
from qiservice.demands import workflow
from qiservice.demands.choices import DemandStatus as S
from qiservice.demands.models import Assignment, Demand, LedgerEntry, Note
from qiservice.specialists.choices import SpecialistStatus
from tests.conftest import make_specialist

from ._ui import act, flashed, milestone_rows, offered, page, post, status, version
from .conftest import agreement_data, ledger_data, plan_data, preparation_data


def in_service(world, demand):
    sp = world.people.specialist
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接服务")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    workflow.start_service(demand, by=sp)
    return demand


def snapshot(demand):
    row = Demand.objects.get(pk=demand.pk)
    return (row.status, row.version, Note.objects.filter(demand=demand).count())


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "action", "data", "message"),
    [
        ("officer_jimei", "start_preparation", {}, "您无权对该需求执行“开始服务准备”。"),
        ("specialist", "dispatch", {"institutions": ["1"]}, "需求当前状态为“已登记”，不能执行“派单给技术机构”。"),
        ("specialist", "cancel", {"reason": "不需要了"}, "您无权对该需求执行“取消需求”。"),
        ("officer_jimei", "close", {}, "需求当前状态为“已登记”，不能执行“办结”。"),
    ],
)
def test_a_forbidden_action_posted_by_url_is_refused_in_chinese_and_changes_nothing(
    world, login, register, who, action, data, message
):
    demand = register()
    before = snapshot(demand)
    client = login(getattr(world.people, who))
    response = act(client, demand, action, data)
    assert response.status_code == 302 and response["Location"] == f"/demands/{demand.pk}/"
    assert message in flashed(response)
    assert snapshot(demand) == before
    assert message in client.get(response["Location"]).content.decode(), "the page shows why"


def test_the_form_of_a_forbidden_action_is_not_shown(world, login, register):
    demand = register()
    response = login(world.people.officer_jimei).get(f"/demands/{demand.pk}/act/confirm/")
    assert response.status_code == 302
    assert "需求当前状态为“已登记”，不能执行“确认需求”。" in flashed(response)


@pytest.mark.parametrize("action", ["withdraw", "start_preparation", "close", "cancel"])
def test_the_enterprise_user_is_sent_to_the_portal_from_every_staff_form_and_nothing_changes(
    world, login, register, action
):
    """Enterprise users act on their demands in the portal (withdrawing included): a staff
    form, shown or posted, sends them to the portal's page of the demand."""
    demand = register()
    before = snapshot(demand)
    client = login(world.people.enterprise_user)
    portal = f"/portal/demands/{demand.pk}/"
    assert client.get(f"/demands/{demand.pk}/act/{action}/")["Location"] == portal
    response = act(client, demand, action, {"reason": "企业已自行解决"})
    assert response.status_code == 302 and response["Location"] == portal
    for suffix in ("notes/add/", "plan/informed/", "attachments/upload/", "enterprise/verify/"):
        response = post(client, demand, suffix, {"kind": "progress", "text": "企业留言"})
        assert response.status_code == 302 and response["Location"] == portal, suffix
    assert snapshot(demand) == before


def test_an_unknown_action_is_404_and_out_of_scope_users_get_404_for_every_form(world, login, register):
    demand = register()
    specialist = login(world.people.specialist)
    assert specialist.get(f"/demands/{demand.pk}/act/evaluate/").status_code == 404
    outsider = login(world.people.specialist_siming)
    for suffix in ("act/withdraw/", "assign/", "notes/add/", "ledger/add/", "attachments/upload/"):
        assert outsider.post(f"/demands/{demand.pk}/{suffix}", {"reason": "x"}).status_code == 404
    assert status(demand) == S.REGISTERED


def test_a_requirement_missing_is_shown_as_a_hint_and_refused_when_posted(world, login, register):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    client = login(sp)
    html = page(client, demand)
    assert 'data-action="confirm" data-missing="1"' in html
    assert "请先填写服务准备记录（计划安排、初步服务内容、风险信息）。" in html
    response = act(client, demand, "confirm", {"mode": "direct", "reason": "明确"})
    assert "请先填写服务准备记录（计划安排、初步服务内容、风险信息）。" in flashed(response)
    assert status(demand) == S.PREPARING


def test_bad_input_is_shown_next_to_the_field_and_nothing_changes(world, login, register):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    client = login(sp)
    response = act(client, demand, "confirm", {"mode": "direct", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "这个字段是必填项。" in html and "提交未保存" in html
    assert status(demand) == S.PREPARING
    workflow.confirm(demand, by=sp, mode="direct", reason="直接")
    data = {**agreement_data(), "period_end": datetime.date(2020, 1, 1)}
    response = act(client, demand, "sign_agreement", data)
    assert "服务周期的结束日期不能早于开始日期。" in response.content.decode()
    assert status(demand) == S.CONFIRMED


def test_a_plan_needs_at_least_one_milestone_with_its_date(world, login, register):
    sp = world.people.specialist
    demand = register()
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="direct", reason="直接")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    client = login(sp)
    empty = act(client, demand, "make_plan", {"objectives": "目标", **milestone_rows()})
    assert "请至少填写一个方案步骤" in empty.content.decode()
    undated = act(client, demand, "make_plan", {"objectives": "目标", **milestone_rows(("摸底", None))})
    assert "请填写计划完成日期。" in undated.content.decode()
    assert status(demand) == S.AGREEMENT_SIGNED and not demand.plans.exists()

    # More rows than the blank ones: the form comes back with what was typed and three more.
    six = [(f"步骤{i}", datetime.date(2026, 12, i)) for i in range(1, 5)]
    more = act(client, demand, "make_plan", {"objectives": "目标", "more_rows": "1", **milestone_rows(*six)})
    html = more.content.decode()
    assert html.count('data-testid="formset-row"') == 7 and "步骤4" in html and "目标" in html
    assert not demand.plans.exists()
    rows = [*six, ("步骤5", datetime.date(2026, 12, 5)), ("步骤6", datetime.date(2026, 12, 6))]
    response = act(client, demand, "make_plan", {"objectives": "目标", **milestone_rows(*rows)})
    assert response.status_code == 302
    assert demand.plans.get().milestones.count() == 6


# --- two people at once -------------------------------------------------------------------------


def test_a_stale_form_is_refused_and_shown_again_with_what_was_typed(world, login, register):
    sp, officer = login(world.people.specialist), login(world.people.officer_jimei)
    demand = in_service(world, register())
    loaded = version(demand)
    # Meanwhile the agency writes an instruction: the demand's version moves on.
    post(officer, demand, "notes/add/", {"kind": "instruction", "text": "请本周内完成"})
    typed = "三坐标测量机校准周期未建立——这是我刚才在现场记下的长段文字"
    response = sp.post(
        f"/demands/{demand.pk}/ledger/add/",
        {**ledger_data(), "entry_on": timezone.localdate().isoformat(), "problem": typed, "version": loaded},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "该需求已被他人更新" in html and 'data-testid="stale"' in html
    assert typed in html, "nothing the user typed is lost"
    assert f'name="version" value="{version(demand)}"' in html, "the form now carries the current version"
    assert not LedgerEntry.objects.filter(demand=demand).exists()
    # Having looked, the user sends it again: it is saved.
    response = sp.post(
        f"/demands/{demand.pk}/ledger/add/",
        {**ledger_data(), "entry_on": timezone.localdate().isoformat(), "problem": typed, "version": version(demand)},
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(demand=demand).problem == typed


def test_a_stale_transition_is_refused_and_the_winner_stands(world, login, register):
    sp, ent = login(world.people.specialist), login(world.people.enterprise_user)
    demand = register()
    loaded = version(demand)
    # The enterprise withdraws in the portal meanwhile.
    response = ent.post(f"/portal/demands/{demand.pk}/withdraw/", {"reason": "企业已自行解决", "version": loaded})
    assert response.status_code == 302
    response = sp.post(f"/demands/{demand.pk}/act/start_preparation/", {"version": loaded})
    html = response.content.decode()
    assert response.status_code == 200 and "该需求已被他人更新" in html
    assert "需求当前状态为“已撤回”，不能执行“开始服务准备”。" in html, "and why it cannot be retried"
    assert status(demand) == S.WITHDRAWN


# --- assignment ---------------------------------------------------------------------------------


def officer_demand(world):
    return workflow.register_demand(
        by=world.people.officer_jimei,
        enterprise=world.ent_jimei,
        categories=["metrology"],
        source="phone",
        contact_name="张经理",
        contact_phone="13800001111",
        description="压力表需要检定",
    )


def test_the_agency_assigns_from_active_specialists_in_its_scope_with_their_load(world, login):
    make_specialist("sp_suspended", world.jimei, name="停用专员", status=SpecialistStatus.SUSPENDED)
    demand = officer_demand(world)
    officer = login(world.people.officer_jimei)
    form = officer.get(f"/demands/{demand.pk}/assign/").content.decode()
    assert "王建华（集美区）· 在办 0 / 上限 5" in form
    assert "停用专员" not in form, "only active specialists"
    assert "陈丽" not in form, "the 思明 specialist is outside the 集美 officer's scope"
    response = post(officer, demand, "assign/", {"specialist": world.sp_jimei.pk, "note": "请尽快联系企业"})
    assert "已指派给 王建华，等待其确认。" in flashed(response)
    assert Assignment.objects.get(demand=demand).note == "请尽快联系企业"


def test_assignment_refuses_a_specialist_at_capacity(world, login, register):
    world.sp_jimei.capacity = 1
    world.sp_jimei.save()
    register()  # 王建华 already serves one demand
    demand = officer_demand(world)
    response = post(login(world.people.officer_jimei), demand, "assign/", {"specialist": world.sp_jimei.pk})
    assert "王建华 在办需求已达上限（1 件），请选择其他服务专员。" in response.content.decode()
    assert not Assignment.objects.filter(demand=demand).exists()


def test_the_specialist_accepts_or_declines_an_assignment_with_a_reason(world, login):
    officer, sp = login(world.people.officer_jimei), login(world.people.specialist)
    demand = officer_demand(world)
    post(officer, demand, "assign/", {"specialist": world.sp_jimei.pk})
    assert offered(sp, demand) == {"accept_assignment", "decline_assignment"}
    response = post(sp, demand, "assignment/", {"decision": "decline", "reason": ""})
    assert "拒绝指派请填写理由。" in response.content.decode()
    response = post(sp, demand, "assignment/", {"decision": "decline", "reason": "本月已满负荷"})
    assert "已拒绝指派，管理机构将重新指派。" in flashed(response)
    assert Assignment.objects.get(demand=demand).status == "declined"
    assert "本月已满负荷" in page(officer, demand), "declines are visible to the agency"
    assert sp.get(f"/demands/{demand.pk}/").status_code == 404

    post(officer, demand, "assign/", {"specialist": world.sp_jimei.pk})
    response = post(sp, demand, "assignment/", {"decision": "accept"})
    assert "已接受指派，请开始服务准备。" in flashed(response)
    assert offered(sp, demand) == {"start_preparation", "withdraw"}


def test_instructions_and_progress_notes_stay_with_those_serving_the_demand(world, login, register):
    officer, sp, ent = (
        login(world.people.officer_jimei),
        login(world.people.specialist),
        login(world.people.enterprise_user),
    )
    demand = in_service(world, register())
    post(officer, demand, "notes/add/", {"kind": "instruction", "text": "内部：注意保密"})
    post(sp, demand, "notes/add/", {"kind": "progress", "text": "完成现场核查"})
    response = post(sp, demand, "notes/add/", {"kind": "instruction", "text": "专员不能下达指示"})
    assert "类型：选择一个有效的选项" in response.content.decode(), "a specialist has no instruction to give"
    assert not Note.objects.filter(text="专员不能下达指示").exists()
    assert "内部：注意保密" in page(sp, demand) and "完成现场核查" in page(officer, demand)
    # The enterprise follows the demand in the portal, which shows neither (its own view is
    # an allow-list: status, agreement, plan, files, messages).
    enterprise_page = ent.get(f"/portal/demands/{demand.pk}/", follow=True).content.decode()
    assert demand.number in enterprise_page
    assert "完成现场核查" not in enterprise_page and "内部：注意保密" not in enterprise_page
    assert ent.get(f"/demands/{demand.pk}/")["Location"] == f"/portal/demands/{demand.pk}/"
    auditor = login(world.people.auditor)
    response = post(auditor, demand, "notes/add/", {"kind": "progress", "text": "审计留言"})
    assert response.status_code == 403 and not Note.objects.filter(text="审计留言").exists()


# --- the ledger's edit window and corrections ----------------------------------------------------


def test_a_ledger_entry_is_edited_by_its_author_within_the_window_then_corrected(world, login, register, settings):
    sp = login(world.people.specialist)
    demand = in_service(world, register())
    post(sp, demand, "ledger/add/", {**ledger_data(), "entry_on": timezone.localdate().isoformat()})
    entry = LedgerEntry.objects.get(demand=demand)
    html = page(sp, demand)
    assert f"/demands/{demand.pk}/ledger/{entry.pk}/" in html and "?corrects=" not in html

    edit = {**ledger_data(), "entry_on": timezone.localdate().isoformat(), "handling": "改为按JJF 1069处理"}
    assert "台账记录已修改。" in flashed(post(sp, demand, f"ledger/{entry.pk}/", edit))
    entry.refresh_from_db()
    assert entry.handling == "改为按JJF 1069处理"

    # Someone else may not edit it, even while it is editable.
    officer = login(world.people.officer_jimei)
    assert "只有记录人可以修改该台账记录。" in flashed(officer.get(f"/demands/{demand.pk}/ledger/{entry.pk}/"))

    LedgerEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=settings.LEDGER_EDIT_HOURS + 1)
    )
    html = page(sp, demand)
    assert f"/demands/{demand.pk}/ledger/{entry.pk}/" not in html
    assert f"?corrects={entry.pk}" in html and ">更正</a>" in html
    response = post(sp, demand, f"ledger/{entry.pk}/", edit)
    assert "该台账记录已超过48小时的修改期限，请添加更正记录。" in flashed(response)

    form = sp.get(f"/demands/{demand.pk}/ledger/add/?corrects={entry.pk}").content.decode()
    assert "更正工作台账" in form and "被更正的记录（保留不变）" in form
    correction = {
        **ledger_data(),
        "entry_on": timezone.localdate().isoformat(),
        "handling": "更正：实际采用JJF 1064",
        "corrects": entry.pk,
    }
    assert "更正记录已保存，原记录保留。" in flashed(post(sp, demand, "ledger/add/", correction))
    fixed = LedgerEntry.objects.get(demand=demand, corrects=entry)
    assert fixed.handling == "更正：实际采用JJF 1064"
    entry.refresh_from_db()
    assert entry.handling == "改为按JJF 1069处理", "the original is kept"
    assert "工作台账（更正" in page(sp, demand)


def test_a_correction_of_another_demands_entry_is_404(world, login, register):
    sp = login(world.people.specialist)
    one, other = in_service(world, register()), in_service(world, register())
    entry = workflow.add_ledger_entry(other, by=world.people.specialist, **ledger_data())
    response = post(sp, one, "ledger/add/", {**ledger_data(), "corrects": entry.pk})
    assert response.status_code == 404


# --- plan progress -------------------------------------------------------------------------------


def test_milestone_progress_is_drawn_without_inline_styles(world, login, register):
    sp = login(world.people.specialist)
    demand = in_service(world, register())
    first, second = demand.plans.get().milestones.all()
    post(sp, demand, f"milestones/{first.pk}/", {"progress": "40"})
    post(sp, demand, f"milestones/{second.pk}/", {"progress": "100"})
    html = page(sp, demand)
    assert 'aria-valuenow="40"' in html and "progress-bar w-50" in html
    assert "progress-bar w-100 bg-success" in html
    assert 'data-testid="plan-progress">70%<' in html
    assert "style=" not in html
    second.refresh_from_db()
    assert second.done_on == timezone.localdate()
    officer = login(world.people.officer_jimei)
    assert "更新进度" not in page(officer, demand)
    response = post(officer, demand, f"milestones/{first.pk}/", {"progress": "100"})
    assert "只有承办的服务专员或技术机构可以更新方案进度。" in flashed(response)
    first.refresh_from_db()
    assert first.progress == 40


def test_viewing_the_demand_page_is_audited(world, login, register):
    demand = register()
    login(world.people.officer_jimei).get(f"/demands/{demand.pk}/")
    assert AuditLog.objects.filter(event_type="viewed", target_id=str(demand.pk), actor=world.people.officer_jimei)
