"""Rate limits on registration, login and complaint submission: over the limit, 429 with a
Chinese message and nothing created."""

from django.test import Client

from qiservice.accounts.models import User
from qiservice.complaints.models import Complaint
from qiservice.core.models import AuditEvent, AuditLog
from qiservice.public.models import EnterpriseAccountRequest

from ..complaints.helpers import served_demand
from ..conftest import PASSWORD
from .test_accounts import form


def test_registration_is_limited_per_address(world, settings):
    settings.RATE_LIMITS = {"register": (2, 3600)}
    for n in range(2):
        assert Client().post("/public/register/", form(username=f"u{n}")).status_code == 302
    response = Client().post("/public/register/", form(username="u2"))
    assert response.status_code == 429
    assert "注册过于频繁，请一小时后再试。" in response.content.decode()
    assert not User.objects.filter(username="u2").exists()
    assert EnterpriseAccountRequest.objects.count() == 2
    # Another address is not affected.
    assert Client(REMOTE_ADDR="10.0.0.9").post("/public/register/", form(username="u3")).status_code == 302


def test_login_is_limited_per_username_before_the_password_is_checked(world, settings):
    settings.RATE_LIMITS = {"login_username": (3, 300), "login_address": (100, 300)}
    for n in range(3):
        client = Client(REMOTE_ADDR=f"10.0.1.{n}")
        assert client.post("/login/", {"username": "admin", "password": "wrong"}).status_code == 200
    # From a fresh address, even the right password is refused now.
    response = Client(REMOTE_ADDR="10.0.1.99").post("/login/", {"username": "ADMIN", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录尝试过于频繁" in response.content.decode()
    assert not AuditLog.objects.filter(event_type=AuditEvent.LOGIN).exists()
    # Another user logs in normally.
    assert (
        Client(REMOTE_ADDR="10.0.1.99").post("/login/", {"username": "auditor", "password": PASSWORD}).status_code
        == 302
    )


def test_login_is_limited_per_address(world, settings):
    settings.RATE_LIMITS = {"login_address": (2, 300)}
    client = Client(REMOTE_ADDR="10.0.2.1")
    for name in ("a", "b"):
        client.post("/login/", {"username": name, "password": "x"})
    response = client.post("/login/", {"username": "auditor", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_complaint_submission_is_limited(world, login, settings):
    settings.RATE_LIMITS = {"complaint": (1, 3600)}
    demand = served_demand(world)
    client = login(world.people.enterprise_user)
    data = {
        "enterprise": world.ent_jimei.pk,
        "demand": demand.pk,
        "subject": "拖延",
        "text": "已经一个月了还没有安排服务。",
    }
    assert client.post("/complaints/new/", data).status_code == 302
    response = client.post("/complaints/new/", data)
    assert response.status_code == 429
    assert "提交过于频繁，请稍后再试。" in response.content.decode()
    api = client.post(
        "/api/complaints",
        {"demand": demand.pk, "subject": "拖延", "text": "已经一个月了还没有安排服务。"},
        content_type="application/json",
    )
    assert api.status_code == 429
    assert api.json()["detail"] == "请求过于频繁，请稍后再试。"
    assert Complaint.objects.count() == 1
