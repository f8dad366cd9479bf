"""The TOTP second factor (RFC 6238): enrolment with a QR code and one code, login in two
steps, wrong and replayed codes, disabling with the password, the admin's reset, and the
enrolment required of agency admins."""

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from qiservice.accounts import totp
from qiservice.accounts.models import ApiToken, LockKind, LoginThrottle, TotpDevice
from qiservice.core.models import AuditEvent, AuditLog

from ..conftest import PASSWORD


def enrolled(user, last_step=None):
    """A confirmed authenticator for `user`; returns its pyotp.TOTP."""
    secret = totp.new_secret()
    TotpDevice.objects.create(user=user, secret=totp.encrypt(secret), last_step=last_step)
    return pyotp.TOTP(secret)


def password_step(username, address="10.20.0.1"):
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT="pytest-phone/2.0")
    response = client.post("/login/", {"username": username, "password": PASSWORD, "next": "/enterprises/"})
    return client, response


def signed_in(client):
    return "_auth_user_id" in client.session


def secret_on(page):
    return re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_enrolment_shows_a_qr_code_and_the_key_once_and_needs_one_code(world, login):
    user = world.people.specialist
    client = login(user)
    page = client.get("/account/totp/").content.decode()
    assert 'data-testid="totp-qr"><svg' in page
    secret = secret_on(page)
    assert secret_on(client.get("/account/totp/").content.decode()) == secret  # the same key on reload
    # A wrong code: refused, nothing stored.
    wrong = str((int(pyotp.TOTP(secret).now()) + 500000) % 1000000).zfill(6)
    response = client.post("/account/totp/", {"code": wrong})
    assert "验证码不正确" in response.content.decode()
    assert not TotpDevice.objects.filter(user=user).exists()
    response = client.post("/account/totp/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response["Location"] == "/account/"
    device = TotpDevice.objects.get(user=user)
    assert secret not in device.secret and totp.decrypt(device.secret) == secret  # encrypted at rest
    assert AuditLog.objects.filter(event_type=AuditEvent.TOTP_ENABLED, target_id=str(user.pk)).exists()
    # Never shown again.
    account = client.get("/account/", follow=True).content.decode()
    assert "已启用" in account and secret not in account
    assert client.get("/account/totp/")["Location"] == "/account/"
    assert "totp_enrolment" not in client.session


def test_login_asks_for_the_code_after_the_password(world):
    code = enrolled(world.people.officer_jimei)
    client, response = password_step("officer_jimei")
    assert response.status_code == 302 and response["Location"] == "/login/totp/"
    assert not signed_in(client)
    assert client.get("/enterprises/")["Location"].startswith("/login/")
    assert not AuditLog.objects.filter(event_type=AuditEvent.LOGIN).exists()
    assert "6位动态验证码" in client.get("/login/totp/").content.decode()
    response = client.post("/login/totp/", {"code": code.now()})
    assert response.status_code == 302 and response["Location"] == "/enterprises/"
    assert signed_in(client)
    entry = AuditLog.objects.get(event_type=AuditEvent.LOGIN)
    assert entry.extra["user_agent"] == "pytest-phone/2.0"


def test_a_wrong_code_is_refused_and_counts_towards_the_lockout(world, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    code = enrolled(world.people.officer_jimei)
    wrong = str((int(code.now()) + 500000) % 1000000).zfill(6)
    client, _response = password_step("officer_jimei")
    response = client.post("/login/totp/", {"code": wrong})
    assert "动态验证码不正确或已使用过" in response.content.decode()
    assert not signed_in(client)
    failed = AuditLog.objects.get(event_type=AuditEvent.LOGIN_FAILED)
    assert failed.extra["reason"] == "bad_totp"
    for _n in range(4):
        response = client.post("/login/totp/", {"code": wrong})
    assert "已暂时锁定" in response.content.decode()
    assert LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key="officer_jimei").is_locked()
    # The pending login is dropped: the right code no longer helps, nor the password again.
    assert client.post("/login/totp/", {"code": code.now()})["Location"] == "/login/"
    client, response = password_step("officer_jimei", address="10.20.0.9")
    assert "已暂时锁定" in response.content.decode() and not signed_in(client)


def test_a_code_cannot_be_replayed(world):
    code = enrolled(world.people.officer_jimei)
    now = code.now()
    client, _response = password_step("officer_jimei")
    client.post("/login/totp/", {"code": now})
    assert signed_in(client)
    # Someone who saw the code and knows the password tries it within the same 30 seconds.
    other, _response = password_step("officer_jimei", address="10.20.0.2")
    response = other.post("/login/totp/", {"code": now})
    assert "动态验证码不正确或已使用过" in response.content.decode()
    assert not signed_in(other)


def test_codes_one_step_either_side_are_accepted_for_clock_drift_but_not_older(world):
    code = enrolled(world.people.officer_jimei)
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        window = {code.at(now + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
        client, _response = password_step("officer_jimei")
        older = code.at(now - timedelta(seconds=90))
        if older not in window:  # a six-digit collision is possible, if unlikely
            client.post("/login/totp/", {"code": older})
            assert not signed_in(client)
        client.post("/login/totp/", {"code": code.at(now - timedelta(seconds=30))})
        assert signed_in(client)


def test_the_pending_second_step_expires(world):
    enrolled(world.people.officer_jimei)
    client, _response = password_step("officer_jimei")
    session = client.session
    session["totp_pending"]["at"] -= 301
    session.save()
    assert client.get("/login/totp/")["Location"] == "/login/"


def test_disabling_needs_the_password(world, login):
    user = world.people.specialist
    enrolled(user)
    client = login(user)
    response = client.post("/account/totp/disable/", {"password": "Not-my-pass-1"}, follow=True)
    assert "密码不正确，双因素认证未停用。" in response.content.decode()
    assert TotpDevice.objects.filter(user=user).exists()
    response = client.post("/account/totp/disable/", {"password": PASSWORD}, follow=True)
    assert "双因素认证已停用。" in response.content.decode()
    assert not TotpDevice.objects.filter(user=user).exists()
    assert AuditLog.objects.filter(event_type=AuditEvent.TOTP_DISABLED, actor=user).exists()


def test_the_agency_admin_resets_a_lost_authenticator(world, login):
    user = world.people.officer_jimei
    enrolled(user)
    assert login(world.people.officer_siming).post(f"/security/users/{user.pk}/reset-totp/").status_code == 404
    assert login(world.people.auditor).post(f"/security/users/{user.pk}/reset-totp/").status_code == 403
    assert TotpDevice.objects.filter(user=user).exists()
    response = login(world.people.admin).post(f"/security/users/{user.pk}/reset-totp/", follow=True)
    assert "已重置" in response.content.decode()
    assert not TotpDevice.objects.filter(user=user).exists()
    entry = AuditLog.objects.get(event_type=AuditEvent.TOTP_RESET)
    assert (entry.actor, entry.target_id) == (world.people.admin, str(user.pk))
    client, response = password_step("officer_jimei")
    assert signed_in(client), "after the reset the password alone signs in"


@pytest.fixture
def totp_required(settings):
    settings.TOTP_REQUIRED_FOR_ADMINS = True


def test_admins_without_totp_must_enrol_first_when_required(world, login, totp_required):
    admin = world.people.admin
    _token, key = ApiToken.issue(admin, "对接")
    client = login(admin)
    for path in ("/", "/enterprises/", "/audit/", "/security/", "/account/"):
        assert client.get(path)["Location"] == "/account/totp/", path
    page = client.get("/account/totp/").content.decode()
    assert "管理机构管理员须启用双因素认证后才能继续使用平台。" in page
    assert client.get("/api/me").status_code == 401
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    # Other roles are not asked.
    assert login(world.people.officer_jimei).get("/enterprises/").status_code == 200
    client.post("/account/totp/", {"code": pyotp.TOTP(secret_on(page)).now()})
    assert client.get("/enterprises/").status_code == 200
    # Nor may the admin switch it off again.
    response = client.post("/account/totp/disable/", {"password": PASSWORD}, follow=True)
    assert "管理机构管理员必须使用双因素认证，不能停用。" in response.content.decode()
    assert TotpDevice.objects.filter(user=admin).exists()


def test_when_not_required_admins_are_not_asked(world, login):
    assert login(world.people.admin).get("/enterprises/").status_code == 200
