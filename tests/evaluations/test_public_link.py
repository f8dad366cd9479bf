"""8.6.1 — the evaluation link: no login, single use, expiring, unguessable."""

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import timezone

from qiservice.demands import workflow
from qiservice.demands.choices import DemandStatus
from qiservice.evaluations.models import Evaluation, EvaluationInvitation
from qiservice.evaluations.views import service_matter
from tests.demands.conftest import RATINGS

FORM = RATINGS | {"suggestions": "希望多开展现场培训", "remarks": "整体满意", "evaluator_name": "张经理"}


def url(invitation):
    return f"/e/{invitation.token}/"


def csrf_client(invitation):
    """An anonymous visitor whose browser enforces CSRF, after opening the form."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(url(invitation))
    assert response.status_code == 200
    return client, client.cookies["csrftoken"].value


def card(demand, user):
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load evaluations %}{% demand_evaluation demand %}")
    return template.render(Context({"demand": demand, "request": request}))


def test_the_form_shows_the_appendix_c_header_with_a_masked_phone(ended):
    demand, invitation = ended
    page = Client().get(url(invitation)).content.decode()
    assert "服务专员满意度评价表" in page
    assert demand.enterprise.name in page and service_matter(demand) in page and "张经理" in page
    assert "138****1111" in page and "13800001111" not in page
    assert "评价分值说明：非常满意（10分）满意（8分）一般（6分）不满意（0分）" in page
    for item in ("遵纪守法", "服务态度", "服务能力", "服务时效", "服务结果", "其他建议", "备注"):
        assert item in page
    # Four radio buttons per item, and no script needed to choose them.
    assert page.count('type="radio"') == 20 and "<script>" not in page


def test_an_anonymous_visitor_evaluates_and_the_total_shows_on_the_card_and_the_specialist_page(world, ended, login):
    demand, invitation = ended
    client, token = csrf_client(invitation)
    response = client.post(url(invitation), FORM | {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "感谢您的评价" in response.content.decode() and "总分 46 / 50" in response.content.decode()

    evaluation = Evaluation.objects.get(demand=demand)
    assert (evaluation.total, evaluation.channel, evaluation.specialist) == (46, "link", world.sp_jimei)
    assert (evaluation.suggestions, evaluation.remarks, evaluation.evaluator_name) == (
        "希望多开展现场培训",
        "整体满意",
        "张经理",
    )
    assert evaluation.submitted_by is None and evaluation.invitation == invitation
    invitation.refresh_from_db()
    assert invitation.used_at is not None

    shown = card(demand, world.people.specialist)
    assert "46 / 50" in shown and "希望多开展现场培训" in shown and "评价链接" in shown  # the channel
    assert "非常满意" in shown and "满意" in shown
    demand_page = login(world.people.officer_jimei).get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="evaluation-card"' in demand_page and "46 / 50" in demand_page
    # The enterprise reads its evaluation on the portal's page of the demand.
    portal_page = login(world.people.enterprise_user).get(f"/portal/demands/{demand.pk}/").content.decode()
    assert "总分 46 / 50" in portal_page

    page = login(world.people.officer_jimei).get(f"/specialists/{world.sp_jimei.pk}/").content.decode()
    assert 'data-testid="satisfaction-count">1<' in page
    assert 'data-testid="satisfaction-mean">46.0<' in page
    assert demand.number in page


def test_the_form_refuses_a_post_without_the_csrf_token(ended):
    demand, invitation = ended
    client, _token = csrf_client(invitation)
    response = client.post(url(invitation), FORM)
    assert response.status_code == 403
    assert not Evaluation.objects.filter(demand=demand).exists()


def test_a_used_link_is_refused_and_nothing_changes(ended):
    demand, invitation = ended
    client, token = csrf_client(invitation)
    client.post(url(invitation), FORM | {"csrfmiddlewaretoken": token})

    again = Client().get(url(invitation))
    assert again.status_code == 410 and "该评价链接已使用过" in again.content.decode()
    response = Client().post(url(invitation), FORM | {"conduct": 0})
    assert response.status_code == 410 and "已使用过" in response.content.decode()
    assert Evaluation.objects.get(demand=demand).conduct == 10


def test_an_expired_link_is_refused_and_nothing_changes(ended):
    demand, invitation = ended
    EvaluationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = Client().get(url(invitation))
    assert response.status_code == 410 and "该评价链接已过期" in response.content.decode()
    response = Client().post(url(invitation), FORM)
    assert response.status_code == 410
    assert not Evaluation.objects.filter(demand=demand).exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_a_reissued_link_revokes_the_old_one_and_works_itself(world, ended, login):
    demand, old = ended
    response = login(world.people.specialist).post(f"/e/demand/{demand.pk}/reissue/")
    assert response.status_code == 302
    new = EvaluationInvitation.objects.filter(demand=demand).exclude(pk=old.pk).get()
    old.refresh_from_db()
    assert old.revoked_at is not None and new.is_usable and new.token != old.token

    response = Client().post(url(old), FORM)
    assert response.status_code == 410 and "该评价链接已作废" in response.content.decode()
    assert not Evaluation.objects.filter(demand=demand).exists()
    assert Client().post(url(new), FORM).status_code == 200
    assert Evaluation.objects.get(demand=demand).invitation == new


@pytest.mark.parametrize("token", ["forged", "WzEsImFhYWEiXQ:1tX:abc", None])
def test_a_forged_token_is_not_found(ended, token):
    _demand, invitation = ended
    token = token or invitation.token[:-2] + ("AA" if not invitation.token.endswith("AA") else "BB")
    response = Client().get(f"/e/{token}/")
    assert response.status_code == 404 and "评价链接无效" in response.content.decode()
    assert Client().post(f"/e/{token}/", FORM).status_code == 404
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"conduct": 9}, "请为“遵纪守法”选择评价等级"),
        ({"result": "very_satisfied"}, "请为“服务结果”选择评价等级"),
        ({"attitude": ""}, "请为“服务态度”选择评价等级"),
        ({"timeliness": 100}, "请为“服务时效”选择评价等级"),
    ],
)
def test_a_rating_outside_10_8_6_0_is_refused_next_to_the_item(ended, change, message):
    demand, invitation = ended
    client, token = csrf_client(invitation)
    response = client.post(url(invitation), FORM | change | {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert message in response.content.decode() and "评价未提交" in response.content.decode()
    assert not Evaluation.objects.filter(demand=demand).exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_the_link_stops_working_once_the_enterprise_evaluated_from_its_login(world, ended, login):
    demand, invitation = ended
    response = login(world.people.enterprise_user).post(f"/e/demand/{demand.pk}/portal/", FORM)
    assert response.status_code == 302
    response = Client().get(url(invitation))
    assert response.status_code == 410 and "该需求已评价" in response.content.decode()


def test_a_cancelled_demand_no_longer_takes_its_evaluation(world, ended):
    demand, invitation = ended
    workflow.cancel(demand, by=world.people.admin, reason="企业已注销")
    response = Client().post(url(invitation), FORM)
    assert response.status_code == 410 and "不在评价阶段" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_after_the_summary_the_evaluation_moves_the_demand_to_evaluated(world, ended):
    demand, invitation = ended
    workflow.submit_summary(demand, by=world.people.specialist, problems_solved="a", methods="b", results="c")
    assert Client().post(url(invitation), FORM).status_code == 200
    demand.refresh_from_db()
    assert demand.status == DemandStatus.EVALUATED
