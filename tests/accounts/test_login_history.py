"""Login history per user: a view over the audit log (logins, failures with their reason,
logouts, lockouts, unlocks) with time, address and user agent; each user sees their own,
the agency admin and the auditor anyone's."""

import re

import pyotp
from django.test import Client

from qiservice.accounts import totp
from qiservice.accounts.models import LockKind, LoginThrottle, TotpDevice
from qiservice.core.models import AuditEvent, AuditLog

from ..conftest import PASSWORD

AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) pytest"


def entries(html):
    """(event label, detail) of each history entry on a page, newest first."""
    block = html.split('data-testid="login-history"', 1)[1].split("</ul>", 1)[0]
    items = re.findall(r'<li class="list-group-item" data-testid="history-([a-z_]+)">(.*?)</li>', block, re.S)
    return [(event, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()) for event, body in items]


def test_the_history_holds_every_kind_of_event_with_address_and_agent(world, login, settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    officer = world.people.officer_jimei
    client = Client(REMOTE_ADDR="10.30.0.1", HTTP_USER_AGENT=AGENT)
    client.post("/login/", {"username": "officer_jimei", "password": "Wrong-pass-1"})
    client.post("/login/", {"username": "officer_jimei", "password": PASSWORD})
    client.post("/logout/")
    # A TOTP failure.
    secret = totp.new_secret()
    TotpDevice.objects.create(user=officer, secret=totp.encrypt(secret))
    client.post("/login/", {"username": "officer_jimei", "password": PASSWORD})
    client.post("/login/totp/", {"code": str((int(pyotp.TOTP(secret).now()) + 1) % 1000000).zfill(6)})
    TotpDevice.objects.filter(user=officer).delete()
    # A lockout (the login reset the count: the TOTP failure and four more make five), a
    # refused attempt, an unlock.
    for n in range(4):
        Client(REMOTE_ADDR=f"10.30.1.{n}").post("/login/", {"username": "officer_jimei", "password": "Wrong-pass-1"})
    Client(REMOTE_ADDR="10.30.2.1").post("/login/", {"username": "officer_jimei", "password": PASSWORD})
    lock = LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key="officer_jimei")
    login(world.people.admin).post(f"/security/locks/{lock.pk}/unlock/")

    own = login(officer)
    assert 'href="/account/history/"' in own.get("/enterprises/").content.decode()  # the account menu
    html = own.get("/account/history/").content.decode()
    shown = entries(html)
    events = [event for event, _detail in shown]
    assert events == [
        "login",  # the session looking at the page
        "account_unlocked",
        "login_failed",
        "account_locked",
        "login_failed",
        "login_failed",
        "login_failed",
        "login_failed",
        "login_failed",
        "logout",
        "login",
        "login_failed",
    ]
    details = dict(enumerate(detail for _event, detail in shown[1:]))
    assert "解除锁定" in details[0] and "由 admin 解锁" in details[0]
    assert "登录失败 已锁定" in details[1] and "10.30.2.1" in details[1]
    assert "登录锁定 账户 锁定至" in details[2]
    assert "用户名或密码错误" in details[3] and "10.30.1.3" in details[3]
    assert "动态验证码错误" in details[7] and "10.30.0.1" in details[7] and "iPhone" in details[7]
    assert "退出登录" in details[8]
    assert "登录" in details[9] and "10.30.0.1" in details[9] and AGENT in details[9]
    assert "用户名或密码错误" in details[10]
    # The same records are the audit log's (one store, no copy).
    assert AuditLog.objects.filter(target_id=str(officer.pk), event_type=AuditEvent.LOGIN_FAILED).count() == 7
    # The account page shows the latest five.
    assert len(entries(own.get("/account/").content.decode())) == 5


def test_each_user_sees_only_their_own_history(world, login):
    Client(REMOTE_ADDR="10.31.0.1").post("/login/", {"username": "admin", "password": "Wrong-pass-1"})
    Client(REMOTE_ADDR="10.31.0.2").post("/login/", {"username": "officer_jimei", "password": "Wrong-pass-1"})
    officer = login(world.people.officer_jimei)
    html = officer.get("/account/history/").content.decode()
    assert "10.31.0.2" in html and "10.31.0.1" not in html
    # Another user's history is not found, whoever it belongs to.
    for other in (world.people.admin, world.people.officer_siming, world.people.officer_jimei):
        assert officer.get(f"/security/users/{other.pk}/").status_code == 404
    assert officer.get("/security/users/999999/").status_code == 404
    assert officer.get("/security/").status_code == 403
    # The agency admin and the auditor see anyone's.
    for viewer in (world.people.admin, world.people.auditor):
        page = login(viewer).get(f"/security/users/{world.people.admin.pk}/").content.decode()
        assert "10.31.0.1" in page and "10.31.0.2" not in page
        # (the admin's own login of this test's session comes first when the admin looks)
        assert [e for e, _d in entries(page) if e != "login"] == ["login_failed"]


def test_failures_of_names_that_do_not_exist_stay_in_the_audit_log_only(world, login):
    Client(REMOTE_ADDR="10.32.0.1").post("/login/", {"username": "ghost", "password": "Wrong-pass-1"})
    entry = AuditLog.objects.get(event_type=AuditEvent.LOGIN_FAILED)
    assert (entry.target_id, entry.extra["username"], entry.extra["reason"]) == ("", "ghost", "bad_password")
    audit = login(world.people.auditor).get("/audit/?event_type=login_failed").content.decode()
    assert "10.32.0.1" in audit
