"""A bounded load run against the real server on 127.0.0.1.

    DATABASE_URL=… .venv/bin/python bench/load.py [--rate 100] [--seconds 30] [--workers 4]

Starts gunicorn (several worker processes) on a free port against the database, logs a
session in for an agency admin, then a separate client process sends a mixed workload at a
fixed rate (open model: requests are started on schedule whether or not earlier ones have
finished) and reports throughput, p50 / p99 latency and errors as JSON.

The pieces are importable: tests/test_load.py runs the same server and client in the suite
with sessions of several roles (`start_server`, `run_load`, `session_header`, `request_type`).

A workload is a list of request types, each a dict: `type` (its name in the report),
`method`, `paths` (one is picked at random per request), `headers` (the session cookie or
the API token), `body` (JSON text, for writes), `weight` and `expect` (the status that
counts as success). Anything else — another status, a refused connection, a timeout — is an
error of the run.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


def gunicorn(port, workers, env, **popen):
    """The app server as in production: gunicorn, `workers` processes, on 127.0.0.1:port."""
    command = [GUNICORN, "qiservice.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, **popen)


@contextlib.contextmanager
def start_server(workers, env, **popen):
    """gunicorn on a free port until the block ends; yields the port."""
    port = free_port()
    server = gunicorn(port, workers, env, **popen)
    try:
        wait_for_port(port)
        yield port
    finally:
        server.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


# --- the workload (built in a process with Django set up) -------------------------------------


def session_header(user):
    """The Cookie header of a fresh logged-in session of `user` (stored in the database, so
    the server's workers find it)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}


def request_type(name, paths, headers, *, weight=1, method="GET", body=None, expect=200):
    paths = [paths] if isinstance(paths, str) else list(paths)
    assert paths, f"{name}: no paths"
    return {
        "type": name,
        "method": method,
        "paths": [quote(p, safe="/?=&") for p in paths],
        "headers": headers,
        "body": json.dumps(body, ensure_ascii=False) if body is not None else None,
        "weight": weight,
        "expect": expect,
    }


def prepare():
    """The benchmark's workload: an agency admin's pages (in this process, with Django)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    import django

    django.setup()
    from django.conf import settings

    from qiservice.accounts.models import RoleAssignment, User
    from qiservice.demands.models import Demand
    from qiservice.enterprises.models import Enterprise

    settings.ALLOWED_HOSTS = ["*"]
    admin = User.objects.filter(username="bench_admin").first() or User.objects.create_user(
        "bench_admin", "", "Bench-2026-qi", name="bench"
    )
    RoleAssignment.objects.get_or_create(user=admin, role="agency_admin")
    session = session_header(admin)
    demand_ids = list(Demand.objects.order_by("?").values_list("pk", flat=True)[:500])
    enterprise_ids = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:200])
    district = Demand.objects.values_list("district_id", flat=True).first()
    filtered = f"/demands/?status=in_service&category=metrology&district={district}"
    share = 4 / max(1, len(demand_ids) + len(enterprise_ids))  # the detail pages' share of the mix
    return [
        request_type("demand list", "/demands/", session, weight=3),
        request_type("demand list filtered", filtered, session, weight=2),
        request_type("keyword search", "/demands/?q=校准", session),
        request_type("enterprise list", "/enterprises/", session),
        request_type("my work", "/demands/my-work/", session),
        request_type("demand page", [f"/demands/{pk}/" for pk in demand_ids], session, weight=share * len(demand_ids)),
        request_type(
            "enterprise page",
            [f"/enterprises/{pk}/" for pk in enterprise_ids],
            session,
            weight=share * len(enterprise_ids),
        ),
    ]


# --- the client (a separate process) ------------------------------------------------------------


def client_run(port, rate, seconds, requests, seed=1, timeout=30):
    """The load client: a fixed schedule of requests, each on a thread from a pool of
    persistent connections (a request waiting longer than `timeout` seconds is an error).
    Returns the run's figures, overall and per request type."""
    rng = random.Random(seed)
    latencies, errors, lock = [], [], threading.Lock()
    by_type = {r["type"]: {"requests": 0, "errors": 0, "latencies": []} for r in requests}
    local = threading.local()

    def one(kind, path):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Host": "127.0.0.1", **kind["headers"]}
        body = kind["body"].encode() if kind["body"] is not None else None
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            local.conn.request(kind["method"], path, body=body, headers=headers)
            response = local.conn.getresponse()
            response.read()
            ok, outcome = response.status == kind["expect"], response.status
        except Exception as error:  # any failure is an error of the run
            local.conn.close()
            del local.conn
            ok, outcome = False, repr(error)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            figures = by_type[kind["type"]]
            figures["requests"] += 1
            figures["latencies"].append(elapsed)
            if not ok:
                figures["errors"] += 1
                errors.append(f"{kind['method']} {path}: {outcome}")

    total = int(rate * seconds)
    weights = [r["weight"] for r in requests]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(total):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            kind = rng.choices(requests, weights)[0]
            pool.submit(one, kind, rng.choice(kind["paths"]))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(wall, 1),
        "throughput": round(len(latencies) / wall, 1),
        "p50": round(statistics.median(latencies), 1),
        "p99": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1),
        "errors": len(errors),
        "first_errors": errors[:5],
        "types": {
            name: {
                "requests": f["requests"],
                "errors": f["errors"],
                "p50": round(statistics.median(f["latencies"]), 1) if f["latencies"] else None,
            }
            for name, f in by_type.items()
        },
    }


def run_load(port, requests, *, rate, seconds, warm_seconds=0, seed=1, timeout=30):
    """Runs the client in a separate process (so that it does not share the caller's
    interpreter) against 127.0.0.1:port; first a warm-up of every worker when asked (its
    figures are in `warm`)."""
    with tempfile.TemporaryDirectory(prefix="qi-load-") as folder:

        def client(spec, name):
            path = Path(folder) / name
            path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
            out = subprocess.run(
                [PYTHON, str(Path(__file__).resolve()), "--client", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(out.stdout.strip().splitlines()[-1])

        spec = {"port": port, "rate": rate, "seconds": seconds, "requests": requests, "seed": seed, "timeout": timeout}
        warm = None
        if warm_seconds:
            warm = client(dict(spec, rate=min(rate, 10), seconds=warm_seconds, seed=seed + 1), "warm.json")
        return client(spec, "run.json") | {"warm": warm}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: run as the load client
    args = parser.parse_args()
    if args.client:
        spec = json.loads(Path(args.client).read_text(encoding="utf-8"))
        print(json.dumps(client_run(**spec), ensure_ascii=False))
        return
    requests = prepare()
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="0")
    with start_server(args.workers, env) as port:
        result = run_load(port, requests, rate=args.rate, seconds=args.seconds, warm_seconds=2)
    result |= {"rate": args.rate, "workers": args.workers}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
