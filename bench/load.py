"""A bounded load run against the real server on 127.0.0.1.

    DATABASE_URL=… .venv/bin/python bench/load.py [--rate 100] [--seconds 30] [--workers 4]

Starts gunicorn (several worker processes) on a free port against the database, logs a
session in for an agency admin, then a separate client process sends a mixed workload at a
fixed rate (open model: requests are started on schedule whether or not earlier ones have
finished) and reports throughput, p50 / p99 latency and errors as JSON.
"""

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare():
    """Session cookie and the paths of the mixed workload (in this process, with Django)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from qiservice.accounts.models import RoleAssignment, User
    from qiservice.demands.models import Demand
    from qiservice.enterprises.models import Enterprise

    settings.ALLOWED_HOSTS = ["*"]
    admin = User.objects.filter(username="bench_admin").first() or User.objects.create_user(
        "bench_admin", "", "Bench-2026-qi", name="bench"
    )
    RoleAssignment.objects.get_or_create(user=admin, role="agency_admin")
    client = Client()
    client.force_login(admin)
    demand_ids = list(Demand.objects.order_by("?").values_list("pk", flat=True)[:500])
    enterprise_ids = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:200])
    district = Demand.objects.values_list("district_id", flat=True).first()
    mix = (
        [("/demands/", 3), (f"/demands/?status=in_service&category=metrology&district={district}", 2)]
        + [("/demands/?q=校准", 1), ("/enterprises/", 1), ("/demands/my-work/", 1)]
        + [(f"/demands/{pk}/", 0) for pk in demand_ids]
        + [(f"/enterprises/{pk}/", 0) for pk in enterprise_ids]
    )
    return client.cookies[settings.SESSION_COOKIE_NAME].value, settings.SESSION_COOKIE_NAME, mix


def client_run(port, cookie, rate, seconds, paths, weights, seed=1):
    """The load client: a fixed schedule of requests, each on a thread from a pool of
    persistent connections."""
    rng = random.Random(seed)
    latencies, errors, lock = [], [], threading.Lock()
    local = threading.local()

    def one(path):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        started = time.perf_counter()
        try:
            local.conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
            response = local.conn.getresponse()
            response.read()
            ok = response.status == 200
        except Exception as error:  # any failure is an error of the run
            local.conn.close()
            del local.conn
            ok, response = False, error
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            if not ok:
                errors.append(f"{path}: {getattr(response, 'status', response)}")

    from concurrent.futures import ThreadPoolExecutor

    total = int(rate * seconds)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(total):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, rng.choices(paths, weights)[0])
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(wall, 1),
        "throughput": round(len(latencies) / wall, 1),
        "p50": round(statistics.median(latencies), 1),
        "p99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: run as the load client
    args = parser.parse_args()
    if args.client:
        spec = json.loads(Path(args.client).read_text(encoding="utf-8"))
        print(json.dumps(client_run(**spec)))
        return
    cookie_value, cookie_name, mix = prepare()
    port = free_port()
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="0")
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "qiservice.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        paths = [quote(p, safe="/?=&") for p, _ in mix]
        weights = [w if w else 4 / max(1, sum(1 for _, x in mix if not x)) for _, w in mix]
        spec = {"port": port, "cookie": f"{cookie_name}={cookie_value}", "rate": args.rate, "seconds": args.seconds}
        spec |= {"paths": paths, "weights": weights}
        spec_file = Path(f"/tmp/qi-load-{port}.json")
        spec_file.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        # Warm every worker up, then the measured run, from a separate process.
        warm_file = Path(f"/tmp/qi-load-{port}-warm.json")
        warm_file.write_text(json.dumps(dict(spec, rate=20, seconds=2), ensure_ascii=False), encoding="utf-8")
        subprocess.run([PYTHON, __file__, "--client", str(warm_file)], capture_output=True, check=False)
        out = subprocess.run([PYTHON, __file__, "--client", str(spec_file)], capture_output=True, text=True, check=True)
        result = json.loads(out.stdout)
        result |= {"rate": args.rate, "workers": args.workers}
        print(json.dumps(result, ensure_ascii=False))
    finally:
        server.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
