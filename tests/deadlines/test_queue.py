"""The background queue for real: huey on Redis (production) and on SQLite (the default)."""

import os
import socket

import pytest
from django.core import mail
from huey import RedisHuey, SqliteHuey

from qiservice.notifications import service
from qiservice.notifications.models import Notification, NotificationPreference


def redis_is_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def run_one(huey):
    """What the consumer does for one message: take it off the queue and execute it."""
    task = huey.dequeue()
    assert task is not None, "the task was not on the queue"
    return huey.execute(task)


# In CI (CI=true) Redis must be there: the test fails instead of skipping.
@pytest.mark.skipif(not redis_is_up() and not os.environ.get("CI"), reason="Redis is not running on 127.0.0.1:6379")
def test_a_task_goes_through_redis(db, tmp_path):
    huey = RedisHuey(f"qiservice-test-{tmp_path.name}", url="redis://127.0.0.1:6379/15")
    huey.flush()

    @huey.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert len(huey) == 1
    run_one(huey)
    assert result.get() == 5
    huey.flush()


def test_a_task_goes_through_the_embedded_sqlite_queue(tmp_path):
    huey = SqliteHuey("qiservice-test", filename=str(tmp_path / "queue.sqlite3"))

    @huey.task()
    def shout(text):
        return text.upper()

    result = shout("qi")
    assert len(huey) == 1
    run_one(huey)
    assert result.get() == "QI"


def test_notifications_are_delivered_by_email_and_sms_per_the_users_choice(world, caplog, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    specialist, officer = world.people.specialist, world.people.officer_jimei
    specialist.phone = "13912345678"
    specialist.save()
    NotificationPreference.objects.create(user=specialist, by_email=False, by_sms=True)
    rows = service.notify([specialist, officer], "reminder", "测试提醒")
    ids = [n.pk for n in Notification.objects.all()]
    with caplog.at_level("INFO", logger="qiservice.sms"):
        service.deliver(ids)
        service.deliver(ids)  # a retried delivery sends nothing twice
    assert len(rows) == 2
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert "测试提醒" in mail.outbox[0].subject and "您好" in mail.outbox[0].body
    assert [r.getMessage() for r in caplog.records].count("SMS to 13912345678: 【质量基础设施协同服务】测试提醒") == 1


def test_inbox_shows_unread_count_and_marks_read(world, login):
    client = login(world.people.specialist)
    service.notify([world.people.specialist], "reminder", "请尽快完成服务准备", url="/")
    page = client.get("/").content.decode()
    assert 'data-testid="unread">1<' in page
    note = Notification.objects.get()
    assert client.post(f"/inbox/{note.pk}/open/").status_code == 302
    assert 'data-testid="unread"' not in client.get("/").content.decode()
    other = login(world.people.officer_jimei)
    other.post(f"/inbox/{note.pk}/open/")
    assert "请尽快完成服务准备" not in other.get("/inbox/").content.decode()


def test_users_choose_their_channels(world, login):
    client = login(world.people.officer_jimei)
    client.post("/inbox/", {"by_sms": "on"})
    preference = NotificationPreference.objects.get(user=world.people.officer_jimei)
    assert (preference.by_email, preference.by_sms) == (False, True)
