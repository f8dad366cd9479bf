"""A bounded load run in the suite (issue 10, item 10): gunicorn with two workers on
127.0.0.1 against the test database, filled with a small synthetic data set
(`generate_data --scale town`, fewer demands), and bench/load.py's client in a separate
process sending its mixed workload (`load.workload`: the pages and API calls of six roles,
reads and registrations) at a modest fixed rate. Every request must succeed (no 5xx, no refused
connection, no timeout) and every request type must have been sent. Throughput and
latency are printed, not asserted (the machine is shared).

QI_LOAD_RATE / QI_LOAD_SECONDS change the rate and the length of the run."""

import io
import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench import load
from qiservice.accounts.models import RoleAssignment
from qiservice.demands.models import Demand
from tests.conftest import shared_database_url

pytestmark = pytest.mark.load

RATE = float(os.environ.get("QI_LOAD_RATE", 20))
SECONDS = float(os.environ.get("QI_LOAD_SECONDS", 12))
WORKERS = 2
DEMANDS = 300


def test_a_bounded_load_on_the_real_server_has_no_errors(concurrent_db, tmp_path, record_property):
    call_command("generate_data", scale="town", demands=DEMANDS, seed=10, stdout=io.StringIO())
    requests = load.workload()
    assert RoleAssignment.objects.filter(user__username__startswith="load_").count() == 5
    before = Demand.objects.count()
    env = dict(
        os.environ,
        DATABASE_URL=shared_database_url(),
        SECRET_KEY=settings.SECRET_KEY,  # the sessions were signed here
        QI_VAR_DIR=str(tmp_path),
        QUEUE_IMMEDIATE="1",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="qiservice.settings",
    )
    env.pop("DEBUG", None)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as server_log, load.start_server(WORKERS, env, stdout=server_log, stderr=server_log) as server:
        result = load.run_load(
            server.port, requests, rate=RATE, seconds=SECONDS, warm_seconds=2, timeout=60, probe=server.probe()
        )

    figures = [
        f"load ({connection.vendor}, {WORKERS} gunicorn workers): {result['requests']} requests at {RATE:g}/s "
        f"in {result['seconds']} s: {result['throughput']} req/s, p50 {result['p50']} ms, p99 {result['p99']} ms, "
        f"{result['errors']} errors; server CPU {result['cpu_seconds']['server'] * 1000 / result['requests']:.1f} ms "
        f"and client CPU {result['client_cpu_seconds'] * 1000 / result['requests']:.1f} ms per request"
    ]
    figures += [
        f"  {name:<28} {f['requests']:>4} requests, p50 {f['p50']} ms, p99 {f['p99']} ms"
        for name, f in result["types"].items()
    ]
    record_property("figures", "\n".join(figures))  # printed at the end of the run (tests/conftest.py)
    assert result["warm"]["errors"] == 0, (result["warm"]["first_errors"], log.read_text()[-3000:])
    assert result["errors"] == 0, (result["first_errors"], log.read_text()[-3000:])
    assert result["requests"] == int(RATE * SECONDS)
    unexercised = [name for name, figures in result["types"].items() if figures["requests"] == 0]
    assert not unexercised, f"request types never sent: {unexercised}"
    registered = sum(run["types"]["api: register"]["requests"] for run in (result, result["warm"]))
    assert Demand.objects.count() == before + registered, "every registration answered 201 is stored"
