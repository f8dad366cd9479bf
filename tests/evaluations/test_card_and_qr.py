"""The evaluation card of the demand page and the QR code of the link."""

from xml.etree import ElementTree

from django.test import Client
from django.utils import timezone

from qiservice.accounts.choices import Role
from qiservice.evaluations.models import EvaluationInvitation
from tests.conftest import make_user
from tests.demands.conftest import RATINGS

from .helpers import ended_demand
from .test_public_link import card


def test_the_specialist_sees_the_link_qr_code_expiry_and_reissue_button(world, ended):
    demand, invitation = ended
    shown = card(demand, world.people.specialist)
    assert f"/e/{invitation.token}/" in shown and f"/e/demand/{demand.pk}/qr.svg" in shown
    assert "有效期至" in shown and timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M") in shown
    assert "重新生成评价链接" in shown and f"/e/demand/{demand.pk}/reissue/" in shown
    assert "在线评价" not in shown and "录入纸质评价表" not in shown


def test_the_enterprise_user_gets_a_button_not_the_link(world, ended):
    demand, invitation = ended
    shown = card(demand, world.people.enterprise_user)
    assert "在线评价" in shown and f"/e/demand/{demand.pk}/portal/" in shown
    assert invitation.token not in shown and "重新生成评价链接" not in shown


def test_the_agency_sees_the_link_and_the_paper_entry(world, ended):
    demand, invitation = ended
    shown = card(demand, world.people.officer_jimei)
    assert invitation.token in shown and "录入纸质评价表" in shown and f"/e/demand/{demand.pk}/paper/" in shown


def test_an_expired_link_is_not_shown_and_can_be_reissued(world, ended):
    demand, invitation = ended
    EvaluationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    shown = card(demand, world.people.specialist)
    assert invitation.token not in shown and "评价链接已过期或已作废" in shown and "重新生成评价链接" in shown


def test_a_user_of_another_enterprise_sees_no_card(world, ended):
    demand, invitation = ended
    stranger = make_user("ent_siming_user", Role.ENTERPRISE_USER, enterprise=world.ent_siming)
    Client().post(f"/e/{invitation.token}/", RATINGS)
    assert card(demand, stranger).strip() == ""
    assert card(demand, world.people.outsider).strip() == ""
    assert "46 / 50" in card(demand, world.people.enterprise_user)
    assert "46 / 50" in card(demand, world.people.auditor)


def test_the_card_is_empty_before_the_service_ends(world):
    from qiservice.demands import workflow

    from .helpers import DEMAND

    demand = workflow.register_demand(by=world.people.specialist, enterprise=world.ent_jimei, **DEMAND)
    assert card(demand, world.people.specialist).strip() == ""


def test_the_qr_code_is_an_svg_of_the_link(world, ended, login):
    demand, _invitation = ended
    response = login(world.people.specialist).get(f"/e/demand/{demand.pk}/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert "no-store" in response["Cache-Control"]
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own response, not untrusted input
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findall(".//{http://www.w3.org/2000/svg}path")


def test_institution_staff_of_an_accepted_dispatch_may_show_the_qr_code(world, login):
    demand, _invitation = ended_demand(world, mode="assisted")
    assert login(world.people.institution_staff).get(f"/e/demand/{demand.pk}/qr.svg").status_code == 200


def test_the_qr_code_is_refused_outside_the_scope_and_to_those_who_only_read(world, ended, login):
    demand, _invitation = ended
    for person in ("officer_siming", "specialist_siming", "institution_staff", "outsider"):
        assert login(getattr(world.people, person)).get(f"/e/demand/{demand.pk}/qr.svg").status_code == 404, person
    for person in ("enterprise_user", "auditor"):
        assert login(getattr(world.people, person)).get(f"/e/demand/{demand.pk}/qr.svg").status_code == 403, person
    assert Client().get(f"/e/demand/{demand.pk}/qr.svg").status_code == 302


def test_no_qr_code_once_the_link_is_used(world, ended, login):
    demand, invitation = ended
    Client().post(f"/e/{invitation.token}/", RATINGS)
    assert login(world.people.specialist).get(f"/e/demand/{demand.pk}/qr.svg").status_code == 404


def test_only_those_who_manage_the_link_may_reissue_it(world, ended, login):
    demand, _invitation = ended
    assert login(world.people.enterprise_user).post(f"/e/demand/{demand.pk}/reissue/").status_code == 403
    assert login(world.people.auditor).post(f"/e/demand/{demand.pk}/reissue/").status_code == 403
    assert login(world.people.officer_siming).post(f"/e/demand/{demand.pk}/reissue/").status_code == 404
    assert EvaluationInvitation.objects.filter(demand=demand).count() == 1
    assert login(world.people.officer_jimei).post(f"/e/demand/{demand.pk}/reissue/").status_code == 302
    assert EvaluationInvitation.objects.filter(demand=demand).count() == 2


def test_reissuing_after_the_evaluation_is_refused_with_a_message(world, ended, login):
    demand, invitation = ended
    Client().post(f"/e/{invitation.token}/", RATINGS)
    client = login(world.people.specialist)
    response = client.post(f"/e/demand/{demand.pk}/reissue/", follow=False)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["该需求当前不需要评价链接。"]
    assert EvaluationInvitation.objects.filter(demand=demand).count() == 1
