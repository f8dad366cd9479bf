"""Lockout after 5 failed logins per account name and per address (等保 2.0 / ASVS 2.2):
unlocked by time or by the agency admin; the same answer for names that do not exist."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qiservice.accounts.models import ApiToken, LockKind, LoginThrottle
from qiservice.core.models import AuditEvent, AuditLog

from ..conftest import PASSWORD

LOCKED = "登录失败次数过多，已暂时锁定。请 15 分钟后再试，或联系管理机构管理员解锁。"
WRONG = "用户名或密码不正确，请重新输入。"


def attempt(username, password, address="10.1.0.1"):
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT="pytest-browser/1.0")
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def alert(response):
    """The text of the login page's error box."""
    match = re.search(r'<div class="alert alert-danger"[^>]*>([^<]+)</div>', response.content.decode())
    return match.group(1).strip() if match else None


def fail_from_many_addresses(username, times=5):
    """Failures of one name from different addresses, so only the account counter counts."""
    return [attempt(username, "Wrong-pass-1", address=f"10.2.0.{n}")[1] for n in range(times)]


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _lockout_policy(settings):
    settings.LOGIN_LOCKOUT_ATTEMPTS = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15


def test_five_failures_lock_the_account_and_the_sixth_attempt_is_refused_even_with_the_right_password(world):
    responses = fail_from_many_addresses("admin")
    assert [alert(r) for r in responses[:4]] == [WRONG] * 4
    assert alert(responses[4]) == LOCKED  # the fifth failure locks, and says so
    client, response = attempt("admin", PASSWORD, address="10.3.0.1")
    assert response.status_code == 200
    assert alert(response) == LOCKED
    assert not signed_in(client)
    assert not AuditLog.objects.filter(event_type=AuditEvent.LOGIN).exists()
    lock = LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key="admin")
    assert lock.failures == 5
    assert timedelta(minutes=14) < lock.locked_until - timezone.now() <= timedelta(minutes=15)
    # Recorded: the lockout on the user, and the refused attempt with its reason.
    locked = AuditLog.objects.get(event_type=AuditEvent.ACCOUNT_LOCKED)
    assert locked.target_id == str(world.people.admin.pk)
    assert locked.extra["kind"] == "account"
    refused = AuditLog.objects.filter(event_type=AuditEvent.LOGIN_FAILED).first()  # newest first
    assert refused.extra["reason"] == "locked"
    assert refused.ip_address == "10.3.0.1"
    # The name is locked in any spelling; other users are not affected.
    assert alert(attempt("ADMIN", PASSWORD, address="10.3.0.2")[1]) == LOCKED
    client, response = attempt("auditor", PASSWORD, address="10.3.0.3")
    assert response.status_code == 302 and signed_in(client)


def test_five_failures_from_one_address_lock_the_address_for_every_account(world):
    for name in ("a1", "a2", "a3", "a4", "admin"):
        attempt(name, "Wrong-pass-1", address="10.4.0.1")
    client, response = attempt("auditor", PASSWORD, address="10.4.0.1")
    assert alert(response) == LOCKED
    assert not signed_in(client)
    assert LoginThrottle.objects.get(kind=LockKind.ADDRESS, key="10.4.0.1").is_locked()
    # The accounts themselves are not locked: from another address the auditor gets in.
    client, response = attempt("auditor", PASSWORD, address="10.4.0.2")
    assert signed_in(client)


def test_a_name_that_does_not_exist_gets_the_same_answers(world):
    known = fail_from_many_addresses("admin")
    unknown = fail_from_many_addresses("nobody-here")
    assert [alert(r) for r in known] == [alert(r) for r in unknown]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert alert(attempt("nobody-here", PASSWORD, address="10.5.0.1")[1]) == LOCKED
    assert alert(attempt("admin", PASSWORD, address="10.5.0.2")[1]) == LOCKED


def test_the_lock_ends_by_time(world):
    fail_from_many_addresses("officer_jimei")
    lock = LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key="officer_jimei")
    # 16 minutes later (the stored times moved back instead of sleeping).
    earlier = timezone.now() - timedelta(minutes=16)
    LoginThrottle.objects.filter(pk=lock.pk).update(
        locked_until=earlier + timedelta(minutes=15), last_failure_at=earlier
    )
    # A failure after the lock starts a new count: one failure, not locked again.
    assert alert(attempt("officer_jimei", "Wrong-pass-1", address="10.6.0.1")[1]) == WRONG
    lock.refresh_from_db()
    assert (lock.failures, lock.locked_until) == (1, None)
    client, _response = attempt("officer_jimei", PASSWORD, address="10.6.0.2")
    assert signed_in(client)
    # A successful login resets the account's counter.
    assert not LoginThrottle.objects.filter(kind=LockKind.ACCOUNT, key="officer_jimei").exists()


def test_failures_spread_over_more_than_the_window_do_not_lock(world):
    fail_from_many_addresses("officer_jimei", times=4)
    LoginThrottle.objects.filter(kind=LockKind.ACCOUNT).update(last_failure_at=timezone.now() - timedelta(minutes=20))
    attempt("officer_jimei", "Wrong-pass-1", address="10.7.0.1")
    lock = LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key="officer_jimei")
    assert (lock.failures, lock.is_locked()) == (1, False)


def test_a_successful_login_resets_the_account_counter(world):
    fail_from_many_addresses("sp_jimei", times=4)
    client, _response = attempt("sp_jimei", PASSWORD, address="10.8.0.1")
    assert signed_in(client)
    fail_from_many_addresses("sp_jimei", times=4)
    client, _response = attempt("sp_jimei", PASSWORD, address="10.8.0.2")
    assert signed_in(client), "8 failures in all, but never 5 in a row"


def test_the_agency_admin_unlocks_an_account_from_the_security_pages(world, login):
    officer = world.people.officer_jimei
    fail_from_many_addresses(officer.username)
    lock = LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key=officer.username)
    admin = login(world.people.admin)
    overview = admin.get("/security/").content.decode()
    assert "officer_jimei" in overview.split('data-testid="locks"')[1].split("</ul>")[0]
    page = admin.get(f"/security/users/{officer.pk}/").content.decode()
    assert "已锁定" in page.split('data-testid="lock-state"')[1]
    # The auditor sees the lock but may not lift it; others do not even see the page.
    assert login(world.people.auditor).post(f"/security/locks/{lock.pk}/unlock/").status_code == 403
    assert login(world.people.officer_siming).post(f"/security/locks/{lock.pk}/unlock/").status_code == 404
    lock.refresh_from_db()
    assert lock.is_locked()
    response = admin.post(f"/security/locks/{lock.pk}/unlock/", {"next": f"/security/users/{officer.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/security/users/{officer.pk}/"
    lock.refresh_from_db()
    assert (lock.is_locked(), lock.failures) == (False, 0)
    entry = AuditLog.objects.get(event_type=AuditEvent.ACCOUNT_UNLOCKED)
    assert (entry.actor, entry.target_id) == (world.people.admin, str(officer.pk))
    # Unlocking again changes nothing and says why.
    response = admin.post(f"/security/locks/{lock.pk}/unlock/", follow=True)
    assert "该锁定已解除或已到期" in response.content.decode()
    assert AuditLog.objects.filter(event_type=AuditEvent.ACCOUNT_UNLOCKED).count() == 1
    client, _response = attempt(officer.username, PASSWORD, address="10.9.0.1")
    assert signed_in(client)


def test_the_admin_unlocks_an_address(world, login):
    for n in range(5):
        attempt(f"guess{n}", "Wrong-pass-1", address="10.10.0.1")
    lock = LoginThrottle.objects.get(kind=LockKind.ADDRESS, key="10.10.0.1")
    assert lock.is_locked()
    login(world.people.admin).post(f"/security/locks/{lock.pk}/unlock/")
    client, _response = attempt("auditor", PASSWORD, address="10.10.0.1")
    assert signed_in(client)


def test_api_tokens_are_not_affected_by_a_locked_account(world):
    _token, key = ApiToken.issue(world.people.admin, "对接")
    fail_from_many_addresses("admin")
    response = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "admin"


def test_the_admin_login_form_is_the_platforms(world):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"


def test_old_counters_are_purged_but_locks_in_force_are_kept(world):
    fail_from_many_addresses("officer_jimei")  # locked now
    attempt("auditor", "Wrong-pass-1", address="10.11.0.1")
    LoginThrottle.objects.filter(key__in=("auditor", "10.11.0.1")).update(
        last_failure_at=timezone.now() - timedelta(minutes=16)
    )
    from qiservice.accounts.tasks import purge_login_throttles

    purge_login_throttles.call_local()
    keys = set(LoginThrottle.objects.values_list("key", flat=True))
    assert "officer_jimei" in keys
    assert not keys & {"auditor", "10.11.0.1"}
