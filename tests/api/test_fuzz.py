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


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the WSGI handler, whose request_finished signal closes the
    database connection (and with it the test's transaction on PostgreSQL); Django's own
    test client disconnects that handler in the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world):
    return {
        role: "Bearer " + ApiToken.issue(getattr(world.people, role), "fuzz")[1]
        for role in ("admin", "enterprise_user")
    }


@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, tokens):
    for token in tokens.values():
        case.call_and_validate(headers={"Authorization": token}, checks=[not_a_server_error])


def test_an_id_beyond_64_bits_is_a_clear_4xx_not_a_server_error(world, login):
    """Found by the fuzzer: SQLite cannot bind integers beyond 64 bits."""
    from qiservice.demands.models import SpecialTask

    huge = 9122467115911049389017808240640
    client = login(world.people.admin)
    response = client.post(
        "/api/tasks",
        {
            "title": "专项",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "targets": [{"enterprise": huge, "specialist": world.sp_jimei.pk}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    # SQLite cannot bind the number; PostgreSQL looks it up and finds nothing.
    assert response.json()["detail"][0]["msg"] in ("数值超出允许范围。", "服务对象不存在，或不在您的管理范围内。")
    assert not SpecialTask.objects.exists()
    assert client.get(f"/demands/{huge}/").status_code == 404
    assert client.get(f"/api/demands/{huge}").status_code == 404
