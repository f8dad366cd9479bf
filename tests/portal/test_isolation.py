"""Isolation: an enterprise's user never reaches another enterprise's demand, message,
attachment or plan by changing an id — every portal URL and API operation answers 404."""

import pytest

from qiservice.demands.models import ServicePlan
from qiservice.portal import workflow as portal
from qiservice.portal.models import Message
from tests.conftest import make_user

from .helpers import FORM, pdf, submit, to_plan


@pytest.fixture
def other(world):
    """厦门思明电子科技有限公司's demand, with a plan, a message and an attachment."""
    siming_user = make_user("ent_siming", "enterprise_user", enterprise=world.ent_siming)
    demand = submit(world, user=siming_user, enterprise=world.ent_siming, uploads=[pdf("思明资料.pdf")])
    to_plan(world, demand, with_secrets=False)
    portal.post_message(demand, by=siming_user, text="思明的留言")
    return demand


def requests(demand):
    attachment = demand.attachments.first()
    pk = demand.pk
    return [
        ("get", f"/portal/demands/{pk}/", None),
        ("get", f"/portal/demands/{pk}/submitted/", None),
        ("post", f"/portal/demands/{pk}/acknowledge/", {}),
        ("post", f"/portal/demands/{pk}/messages/", {"text": "越权"}),
        ("post", f"/portal/demands/{pk}/withdraw/", {"reason": "越权"}),
        ("get", f"/portal/demands/{pk}/attachments/{attachment.pk}/", None),
        ("get", f"/api/portal/demands/{pk}", None),
        ("get", f"/api/portal/demands/{pk}/messages", None),
        ("post", f"/api/portal/demands/{pk}/messages", {"text": "越权"}),
        ("post", f"/api/portal/demands/{pk}/acknowledge", {}),
        ("post", f"/api/portal/demands/{pk}/withdraw", {"reason": "越权"}),
    ]


def test_another_enterprises_demand_is_404_on_every_portal_url_and_api_operation(world, login, other):
    client = login(world.people.enterprise_user)
    own = submit(world)  # the user does have demands of their own
    for method, url, data in requests(other):
        if url.startswith("/api/"):
            response = getattr(client, method)(url, data or {}, content_type="application/json")
        else:
            response = getattr(client, method)(url, data or {})
        assert response.status_code == 404, (url, response.status_code)
        assert "思明" not in response.content.decode()
    assert Message.objects.filter(demand=other).count() == 1
    assert ServicePlan.objects.get(demand=other).acknowledged_at is None
    other.refresh_from_db()
    assert other.status == "plan_made", "not withdrawn by another enterprise"
    listed = client.get("/api/portal/demands").json()["items"]
    assert [d["number"] for d in listed] == [own.number]
    assert other.number not in client.get("/portal/").content.decode()


def test_an_attachment_id_of_another_demand_under_ones_own_demand_is_404(world, login, other):
    own = submit(world)
    attachment = other.attachments.first()
    response = login(world.people.enterprise_user).get(f"/portal/demands/{own.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["admin", "officer_jimei", "specialist", "institution_staff", "auditor", "outsider"])
def test_the_portal_shows_no_demand_to_anyone_but_the_enterprises_users(world, login, role):
    demand = to_plan(world, submit(world), with_secrets=False)
    client = login(getattr(world.people, role))
    assert client.get(f"/portal/demands/{demand.pk}/").status_code == 404
    assert client.get(f"/api/portal/demands/{demand.pk}").status_code == 404
    assert client.get("/api/portal/demands").json()["items"] == []


def test_a_second_enterprise_user_of_the_same_company_sees_and_acknowledges(world, login):
    colleague = make_user("ent_user_b", "enterprise_user", enterprise=world.ent_jimei)
    demand = to_plan(world, submit(world), with_secrets=False)
    client = login(colleague)
    assert FORM["description"] in client.get(f"/portal/demands/{demand.pk}/").content.decode()
    client.post(f"/portal/demands/{demand.pk}/acknowledge/")
    assert ServicePlan.objects.get(demand=demand).acknowledged_by == colleague
