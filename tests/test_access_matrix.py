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


def _fill(path, world):
    values = {}
    for module in MODULES:
        if hasattr(module, "objects"):
            values.update(module.objects(world))
    return path.format(**values)


def _cases(rows):
    for method, path, expected, *body in rows:
        for role in ROLES:
            yield pytest.param(
                method, path, role, expected[role], body[0] if body else {}, id=f"{method} {path} as {role}"
            )


@pytest.mark.parametrize(("method", "path", "role", "expected", "body"), list(_cases(UI + API)))
def test_access(world, login, method, path, role, expected, body):
    client = login(None if role == "anonymous" else getattr(world.people, role))
    url = _fill(path, world)
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
