"""The access matrix: every URL and API endpoint, as every role and anonymously, against
objects inside and outside the role's scope, checked against a declared table.

A new URL or API operation fails `test_every_endpoint_is_declared` until it is added here.
"""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from qiservice.api.api import api

ROLES = [
    "anonymous",
    "admin",
    "officer_jimei",
    "officer_siming",
    "specialist",
    "specialist_siming",
    "institution_staff",
    "enterprise_user",
    "auditor",
    "outsider",
]

LOGIN = "login"  # anonymous UI requests are sent to the login page
ALL_OK = dict.fromkeys(ROLES[1:], 200)


def table(default, **overrides):
    row = {"anonymous": LOGIN} | dict.fromkeys(ROLES[1:], default)
    row.update(overrides)
    return row


def api_table(default, **overrides):
    return table(default, anonymous=401, **overrides)


# (method, path template, expected status per role). {ent_jimei} etc. are filled in from
# the test world: ent_jimei is in 集美 (in scope of the 集美 officer, the 集美 specialist and
# the enterprise user), ent_siming in 思明.
UI = [
    ("GET", "/", table(200)),
    ("GET", "/tokens/", table(200)),
    ("GET", "/password/", table(200)),
    ("GET", "/enterprises/", table(200)),
    (
        "GET",
        "/enterprises/new/",
        table(403, admin=200, officer_jimei=200, officer_siming=200, specialist=200, specialist_siming=200),
    ),
    (
        "GET",
        "/enterprises/{ent_jimei}/",
        table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=200),
    ),
    (
        "GET",
        "/enterprises/{ent_siming}/",
        table(404, admin=200, officer_siming=200, specialist_siming=200, auditor=200),
    ),
    (
        "GET",
        "/enterprises/{ent_jimei}/edit/",
        table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=403),
    ),
    ("GET", "/enterprises/{ent_huli}/edit/", table(404, admin=200, auditor=403)),
    ("GET", "/institutions/", table(200)),
    ("GET", "/institutions/new/", table(403, admin=200)),
    ("GET", "/institutions/{metrology}/", table(200)),
    ("GET", "/institutions/{metrology}/edit/", table(403, admin=200, institution_staff=200)),
    ("GET", "/institutions/{testing}/edit/", table(403, admin=200)),
    ("GET", "/specialists/", table(200)),
    ("GET", "/specialists/new/", table(403, admin=200, officer_jimei=200, officer_siming=200)),
    ("GET", "/specialists/{sp_jimei}/", table(404, admin=200, officer_jimei=200, specialist=200, auditor=200)),
    ("GET", "/specialists/{sp_jimei}/edit/", table(404, admin=200, officer_jimei=200, specialist=200, auditor=403)),
    (
        "GET",
        "/specialists/{sp_siming}/edit/",
        table(404, admin=200, officer_siming=200, specialist_siming=200, auditor=403),
    ),
    # A status change form posted empty: the agency gets its form error (a redirect back);
    # the specialist may edit their profile but not their own status.
    (
        "POST",
        "/specialists/{sp_jimei}/status/",
        table(404, admin=302, officer_jimei=302, specialist=403, auditor=403),
    ),
    ("POST", "/tokens/{token}/revoke/", table(404, outsider=302)),
    ("GET", "/audit/", table(403, admin=200, auditor=200)),
]

API = [
    ("GET", "/api/me", api_table(200)),
    ("GET", "/api/districts", api_table(200)),
    ("GET", "/api/audit-log", api_table(403, admin=200, auditor=200)),
    ("GET", "/api/enterprises", api_table(200)),
    (
        "GET",
        "/api/enterprises/{ent_jimei}",
        api_table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=200),
    ),
    ("GET", "/api/enterprises/{ent_huli}", api_table(404, admin=200, auditor=200)),
    (
        "POST",
        "/api/enterprises",
        api_table(403, admin=422, officer_jimei=422, officer_siming=422, specialist=422, specialist_siming=422),
    ),
    (
        "PATCH",
        "/api/enterprises/{ent_jimei}",
        api_table(404, admin=200, officer_jimei=200, specialist=200, enterprise_user=200, auditor=403),
    ),
    ("GET", "/api/institutions", api_table(200)),
    ("GET", "/api/institutions/{metrology}", api_table(200)),
    ("POST", "/api/institutions", api_table(403, admin=422)),
    ("PATCH", "/api/institutions/{metrology}", api_table(403, admin=200, institution_staff=200)),
    ("GET", "/api/specialists", api_table(200)),
    ("GET", "/api/specialists/{sp_jimei}", api_table(404, admin=200, officer_jimei=200, specialist=200, auditor=200)),
    ("POST", "/api/specialists", api_table(403, admin=422, officer_jimei=422, officer_siming=422)),
    (
        "PATCH",
        "/api/specialists/{sp_jimei}",
        api_table(404, admin=200, officer_jimei=200, specialist=200, auditor=403),
    ),
    # An impossible transition (active → applicant): refused with 422 once access is granted.
    (
        "POST",
        "/api/specialists/{sp_jimei}/status",
        api_table(404, admin=422, officer_jimei=422, specialist=403, auditor=403),
        {"to_status": "applicant", "reason": "测试"},
    ),
]

# URL names that are not business endpoints, with the reason they are not in the table.
EXEMPT_NAMES = {
    "login": "the login page itself (tested in tests/accounts)",
    "logout": "POST only; tested in tests/accounts",
    "set_language": "Django's language switch",
    "javascript-catalog": "Django's translation catalogue for scripts",
}


def _fill(path, world, token):
    values = {
        "ent_jimei": world.ent_jimei.pk,
        "ent_siming": world.ent_siming.pk,
        "ent_huli": world.ent_huli.pk,
        "metrology": world.metrology.pk,
        "testing": world.testing.pk,
        "sp_jimei": world.sp_jimei.pk,
        "sp_siming": world.sp_siming.pk,
        "token": token.pk,
    }
    return path.format(**values)


def _cases(rows):
    for method, path, expected, *body in rows:
        for role in ROLES:
            yield pytest.param(
                method, path, role, expected[role], body[0] if body else {}, id=f"{method} {path} as {role}"
            )


@pytest.mark.parametrize(("method", "path", "role", "expected", "body"), list(_cases(UI + API)))
def test_access(world, login, method, path, role, expected, body):
    from qiservice.accounts.models import ApiToken

    token, _key = ApiToken.issue(world.people.outsider, "matrix")
    client = login(None if role == "anonymous" else getattr(world.people, role))
    url = _fill(path, world, token)
    if path.startswith("/api/"):
        body = json.dumps(body)
    response = (
        client.generic(method, url, body, content_type="application/json")
        if path.startswith("/api/")
        else (client.post(url, body) if method == "POST" else client.get(url))
    )
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    else:
        assert response.status_code == expected, response.content[:300]


def _ui_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin", "api"):
                continue
            yield from _ui_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, "/" + prefix + str(entry.pattern)


def _normalise(path):
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path).rstrip("$").replace("^", "")


def test_every_endpoint_is_declared():
    declared_ui = {_normalise(row[1]) for row in UI}
    missing = [
        (name, path)
        for name, path in _ui_patterns()
        if name not in EXEMPT_NAMES and _normalise(path) not in declared_ui
    ]
    assert missing == [], f"declare these URLs in the access matrix: {missing}"

    declared_api = {(row[0], _normalise(row[1])) for row in API}
    schema = api.get_openapi_schema()
    operations = {
        (method.upper(), _normalise(path.rstrip("/")))
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations - declared_api == set(), "declare these API operations in the access matrix"
