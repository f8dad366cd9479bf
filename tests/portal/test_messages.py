"""Messages between the enterprise and those serving its demand: both ways, with
notifications and read marks; the service side answers from the staff demand page."""

import pytest

from qiservice.core.models import AuditEvent, AuditLog
from qiservice.notifications.models import Notification
from qiservice.portal import workflow as portal
from qiservice.portal.models import Message

from .helpers import submit, to_plan


def post(client, demand, text):
    return client.post(f"/portal/demands/{demand.pk}/messages/", {"text": text})


def test_messages_go_both_ways_with_notifications_and_read_marks(world, login):
    people = world.people
    demand = to_plan(world, submit(world), with_secrets=False)
    enterprise = login(people.enterprise_user)
    response = post(enterprise, demand, "请问校准需要停机几天？")
    assert response.status_code == 302 and response["Location"].endswith("#messages")
    message = Message.objects.get()
    assert message.side == "enterprise" and message.author == people.enterprise_user and message.read_at is None
    assert AuditLog.objects.filter(event_type=AuditEvent.CREATED, target_id=str(message.pk)).exists()
    # The specialist and the institution that accepted it hear of it; the agency does not need to.
    for user in (people.specialist, people.institution_staff):
        note = Notification.objects.get(user=user, kind="message")
        assert "请问校准需要停机几天" in note.body and note.url == f"/demands/{demand.pk}/#messages"
    assert not Notification.objects.filter(user=people.officer_jimei, kind="message").exists()

    # The specialist sees it, unread, on the staff demand page, and answers there.
    specialist = login(people.specialist)
    staff_page = specialist.get(f"/demands/{demand.pk}/").content.decode()
    assert 'data-testid="service-messages"' in staff_page and "请问校准需要停机几天？" in staff_page
    assert "1 条未读" in staff_page
    response = specialist.post(f"/portal/service/demands/{demand.pk}/messages/", {"text": "预计停机两天，周末进行。"})
    assert response.status_code == 302 and response["Location"] == f"/demands/{demand.pk}/#messages"
    message.refresh_from_db()
    assert message.read_at is not None  # answering is reading
    reply = Message.objects.get(side="service")
    assert reply.author == people.specialist
    note = Notification.objects.get(user=people.enterprise_user, kind="message")
    assert note.url == f"/portal/demands/{demand.pk}/#messages" and "预计停机两天" in note.body

    # The enterprise: an unread reply on its home, read once the demand is opened.
    home = enterprise.get("/portal/").content.decode()
    assert "预计停机两天，周末进行。" in home and "1 条新回复" in home
    page = enterprise.get(f"/portal/demands/{demand.pk}/").content.decode()
    assert "预计停机两天，周末进行。" in page and "请问校准需要停机几天？" in page
    reply.refresh_from_db()
    assert reply.read_at is not None
    assert "没有未读的回复" in enterprise.get("/portal/").content.decode()


def test_the_api_lists_and_posts_messages(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    portal.post_message(demand, by=world.people.specialist, text="请准备设备清单")
    client = login(world.people.enterprise_user)
    listed = client.get(f"/api/portal/demands/{demand.pk}/messages").json()
    assert [(m["side"], m["author"], m["text"]) for m in listed] == [("service", "sp_jimei", "请准备设备清单")]
    assert Message.objects.get().read_at is not None
    created = client.post(
        f"/api/portal/demands/{demand.pk}/messages", {"text": "已准备好"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["side"] == "enterprise"
    empty = client.post(f"/api/portal/demands/{demand.pk}/messages", {"text": "  "}, content_type="application/json")
    assert empty.status_code == 422 and empty.json()["detail"][0]["msg"] == "请填写留言内容。"
    assert Message.objects.count() == 2


def test_before_anyone_serves_it_the_districts_agency_hears_from_the_enterprise(world, login):
    demand = submit(world)
    post(login(world.people.enterprise_user), demand, "什么时候安排专员？")
    assert Notification.objects.filter(user=world.people.officer_jimei, kind="message").exists()
    assert not Notification.objects.filter(user=world.people.officer_siming, kind="message").exists()
    # The district's agency answers from the demand page.
    response = login(world.people.officer_jimei).post(
        f"/portal/service/demands/{demand.pk}/messages/", {"text": "今天内安排。"}
    )
    assert response.status_code == 302 and Message.objects.filter(side="service").count() == 1


@pytest.mark.parametrize("role", ["auditor", "specialist_siming", "officer_siming", "outsider"])
def test_only_those_serving_the_demand_answer(world, login, role):
    demand = to_plan(world, submit(world), with_secrets=False)
    response = login(getattr(world.people, role)).post(
        f"/portal/service/demands/{demand.pk}/messages/", {"text": "越权回复"}
    )
    assert response.status_code == (403 if role == "auditor" else 404)
    assert not Message.objects.exists()


def test_the_auditor_reads_but_the_enterprise_does_not_get_the_staff_partial(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    portal.post_message(demand, by=world.people.enterprise_user, text="留言内容甲")
    auditor = login(world.people.auditor).get(f"/demands/{demand.pk}/").content.decode()
    assert "留言内容甲" in auditor and 'data-testid="service-send-message"' not in auditor
    assert Message.objects.get().read_at is None  # looking is not reading
    staff_for_enterprise = login(world.people.enterprise_user).get(f"/demands/{demand.pk}/").content.decode()
    assert 'data-testid="service-messages"' not in staff_for_enterprise


def test_marking_read_from_the_staff_page(world, login):
    demand = to_plan(world, submit(world), with_secrets=False)
    portal.post_message(demand, by=world.people.enterprise_user, text="甲")
    portal.post_message(demand, by=world.people.enterprise_user, text="乙")
    response = login(world.people.specialist).post(f"/portal/service/demands/{demand.pk}/messages/read/")
    assert response.status_code == 302
    assert not Message.objects.filter(read_at__isnull=True).exists()


def test_an_over_long_message_is_refused(world, login):
    demand = submit(world)
    response = post(login(world.people.enterprise_user), demand, "长" * 2001)
    assert response.status_code == 302 and not Message.objects.exists()
