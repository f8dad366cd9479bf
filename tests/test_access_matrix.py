"""The access matrix: every URL and API endpoint, as every role and anonymously, against
objects inside and outside the role's scope, checked against a declared table.

A new URL or API operation fails `test_every_endpoint_is_declared` until it is added here.
"""

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from qiservice.api.api import api
from tests import matrix
from tests.matrix.common import LOGIN, ROLES

# URL names that are not business endpoints, with the reason they are not in the table.
EXEMPT_NAMES = {
    "login": "the login page itself (tested in tests/accounts)",
    "logout": "POST only; tested in tests/accounts",
    "set_language": "Django's language switch",
    "javascript-catalog": "Django's translation catalogue for scripts",
}


def _modules():
    package = Path(matrix.__file__).parent
    for info in sorted(pkgutil.iter_modules([str(package)]), key=lambda m: m.name):
        if info.name != "common":
            yield importlib.import_module(f"tests.matrix.{info.name}")


MODULES = list(_modules())
UI = [row for m in MODULES for row in getattr(m, "UI", [])]
API = [row for m in MODULES for row in getattr(m, "API", [])]
FOUNDATION = next(m for m in MODULES if m.__name__.endswith(".foundation"))


def _fill(path, world, owner):
    """Fill the path's placeholders from its own module (and the foundation's objects);
    only when one is missing are the other modules asked, so a row's world holds only
    what it needs (another module's demands would widen the scopes under test)."""
    values = dict(FOUNDATION.objects(world))
    if owner is not FOUNDATION and hasattr(owner, "objects"):
        values.update(owner.objects(world))
    try:
        return path.format(**values)
    except KeyError:
        for module in MODULES:
            if module not in (owner, FOUNDATION) and hasattr(module, "objects"):
                values.update(module.objects(world))
        return path.format(**values)


def _cases():
    for module in MODULES:
        for method, path, expected, *body in [*getattr(module, "UI", []), *getattr(module, "API", [])]:
            payload = body[0] if body else {}
            yield pytest.param(module, method, path, expected, payload, id=f"{method} {path}")


def _request(client, method, url, path, body):
    if path.startswith("/api/"):
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    return client.post(url, body) if method == "POST" else client.get(url)


@pytest.mark.parametrize(("module", "method", "path", "expected", "body"), list(_cases()))
def test_access(world, login, module, method, path, expected, body):
    """Every role (and an anonymous visitor) against one endpoint. Each request runs in a
    savepoint that is rolled back, so one role's write never changes what the next sees."""
    url = _fill(path, world, module)
    wrong = []
    for role in ROLES:
        client = login(None if role == "anonymous" else getattr(world.people, role))
        with transaction.atomic():
            response = _request(client, method, url, path, body)
            transaction.set_rollback(True)
        wrong += _unsafe_policy(response)
        want = expected[role]
        if want == LOGIN:
            ok = response.status_code == 302 and response["Location"].startswith("/login/")
        else:
            ok = response.status_code == want
        if not ok:
            wrong.append(f"{role}: expected {want}, got {response.status_code} {response.content[:120]!r}")
    assert wrong == [], f"{method} {url}:\n" + "\n".join(wrong)


def _unsafe_policy(response):
    """Every answer carries the Content-Security-Policy: scripts from this origin's files
    only (no inline script, no eval), no framing (tests/core/test_security_headers.py)."""
    header = response.get("Content-Security-Policy", "")
    policy = {words[0]: words[1:] for words in (part.split() for part in header.split(";")) if words}
    if (
        policy.get("script-src") != ["'self'"]
        or "'unsafe-eval'" in header
        or policy.get("frame-ancestors") != ["'none'"]
    ):
        return [f"Content-Security-Policy missing or unsafe: {header!r}"]
    return []


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
