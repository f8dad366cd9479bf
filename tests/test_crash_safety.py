"""Crash safety (issue 10): the server is killed (SIGKILL) in the middle of a burst of writes;
afterwards the database holds only whole registrations — each demand with its categories,
history, deadline, assignment and audit record, the number sequence without gaps, the audit
chain intact. Runs against a real gunicorn on a database of its own (SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL)."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from bench import load

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SETUP = """
from tests.conftest import build_world
from qiservice.accounts.models import ApiToken
world = build_world()
print(json.dumps({"token": ApiToken.issue(world.people.specialist, "burst")[1], "enterprise": world.ent_jimei.pk}))
"""

CHECK = """
from django.db import connection

from bench import load
from django.db.models import Count, Q
from qiservice.core import audit_chain
from qiservice.core.models import AuditLog
from qiservice.demands.models import Demand, DemandSequence
demands = Demand.objects.annotate(
    n_categories=Count("category_rows", distinct=True),
    n_registrations=Count("status_changes", filter=Q(status_changes__action="register"), distinct=True),
    n_deadlines=Count("deadlines", filter=Q(deadlines__stage="registration"), distinct=True),
    n_assignments=Count("assignments", distinct=True),
)
whole = (2, 1, 1, 1)
broken = [d.number for d in demands if (d.n_categories, d.n_registrations, d.n_deadlines, d.n_assignments) != whole]
created = AuditLog.objects.filter(target_type__model="demand", event_type="created")
audited = created.values("target_id").distinct().count()
integrity = "ok"
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        integrity = cursor.fetchone()[0]
print(json.dumps({
    "demands": Demand.objects.count(),
    "broken": broken,
    "audited": audited,
    "sequence": sum(DemandSequence.objects.values_list("last", flat=True)),
    "chain_ok": audit_chain.verify(AuditLog).ok,
    "integrity": integrity,
}))
"""


def manage(env, *args):
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def shell(env, code):
    out = manage(env, "shell", "-c", "import json\n" + code)
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def crash_database(tmp_path):
    if connection.vendor == "postgresql":
        import psycopg

        name = f"qi_crash_{os.getpid()}"
        admin = "postgresql://postgres@127.0.0.1:5432/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"


def test_killing_the_server_mid_burst_leaves_only_whole_writes(crash_database, tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=crash_database,
        QI_VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="qiservice.settings",
    )
    env.pop("DEBUG", None)
    manage(env, "migrate", "--noinput", "-v0")
    world = shell(env, SETUP)
    port = load.free_port()
    server = load.gunicorn(port, 2, env, start_new_session=True)  # its own process group, killed as a whole
    load.wait_for_port(port)
    body = json.dumps(
        {
            "enterprise": world["enterprise"],
            "categories": ["metrology", "standardization"],
            "source": "phone",
            "contact_name": "张三",
            "contact_phone": "13800000000",
            "description": "压力表需要检定，并咨询企业标准制定",
        }
    ).encode()
    created, attempts, stop = [], [], threading.Event()

    def burst():
        while not stop.is_set():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/demands",
                data=body,
                headers={"Authorization": f"Bearer {world['token']}", "Content-Type": "application/json"},
            )
            attempts.append(1)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
                    if response.status == 201:
                        created.append(json.loads(response.read())["number"])
            except (OSError, http.client.HTTPException):
                pass  # refused, reset, or a body cut off by the kill (IncompleteRead)

    threads = [threading.Thread(target=burst) for _ in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(created) < 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)  # mid-burst: requests are in flight
    server.wait(10)
    stop.set()
    for thread in threads:
        thread.join(15)

    state = shell(env, CHECK)
    assert len(created) >= 15
    assert state["integrity"] == "ok"
    assert state["broken"] == []
    # Every answered registration is there; unanswered ones are either whole or absent.
    assert len(created) <= state["demands"] <= len(attempts)
    assert state["audited"] == state["demands"]
    assert state["sequence"] == state["demands"]  # numbers without gaps: the counter rolled back with its demand
    assert state["chain_ok"]
