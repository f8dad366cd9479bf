"""8.6.1 in the API: read a demand's evaluation, evaluate from a login, or by the link."""

import json

from django.test import Client
from django.utils import timezone

from qiservice.accounts.choices import Role
from qiservice.evaluations.models import Evaluation, EvaluationInvitation
from tests.conftest import make_user
from tests.demands.conftest import RATINGS


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_link_takes_an_anonymous_evaluation_once(world, ended):
    demand, invitation = ended
    response = post(Client(), f"/api/evaluations/link/{invitation.token}", RATINGS | {"suggestions": "好"})
    assert response.status_code == 201
    assert response.json()["total"] == 46 and response.json()["conduct"] == 10
    assert "demand" not in response.json(), "the anonymous answer names no record"
    assert Evaluation.objects.get(demand=demand).channel == "link"

    again = post(Client(), f"/api/evaluations/link/{invitation.token}", RATINGS)
    assert again.status_code == 410 and again.json()["detail"] == "该评价链接已使用过，不能重复评价。"
    assert Evaluation.objects.count() == 1


def test_an_expired_or_forged_link_is_refused_in_chinese(world, ended):
    _demand, invitation = ended
    assert post(Client(), "/api/evaluations/link/forged", RATINGS).status_code == 404
    assert "评价链接无效" in post(Client(), "/api/evaluations/link/forged", RATINGS).json()["detail"]
    EvaluationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = post(Client(), f"/api/evaluations/link/{invitation.token}", RATINGS)
    assert response.status_code == 410 and "已过期" in response.json()["detail"]
    assert not Evaluation.objects.exists()


def test_ratings_outside_10_8_6_0_are_refused_with_422_and_nothing_is_saved(world, ended, login):
    demand, invitation = ended
    response = post(Client(), f"/api/evaluations/link/{invitation.token}", RATINGS | {"conduct": 9, "result": -1})
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert "遵纪守法" in errors[("body", "conduct")] and "服务结果" in errors[("body", "result")]
    response = post(
        login(world.people.enterprise_user), f"/api/evaluations/demand/{demand.pk}", RATINGS | {"attitude": 7}
    )
    assert response.status_code == 422 and "服务态度" in response.json()["detail"][0]["msg"]
    missing = dict(RATINGS)
    del missing["timeliness"]
    response = post(Client(), f"/api/evaluations/link/{invitation.token}", missing)
    assert response.status_code == 422 and response.json()["detail"][0]["msg"] == "必填项，不能为空。"
    assert not Evaluation.objects.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_the_enterprise_evaluates_through_the_portal_and_everyone_in_scope_reads_it(world, ended, login):
    demand, _invitation = ended
    response = post(login(world.people.enterprise_user), f"/api/evaluations/demand/{demand.pk}", RATINGS)
    assert response.status_code == 201
    body = response.json()
    assert (body["channel"], body["total"], body["demand_number"]) == ("portal", 46, demand.number)
    assert body["specialist"] == world.sp_jimei.pk

    for person in ("admin", "officer_jimei", "specialist", "enterprise_user", "auditor"):
        response = login(getattr(world.people, person)).get(f"/api/evaluations/demand/{demand.pk}")
        assert response.status_code == 200 and response.json()["total"] == 46, person
    for person in ("officer_siming", "specialist_siming", "institution_staff", "outsider"):
        assert login(getattr(world.people, person)).get(f"/api/evaluations/demand/{demand.pk}").status_code == 404

    again = post(login(world.people.enterprise_user), f"/api/evaluations/demand/{demand.pk}", RATINGS)
    assert again.status_code == 422 and again.json()["detail"][0]["msg"] == "该需求已评价，每项服务只能评价一次。"


def test_the_agency_enters_a_paper_form_and_the_specialist_may_not_evaluate(world, ended, login):
    demand, _invitation = ended
    response = post(login(world.people.specialist), f"/api/evaluations/demand/{demand.pk}", RATINGS)
    assert response.status_code == 403 and "服务对象" in response.json()["detail"]
    response = post(login(world.people.officer_jimei), f"/api/evaluations/demand/{demand.pk}", RATINGS)
    assert response.status_code == 201 and response.json()["channel"] == "paper"


def test_another_enterprise_cannot_evaluate_or_read(world, ended, login):
    demand, _invitation = ended
    stranger = login(make_user("ent_siming_user", Role.ENTERPRISE_USER, enterprise=world.ent_siming))
    assert post(stranger, f"/api/evaluations/demand/{demand.pk}", RATINGS).status_code == 404
    assert stranger.get(f"/api/evaluations/demand/{demand.pk}").status_code == 404
    assert not Evaluation.objects.exists()


def test_a_demand_not_yet_evaluated_answers_404_in_chinese(world, ended, login):
    demand, _invitation = ended
    response = login(world.people.specialist).get(f"/api/evaluations/demand/{demand.pk}")
    assert response.status_code == 404 and response.json()["detail"] == "该需求尚未评价。"
