"""Password rules (length, character classes, not the username, not common, not one of the
last 5), the password change page, expiry, and the inactivity timeout of the session."""

import itertools
import time
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qiservice.accounts.middleware import SessionActivityMiddleware
from qiservice.accounts.models import ApiToken, PasswordHistory, User
from qiservice.core.demo import DEMO_PASSWORD
from qiservice.core.models import AuditEvent, AuditLog

from ..conftest import PASSWORD
from ..public.test_accounts import form


def change(client, new, old=PASSWORD, again=None):
    return client.post(
        "/password/", {"old_password": old, "new_password1": new, "new_password2": new if again is None else again}
    )


def state(user):
    user.refresh_from_db()
    return (
        user.password,
        user.password_changed_at,
        PasswordHistory.objects.filter(user=user).count(),
        AuditLog.objects.filter(event_type=AuditEvent.PASSWORD_CHANGED).count(),
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Short-26a", "密码至少需要 12 个字符。"),
        ("lowercase-only-words", "密码须包含大写字母、小写字母、数字、符号四类中的至少 3 类。"),
        ("abcdefgh2026", "密码须包含大写字母、小写字母、数字、符号四类中的至少 3 类。"),
        ("My-Officer_Jimei-1", "密码不能包含用户名。"),
        ("Iemij_reciffo-2026", "密码不能包含用户名。"),  # the username backwards
        ("Officer-Jime1x", "密码与用户名过于相似。"),
        ("1Qaz2wsx3edc", "这个密码太常见了。"),
        (PASSWORD, "不能使用最近 5 次用过的密码，请换一个新密码。"),  # the current one
    ],
)
def test_each_rule_refuses_with_its_chinese_message_and_nothing_changes(world, login, new, message):
    officer = world.people.officer_jimei
    client = login(officer)
    before = state(officer)
    response = change(client, new)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body.split('data-testid="error-new_password1"')[1].split("</div>")[0]
    assert state(officer) == before


def test_wrong_current_password_and_mismatch_are_refused(world, login):
    officer = world.people.officer_jimei
    client = login(officer)
    before = state(officer)
    assert "当前密码不正确" in change(client, "Fresh-Quality-2026", old="Not-the-one-1").content.decode()
    assert "两次输入的新密码不一致" in change(client, "Fresh-Quality-2026", again="Fresh-Quality-2027").content.decode()
    assert state(officer) == before


def test_a_good_change_is_saved_audited_and_keeps_the_user_signed_in(world, login):
    officer = world.people.officer_jimei
    client = login(officer)
    response = change(client, "Fresh-Quality-2026")
    assert response.status_code == 302 and response["Location"] == "/account/"
    officer.refresh_from_db()
    assert officer.check_password("Fresh-Quality-2026")
    assert timezone.now() - officer.password_changed_at < timedelta(seconds=5)
    entry = AuditLog.objects.get(event_type=AuditEvent.PASSWORD_CHANGED)
    assert (entry.actor, entry.target_id) == (officer, str(officer.pk))
    assert "Fresh-Quality-2026" not in str(entry.changes) + str(entry.extra)
    page = client.get("/account/")  # the session survives the change
    assert page.status_code == 200 and "密码已修改。" in page.content.decode()


def test_none_of_the_last_five_passwords_may_be_used_again(world, login):
    officer = world.people.officer_jimei
    client = login(officer)
    passwords = [PASSWORD] + [f"Rotation-2026-{n}x" for n in range(5)]
    for old, new in itertools.pairwise(passwords):
        assert change(client, new, old=old).status_code == 302
    current = passwords[-1]
    assert PasswordHistory.objects.filter(user=officer).count() == 5
    # The last five (the current one included) are refused ...
    for used in passwords[1:]:
        response = change(client, used, old=current)
        assert "不能使用最近 5 次用过的密码" in response.content.decode(), used
    # ... the sixth-last (the original) is allowed again.
    assert change(client, PASSWORD, old=current).status_code == 302


def test_the_rules_apply_at_registration_too(db):
    data = form(username="zhaomin", password1="Zhaomin-2026", password2="Zhaomin-2026")
    response = Client().post("/public/register/", data)
    assert "密码不能包含用户名。" in response.content.decode()
    response = Client().post("/public/register/", form(password1="Short-2026", password2="Short-2026"))
    assert "密码至少需要 12 个字符。" in response.content.decode()
    assert not User.objects.filter(username="zhaomin").exists()


def test_the_demo_and_test_passwords_pass_the_rules(world):
    for person in vars(world.people).values():
        validate_password(PASSWORD, User(username=person.username, name=person.name, email=person.email))
        validate_password(DEMO_PASSWORD, User(username=person.username, name=person.name, email=person.email))
    for username in ("admin", "officer", "specialist", "institution", "enterprise", "auditor", "qi"):
        validate_password(DEMO_PASSWORD, User(username=username, email=f"{username}@example.cn"))


# --- expiry -----------------------------------------------------------------------------------


def age(user, days):
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=days))


def test_an_expired_password_must_be_changed_before_anything_else(world, login, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    officer = world.people.officer_jimei
    _token, key = ApiToken.issue(officer, "对接")
    age(officer, 91)
    client = login(officer)
    for path in ("/", "/enterprises/", f"/enterprises/{world.ent_jimei.pk}/", "/account/", "/tokens/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/password/"), path
    assert client.post("/tokens/", {"name": "x"}).status_code == 302
    assert not ApiToken.objects.filter(name="x").exists()
    page = client.get("/password/").content.decode()
    assert "您的密码已超过 90 天未修改" in page
    # The API refuses the session too, but a token still works.
    assert client.get("/api/me").status_code == 401
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert change(client, "Renewed-Quality-2026").status_code == 302
    assert client.get("/enterprises/").status_code == 200
    assert client.get("/api/me").status_code == 200


def test_a_password_within_its_age_or_with_expiry_off_is_not_forced(world, login, settings):
    officer = world.people.officer_jimei
    age(officer, 400)
    settings.PASSWORD_MAX_AGE_DAYS = 0
    assert login(officer).get("/enterprises/").status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 500
    assert login(officer).get("/enterprises/").status_code == 200


def test_an_account_without_a_recorded_change_counts_from_when_it_was_made(world, login, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    officer = world.people.officer_jimei
    User.objects.filter(pk=officer.pk).update(password_changed_at=None, date_joined=timezone.now() - timedelta(days=31))
    assert login(officer).get("/enterprises/")["Location"] == "/password/"


# --- inactivity ---------------------------------------------------------------------------


def test_an_idle_session_beyond_the_limit_is_logged_out(world, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = Client()
    assert client.post("/login/", {"username": "auditor", "password": PASSWORD}).status_code == 302
    assert client.get("/enterprises/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # Each request pushes the expiry on: the limit counts from the last request.
    assert timedelta(minutes=29) < session.expire_date - timezone.now() <= timedelta(minutes=30)
    # 31 idle minutes later (the stored expiry moved back instead of waiting) ...
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(minutes=1))
    response = client.get("/enterprises/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/me").status_code == 401


def session_writes(queries):
    return [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]


def test_a_page_view_soon_after_the_last_one_does_not_write_the_session(world, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = Client()
    assert client.post("/login/", {"username": "auditor", "password": PASSWORD}).status_code == 302
    assert client.get("/enterprises/").status_code == 200
    stored = Session.objects.get(session_key=client.session.session_key)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/enterprises/")
    assert response.status_code == 200 and "auditor" in response.content.decode()
    assert session_writes(queries.captured_queries) == []
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # the cookie is not re-sent either
    assert Session.objects.get(pk=stored.pk).expire_date == stored.expire_date
    # The API with the session cookie counts as activity the same way.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me").status_code == 200
    assert session_writes(queries.captured_queries) == []


def test_a_page_view_a_minute_after_the_last_refresh_pushes_the_expiry_on(world, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = Client()
    assert client.post("/login/", {"username": "auditor", "password": PASSWORD}).status_code == 302
    key = client.session.session_key
    # The session as it would be stored 20 minutes after its last refresh.
    store = SessionStore(session_key=key)
    store[SessionActivityMiddleware.KEY] = int(time.time()) - 20 * 60
    store.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=10))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/enterprises/")
    assert response.status_code == 200
    assert len(session_writes(queries.captured_queries)) == 1
    assert timedelta(minutes=29) < Session.objects.get(pk=key).expire_date - timezone.now() <= timedelta(minutes=30)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60
    assert abs(SessionStore(session_key=key)[SessionActivityMiddleware.KEY] - time.time()) < 5


def test_an_anonymous_visit_stores_no_session(world):
    before = Session.objects.count()
    client = Client()
    assert client.get("/login/").status_code == 200
    assert client.get("/enterprises/").status_code == 302
    assert Session.objects.count() == before


def test_generated_initial_passwords_meet_the_rules(world):
    from qiservice.specialists.workflow import new_initial_password

    for _n in range(50):
        validate_password(new_initial_password(), User(username="sp_new", name="新专员"))
