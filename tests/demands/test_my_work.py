"""The "my work" page (/demands/my-work/) and the home page's demand panel: what waits for
each role, grouped by stage, oldest first, in a bounded number of queries."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qiservice.demands import workflow

from .conftest import RATINGS, agreement_data, ledger_data, plan_data, preparation_data

URL = "/demands/my-work/"


def section(page, key):
    """The HTML of one section of the page ('' when it is not shown)."""
    match = re.search(rf'data-testid="section-{key}">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def rows(page, key):
    return re.findall(r'data-testid="row-(QI-\d{4}-\d{6})"', section(page, key))


def prepared(world, demand, mode):
    sp = world.people.specialist
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    return workflow.confirm(demand, by=sp, mode=mode, reason="企业需求明确")


def escalated(world, demand):
    prepared(world, demand, "assisted")
    return workflow.escalate(demand, by=world.people.specialist, reason="需要检定资质", needs="三坐标校准")


def served(world, demand):
    """A direct service taken to its end (service_ended)."""
    sp = world.people.specialist
    prepared(world, demand, "direct")
    workflow.sign_agreement(demand, by=sp, **agreement_data())
    workflow.make_plan(demand, by=sp, **plan_data())
    workflow.start_service(demand, by=sp)
    workflow.add_ledger_entry(demand, by=sp, **ledger_data())
    return workflow.end_service(demand, by=sp)


def test_a_specialist_sees_assignments_to_answer_and_open_demands_by_status(world, login, register):
    officer = world.people.officer_jimei
    assigned = register(by=officer)
    workflow.assign(assigned, world.sp_jimei, by=officer)
    fresh = register()
    preparing = register()
    workflow.start_preparation(preparing, by=world.people.specialist)
    page = login(world.people.specialist).get(URL).content.decode()

    assert rows(page, "assignments") == [assigned.number]
    assert "接受或拒绝" in section(page, "assignments")
    assert rows(page, "mine_registered") == [fresh.number]
    assert 'data-testid="action-start_preparation"' in section(page, "mine_registered")
    assert rows(page, "mine_preparing") == [preparing.number]
    preparing_html = section(page, "mine_preparing")
    assert 'data-testid="action-confirm"' in preparing_html
    assert "请先填写服务准备记录" in preparing_html, "what is missing for the next step is named"
    assert (
        page.index("section-assignments") < page.index("section-mine_registered") < page.index("section-mine_preparing")
    ), "grouped by stage in the workflow's order"
    assert page.count("我承办的需求（按所处阶段）") == 1


def test_a_declined_assignment_goes_back_to_the_agency(world, login, register):
    officer = world.people.officer_jimei
    demand = register(by=officer)
    workflow.assign(demand, world.sp_jimei, by=officer)
    agency = login(officer)
    assert rows(agency.get(URL).content.decode(), "to_assign") == []
    workflow.respond_to_assignment(demand, by=world.people.specialist, accept=False, reason="本月已满负荷")
    page = agency.get(URL).content.decode()
    assert rows(page, "to_assign") == [demand.number]
    assert f'href="/specialists/match/{demand.pk}/"' in section(page, "to_assign")
    assert rows(login(world.people.specialist).get(URL).content.decode(), "assignments") == []


def test_rows_are_oldest_first(world, login, register):
    officer = world.people.officer_jimei
    made = []
    for day in (20, 5, 12):
        with time_machine.travel(datetime.datetime(2026, 3, day, 9, tzinfo=datetime.UTC)):
            made.append(register(by=officer))
    page = login(officer).get(URL).content.decode()
    assert rows(page, "to_assign") == [made[1].number, made[2].number, made[0].number]


def test_the_agency_sees_each_stage_that_waits_for_it(world, login, register):
    officer, sp = world.people.officer_jimei, world.people.specialist
    unassigned = register(by=officer)
    to_dispatch = register()
    escalated(world, to_dispatch)
    dispatched = register()
    escalated(world, dispatched)
    workflow.dispatch(dispatched, by=officer, institutions=[world.metrology])
    to_close = register()
    invitation = served(world, to_close)
    workflow.submit_summary(to_close, by=sp, problems_solved="校准周期", methods="现场核查", results="通过内审")
    evaluated = register()
    invitation = served(world, evaluated)
    workflow.submit_summary(evaluated, by=sp, problems_solved="问题", methods="方法", results="成效")
    workflow.record_evaluation(evaluated, ratings=RATINGS, channel="link", invitation=invitation)
    workflow.nominate_case(to_close, by=sp, title="计量体系建设", highlights="成效显著", masked_enterprise="某机械企业")

    page = login(officer).get(URL).content.decode()
    assert rows(page, "to_assign") == [unassigned.number]
    assert rows(page, "to_dispatch") == [to_dispatch.number]
    assert f'href="/specialists/match/{to_dispatch.pk}/institutions/"' in section(page, "to_dispatch")
    assert rows(page, "dispatched") == [dispatched.number]
    assert "等待技术机构接单" in section(page, "dispatched")
    assert rows(page, "to_close") == [to_close.number, evaluated.number]
    assert 'data-testid="action-close"' in section(page, "to_close")
    assert "section-cases" not in page, "typical cases are reviewed by the agency admin"

    admin_page = login(world.people.admin).get(URL).content.decode()
    assert rows(admin_page, "cases") == [to_close.number]
    assert "计量体系建设" in section(admin_page, "cases")
    case = to_close.typical_case
    assert f'href="/demands/cases/{case.pk}/"' in section(admin_page, "cases")


def test_an_officer_sees_only_the_work_of_their_district(world, login, register):
    jimei = register(by=world.people.officer_jimei)
    siming = register(by=world.people.officer_siming, enterprise=world.ent_siming)
    page = login(world.people.officer_siming).get(URL).content.decode()
    assert rows(page, "to_assign") == [siming.number]
    assert jimei.number not in page


def test_an_institution_sees_dispatches_to_answer_then_its_accepted_services(world, login, register):
    demand = register()
    escalated(world, demand)
    workflow.dispatch(demand, by=world.people.officer_jimei, institutions=[world.metrology, world.testing])
    client = login(world.people.institution_staff)
    page = client.get(URL).content.decode()
    assert rows(page, "dispatches") == [demand.number]
    assert "三坐标校准" in section(page, "dispatches"), "what the specialist needs is shown"
    assert "接单或拒绝" in section(page, "dispatches")

    workflow.accept_dispatch(demand, by=world.people.institution_staff)
    page = client.get(URL).content.decode()
    assert rows(page, "dispatches") == []
    assert rows(page, "accepted") == [demand.number]
    assert 'data-testid="action-sign_agreement"' in section(page, "accepted")


def test_an_enterprise_user_is_sent_to_the_portal_which_shows_its_open_demands_and_those_to_evaluate(
    world, login, register
):
    open_demand = register()
    ended = register()
    served(world, ended)
    other = register(by=world.people.officer_siming, enterprise=world.ent_siming)
    client = login(world.people.enterprise_user)
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    page = client.get(response["Location"]).content.decode()
    evaluate = f'href="{reverse("evaluations:portal", args=[ended.pk])}?next='
    assert evaluate in page, "the ended demand waits for its evaluation"
    assert open_demand.number in page
    assert other.number not in page

    invitation = ended.evaluation_invitations.get()
    workflow.record_evaluation(ended, ratings=RATINGS, channel="link", invitation=invitation)
    page = client.get(reverse("portal:home")).content.decode()
    assert evaluate not in page and ended.number in page


@pytest.mark.parametrize("person", ["auditor", "outsider"])
def test_someone_with_nothing_to_do_is_told_so(world, login, person):
    page = login(getattr(world.people, person)).get(URL).content.decode()
    assert 'data-testid="no-work"' in page


def test_nothing_waiting_is_said_per_role(world, login):
    page = login(world.people.specialist).get(URL).content.decode()
    assert 'data-testid="nothing-specialist"' in page


def test_a_stage_with_more_demands_than_a_section_shows_its_oldest_and_links_to_all(world, login, register):
    from qiservice.demands.home import SECTION_ROWS

    sp = world.people.specialist
    registered = [register(by=sp) for _ in range(SECTION_ROWS + 2)]  # theirs, oldest first
    preparing = register(by=sp)
    workflow.start_preparation(preparing, by=sp)
    client = login(sp)
    page = client.get(URL).content.decode()
    assert rows(page, "mine_registered") == [d.number for d in registered[:SECTION_ROWS]]
    assert f"查看全部 {SECTION_ROWS + 2} 条" in section(page, "mine_registered")
    assert rows(page, "mine_preparing") == [preparing.number]  # cut per stage, not overall
    # Cut in SQL or not, the page reads as many queries.
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    for demand in registered[SECTION_ROWS - 1 :]:
        workflow.start_preparation(demand, by=sp)
    with CaptureQueriesContext(connection) as few:
        page = client.get(URL).content.decode()
    assert len(rows(page, "mine_registered")) == SECTION_ROWS - 1
    assert len(many) == len(few)


def test_the_query_count_does_not_grow_with_the_rows(world, login, register, django_assert_max_num_queries):
    client = login(world.people.admin)
    officer = world.people.officer_jimei

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    register(by=officer)
    first = register()
    escalated(world, first)
    few = queries()
    for _ in range(6):
        register(by=officer)
        escalated(world, register())
    assert queries() == few
    with django_assert_max_num_queries(40):
        client.get(URL)


def test_the_home_page_counts_the_waiting_work_and_links_to_my_work(world, login, register):
    officer = world.people.officer_jimei
    register(by=officer)
    register(by=officer)
    escalated(world, register())
    page = login(officer).get("/").content.decode()
    assert 'data-testid="home-demand-panel"' in page
    to_assign = re.search(r'data-testid="home-to_assign">.*?<div class="stat">(\d+)</div>', page, re.S)
    to_dispatch = re.search(r'data-testid="home-to_dispatch">.*?<div class="stat">(\d+)</div>', page, re.S)
    assert (to_assign.group(1), to_dispatch.group(1)) == ("2", "1")
    assert 'href="/demands/my-work/"' in page
    assert 'href="/demands/my-work/#work-to_assign"' in page


def test_the_home_page_shows_no_demand_panel_to_an_auditor(world, login):
    page = login(world.people.auditor).get("/").content.decode()
    assert 'data-testid="home-demand-panel"' not in page
