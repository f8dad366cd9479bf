"""8.6.1 — evaluating from a login: the enterprise's own users (portal) and the agency
typing in a paper Appendix C form; once per demand."""

from django.test import Client

from qiservice.accounts.choices import Role
from qiservice.evaluations.models import Evaluation
from tests.conftest import make_user
from tests.demands.conftest import RATINGS

from .helpers import ended_demand

FORM = RATINGS | {"suggestions": "", "remarks": "", "evaluator_name": ""}


def test_the_enterprise_user_evaluates_from_their_login(world, ended, login):
    demand, _invitation = ended
    client = login(world.people.enterprise_user)
    page = client.get(f"/e/demand/{demand.pk}/portal/").content.decode()
    assert "服务专员满意度评价表" in page and "138****1111" in page
    response = client.post(f"/e/demand/{demand.pk}/portal/", FORM | {"conduct": 6, "suggestions": "加快响应"})
    assert response.status_code == 302 and response["Location"] == demand.get_absolute_url()
    evaluation = Evaluation.objects.get(demand=demand)
    assert (evaluation.channel, evaluation.total, evaluation.submitted_by) == (
        "portal",
        42,
        world.people.enterprise_user,
    )
    assert evaluation.suggestions == "加快响应" and evaluation.invitation is None


def test_a_second_evaluation_through_the_portal_is_refused(world, ended, login):
    demand, invitation = ended
    Client().post(f"/e/{invitation.token}/", FORM)
    client = login(world.people.enterprise_user)
    page = client.get(f"/e/demand/{demand.pk}/portal/").content.decode()
    assert "该需求已评价，每项服务只能评价一次。" in page and 'type="radio"' not in page
    response = client.post(f"/e/demand/{demand.pk}/portal/", FORM | {"conduct": 0})
    assert response.status_code == 200 and "该需求已评价" in response.content.decode()
    assert Evaluation.objects.get(demand=demand).channel == "link"
    assert Evaluation.objects.count() == 1


def test_a_user_of_another_enterprise_can_neither_evaluate_nor_see_the_form(world, ended, login):
    demand, _invitation = ended
    stranger = make_user("ent_siming_user", Role.ENTERPRISE_USER, enterprise=world.ent_siming)
    client = login(stranger)
    assert client.get(f"/e/demand/{demand.pk}/portal/").status_code == 404
    assert client.post(f"/e/demand/{demand.pk}/portal/", FORM).status_code == 404
    assert client.post(f"/e/demand/{demand.pk}/paper/", FORM).status_code == 404
    assert not Evaluation.objects.exists()


def test_the_specialist_cannot_evaluate_their_own_service(world, ended, login):
    demand, _invitation = ended
    client = login(world.people.specialist)
    assert client.get(f"/e/demand/{demand.pk}/portal/").status_code == 403
    assert client.post(f"/e/demand/{demand.pk}/paper/", FORM).status_code == 403
    assert not Evaluation.objects.exists()


def test_the_district_agency_types_in_a_paper_form(world, ended, login):
    demand, _invitation = ended
    client = login(world.people.officer_jimei)
    page = client.get(f"/e/demand/{demand.pk}/paper/").content.decode()
    assert "评价人（纸质表填写人）" in page and "录入评价" in page
    response = client.post(f"/e/demand/{demand.pk}/paper/", FORM | {"evaluator_name": "张经理"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(demand=demand)
    assert (evaluation.channel, evaluation.evaluator_name, evaluation.submitted_by) == (
        "paper",
        "张经理",
        world.people.officer_jimei,
    )
    # The agency of another district does not even see the demand.
    other = ended_demand(world)[0]
    assert login(world.people.officer_siming).get(f"/e/demand/{other.pk}/paper/").status_code == 404


def test_a_paper_form_with_a_missing_item_saves_nothing(world, ended, login):
    demand, _invitation = ended
    data = dict(FORM)
    del data["competence"]
    response = login(world.people.admin).post(f"/e/demand/{demand.pk}/paper/", data)
    assert response.status_code == 200 and "请为“服务能力”选择评价等级" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_before_the_service_ends_there_is_nothing_to_evaluate(world, login):
    from qiservice.demands import workflow

    from .helpers import DEMAND

    demand = workflow.register_demand(by=world.people.specialist, enterprise=world.ent_jimei, **DEMAND)
    client = login(world.people.enterprise_user)
    assert "该需求当前不在评价阶段。" in client.get(f"/e/demand/{demand.pk}/portal/").content.decode()
    client.post(f"/e/demand/{demand.pk}/portal/", FORM)
    assert not Evaluation.objects.exists()
