"""Fuzzing the whole API from its OpenAPI schema (issue 10): whatever schemathesis sends —
wrong types, missing fields, huge and odd strings, unknown ids — the answer is never a
server error. Bounded: a few examples per operation, as an admin and as an enterprise user."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from qiservice.accounts.models import ApiToken
from qiservice.api.api import api

# The schema is the one /api/openapi.json serves, taken in-process (no request before the
# test database exists); requests go to the WSGI application itself.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
schema.app = get_wsgi_application()


@pytest.fixture
def tokens(world):
    return {
        role: "Bearer " + ApiToken.issue(getattr(world.people, role), "fuzz")[1]
        for role in ("admin", "enterprise_user")
    }


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, tokens):
    for token in tokens.values():
        case.call_and_validate(headers={"Authorization": token}, checks=[not_a_server_error])
