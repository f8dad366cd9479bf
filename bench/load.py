"""A bounded load run against the real server on 127.0.0.1.

    DATABASE_URL=… .venv/bin/python bench/load.py [--rate 100] [--seconds 30] [--workers 4]
                                                  [--threads 1] [--costs 5]  (--seconds 0: costs only)
                                                  [--without "admin: enterprise page"]

Starts gunicorn (several worker processes, settings as in docs/production.md) on a free port
against the database, builds a mixed workload on its data (`workload`: the pages of six
roles — lists, filters, keyword search, demand and enterprise pages, dashboards, the
enterprise portal —, the API, and registrations through the API), then a separate client
process sends it at a fixed rate (open model: requests are started on schedule whether or not
earlier ones have finished) and reports throughput, p50 / p99 latency and errors as JSON,
with the CPU seconds per request of the server's processes, of PostgreSQL's backends serving
them (PostgreSQL only) and of the client, and the load average. `--costs N` first replays
each request type N times in this process (Django's test client, no server) and reports its
queries and CPU time per request (on SQLite the database's work is included).

The run writes to the database (accounts `load_*`, sessions, an API token, registered
demands): point it at a copy, not at shared data.

The pieces are importable: tests/test_load.py runs the same server, workload and client in
the suite (`start_server`, `workload`, `run_load`, `session_header`, `request_type`).

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
import resource
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
WORKERS = 4  # gunicorn worker processes (docs/production.md)


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


def gunicorn(port, workers, env, *, threads=1, **popen):
    """The app server as in production (docs/production.md): gunicorn, `workers` processes
    (with `threads` > 1: gthread workers of that many threads), on 127.0.0.1:port. The app
    is loaded once, before the workers are forked (--preload: qiservice/wsgi.py imports every
    view then, so no worker's first request pays for it), and the workers' heartbeat files
    go to /dev/shm (gunicorn's advice: a disk-backed /tmp can stall a worker)."""
    command = [GUNICORN, "qiservice.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--preload",
               "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"]  # fmt: skip
    if threads > 1:
        command += ["-k", "gthread", "--threads", str(threads)]
    if Path("/dev/shm").is_dir():
        command += ["--worker-tmp-dir", "/dev/shm"]
    return subprocess.Popen(command, cwd=ROOT, env=env, **popen)


class Server:
    """A running gunicorn: its port and the CPU seconds its processes have used."""

    def __init__(self, port, process):
        self.port, self.process = port, process

    def pids(self):
        return [self.process.pid, *children(self.process.pid)]

    def probe(self, database=False):
        """For `run_load`: the CPU seconds of each of the server's processes (and with
        `database`, of each PostgreSQL backend connected to this database)."""

        def probe():
            groups = {"server": {pid: cpu_seconds([pid]) for pid in self.pids()}}
            backends = database_backends() if database else None
            if backends is not None:
                groups["database"] = {pid: cpu_seconds([pid]) for pid in backends}
            return groups

        return probe


@contextlib.contextmanager
def start_server(workers, env, *, threads=1, **popen):
    """gunicorn on a free port until the block ends; yields a `Server`."""
    port = free_port()
    server = gunicorn(port, workers, env, threads=threads, **popen)
    try:
        wait_for_port(port)
        yield Server(port, server)
    finally:
        server.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


# --- CPU time of processes (Linux /proc) -----------------------------------------------------


def _stat(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # gone, or no /proc


def children(pid):
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat(entry.name)
        if fields and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def cpu_seconds(pids):
    """The CPU seconds used so far by the live threads of these processes, from the
    scheduler's nanosecond count (/proc/<pid>/task/<tid>/schedstat; stat's clock ticks are
    too coarse for a short-lived database backend)."""
    total = 0
    for pid in pids:
        for thread in Path(f"/proc/{pid}/task").glob("*"):  # a process's own schedstat is its main thread's
            try:
                total += int((thread / "schedstat").read_text().split()[0]) / 1e9
            except (OSError, IndexError, ValueError):
                continue
    return total


def database_backends():
    """The pids of the PostgreSQL backends connected to this database, but this process's
    own (None on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


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


def account(username, role, **scope):
    """A user of the run holding `role` (made on the first run; no usable password: its
    sessions are made directly)."""
    from qiservice.accounts.models import RoleAssignment, User

    user = User.objects.filter(username=username).first() or User.objects.create_user(username, "", None, name=username)
    RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
    return user


def workload(sample=500):
    """The mixed workload on the database's own data: the pages of six roles (an agency
    admin, a district's agency staff, the busiest specialist, an institution's staff, the
    contact of the enterprise with most demands, an auditor), the API and registrations
    through it. Pages with an id are drawn from up to `sample` rows."""
    from django.db.models import Count, Q

    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import ApiToken
    from qiservice.demands.choices import TERMINAL_STATUSES
    from qiservice.demands.models import Demand, Dispatch
    from qiservice.enterprises.models import Enterprise
    from qiservice.specialists.models import Specialist

    demands = list(Demand.objects.order_by("?").values_list("pk", flat=True)[:sample])
    enterprises = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[: max(1, sample // 2)])
    district = Demand.objects.order_by("pk").values_list("district_id", flat=True).first()
    enterprise = (
        Enterprise.objects.annotate(n=Count("demands")).filter(n__gt=0).order_by("-n", "pk").first()
    )  # the enterprise with the most demands has a portal worth reading
    busiest = (
        Specialist.objects.filter(user__isnull=False)
        .annotate(open=Count("demands", filter=~Q(demands__status__in=TERMINAL_STATUSES)))
        .order_by("-open", "pk")
        .first()
    )
    institution_id = Dispatch.objects.values_list("institution_id", flat=True).order_by("pk").first()

    admin = account("load_admin", Role.AGENCY_ADMIN)
    staff = account("load_staff", Role.AGENCY_STAFF, district_id=district)
    institution = account("load_institution", Role.INSTITUTION_STAFF, institution_id=institution_id)
    contact = account("load_enterprise", Role.ENTERPRISE_USER, enterprise=enterprise)
    auditor = account("load_auditor", Role.AUDITOR)

    as_admin, as_staff = session_header(admin), session_header(staff)
    as_specialist, as_institution = session_header(busiest.user), session_header(institution)
    as_enterprise, as_auditor = session_header(contact), session_header(auditor)
    token = {"Authorization": f"Bearer {ApiToken.issue(admin, 'load')[1]}"}
    own = list(Demand.objects.filter(specialist=busiest).values_list("pk", flat=True)[:20])
    portal = list(Demand.objects.filter(enterprise=enterprise).values_list("pk", flat=True)[:20])
    registration = {
        "enterprise": enterprise.pk,
        "categories": ["metrology"],
        "source": "phone",
        "contact_name": "张三",
        "contact_phone": "13800000000",
        "description": "压力表需要检定",
    }
    t = request_type
    return [
        t("admin: demand list", "/demands/", as_admin, weight=3),
        t("admin: filtered list", f"/demands/?status=in_service&category=metrology&district={district}", as_admin),
        t("admin: keyword search", "/demands/?q=校准", as_admin),
        t("admin: demand page", [f"/demands/{pk}/" for pk in demands], as_admin, weight=3),
        t("admin: enterprise list", "/enterprises/", as_admin),
        t("admin: enterprise page", [f"/enterprises/{pk}/" for pk in enterprises], as_admin),
        t("admin: dashboard", "/reports/", as_admin),
        t("staff: home", "/", as_staff),
        t("staff: district demands", "/demands/", as_staff),
        t("specialist: my work", "/demands/my-work/", as_specialist, weight=2),
        t("specialist: own demand", [f"/demands/{pk}/" for pk in own], as_specialist, weight=2),
        t("institution: demands", "/demands/", as_institution),
        t("enterprise: portal", "/portal/", as_enterprise),
        t("enterprise: portal demand", [f"/portal/demands/{pk}/" for pk in portal], as_enterprise),
        t("auditor: dashboard", "/reports/", as_auditor),
        t("api: demand list", "/api/demands", token),
        t("api: register", "/api/demands", token, method="POST", body=registration, expect=201),
    ]


WRITES = {"INSERT", "UPDATE", "DELETE"}


def request_costs(requests, runs=5, seed=2):
    """Each request type replayed `runs` times in this process through Django's test client
    (after one warm-up): the median CPU milliseconds of a request (with SQLite, the
    database's work included; with PostgreSQL, not), its number of SQL queries and of writes
    among them, and the mix's means weighted as the load run draws the types."""
    from django.db import connection
    from django.test import Client

    rng = random.Random(seed)
    client = Client()
    costs = {}
    for kind in requests:
        cpu, queries, writes, statuses = [], [], [], set()
        for n in range(runs + 1):
            sql = []

            def count(execute, sql_text, params, many, context, sql=sql):
                sql.append(sql_text)
                return execute(sql_text, params, many, context)

            started = time.process_time()
            with connection.execute_wrapper(count):
                response = client.generic(
                    kind["method"],
                    rng.choice(kind["paths"]),
                    kind["body"] or "",
                    content_type="application/json",
                    headers=kind["headers"],
                )
            elapsed = (time.process_time() - started) * 1000
            statuses.add(response.status_code)
            if n:
                cpu.append(elapsed)
                queries.append(len(sql))
                writes.append(sum(1 for q in sql if q.lstrip().split(" ", 1)[0].upper() in WRITES))
        costs[kind["type"]] = {
            "cpu_ms": round(statistics.median(cpu), 1),
            "queries": statistics.median(queries),
            "writes": statistics.median(writes),
            "status": sorted(statuses),
        }
    total = sum(kind["weight"] for kind in requests)

    def mean(key):
        return round(sum(costs[k["type"]][key] * k["weight"] for k in requests) / total, 1)

    return {"types": costs, "mix": {key: mean(key) for key in ("cpu_ms", "queries", "writes")}}


def prepare():
    """Django set up in this process for the workload (any host allowed for the test client)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


# --- the client (a separate process) ------------------------------------------------------------


def client_run(port, rate, seconds, requests, seed=1, timeout=30):
    """The load client: a fixed schedule of requests, each on a thread from a pool of
    persistent connections (a request waiting longer than `timeout` seconds is an error).
    A request's latency counts from the moment it was due, so time spent waiting for a free
    client thread counts too. Returns the run's figures, overall and per request type, and
    the client's own CPU seconds."""
    rng = random.Random(seed)
    latencies, errors, lock = [], [], threading.Lock()
    by_type = {r["type"]: {"requests": 0, "errors": 0, "latencies": []} for r in requests}
    local = threading.local()

    def one(kind, path, due):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        headers = {"Host": "127.0.0.1", **kind["headers"]}
        body = kind["body"].encode() if kind["body"] is not None else None
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            local.conn.request(kind["method"], path, body=body, headers=headers)
            response = local.conn.getresponse()
            response.read()
            ok, outcome = response.status == kind["expect"], response.status
        except Exception as error:  # any failure is an error of the run
            local.conn.close()
            del local.conn
            ok, outcome = False, repr(error)
        elapsed = (time.perf_counter() - due) * 1000
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
            pool.submit(one, kind, rng.choice(kind["paths"]), due)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(wall, 1),
        "throughput": round(len(latencies) / wall, 1),
        "p50": round(statistics.median(latencies), 1),
        "p99": percentile(latencies, 99),
        "errors": len(errors),
        "first_errors": errors[:5],
        "client_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "types": {
            name: {
                "requests": f["requests"],
                "errors": f["errors"],
                "p50": round(statistics.median(f["latencies"]), 1) if f["latencies"] else None,
                "p99": percentile(sorted(f["latencies"]), 99) if f["latencies"] else None,
            }
            for name, f in by_type.items()
        },
    }


def percentile(ordered, p):
    return round(ordered[max(0, int(len(ordered) * p / 100) - 1)], 1)


def run_load(port, requests, *, rate, seconds, warm_seconds=0, seed=1, timeout=30, probe=None):
    """Runs the client in a separate process (so that it does not share the caller's
    interpreter) against 127.0.0.1:port; first, when asked, a warm-up of `warm_seconds` at up
    to 20 requests a second (its figures are in `warm`). `probe`, if given, returns {name: {pid: CPU seconds}}; it is
    sampled four times a second, and the CPU each group used during the run (not the
    warm-up) is in `cpu_seconds` (a process that lived less than a sample apart is missed)."""
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
            # Every request type as often as any other, so that each worker has met most of
            # them (templates compiled, caches filled) before the figures count.
            even = [dict(kind, weight=1) for kind in requests]
            warm_spec = dict(spec, requests=even, rate=min(rate, 20), seconds=warm_seconds, seed=seed + 1)
            warm = client(warm_spec, "warm.json")
        if not probe:
            return client(spec, "run.json") | {"warm": warm}
        before, seen, done = probe(), {}, threading.Event()

        def sample():  # processes may end during the run (a database connection reaching its age)
            while True:
                for name, pids in probe().items():
                    seen.setdefault(name, {}).update(pids)
                if done.wait(0.25):
                    return

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            result = client(spec, "run.json") | {"warm": warm}
        finally:
            done.set()
            sampler.join()
        result["cpu_seconds"] = {
            name: round(sum(cpu - before.get(name, {}).get(pid, 0) for pid, cpu in pids.items()), 2)
            for name, pids in seen.items()
        }
        return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers")
    parser.add_argument("--costs", type=int, default=0, help="first replay each request type this many times")
    parser.add_argument(
        "--without", action="append", default=[], help="leave out the request types named so (diagnosis; repeatable)"
    )
    parser.add_argument("--client", help=argparse.SUPPRESS)  # internal: run as the load client
    args = parser.parse_args()
    if args.client:
        spec = json.loads(Path(args.client).read_text(encoding="utf-8"))
        print(json.dumps(client_run(**spec), ensure_ascii=False))
        return
    prepare()
    requests = [kind for kind in workload() if kind["type"] not in args.without]
    costs = request_costs(requests, args.costs) if args.costs else None
    if not args.seconds:
        print(json.dumps({"costs": costs}, ensure_ascii=False))
        return
    env = dict(os.environ, ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="0")
    loadavg = [os.getloadavg()]
    with start_server(args.workers, env, threads=args.threads) as server:
        probe = server.probe(database=True)
        result = run_load(server.port, requests, rate=args.rate, seconds=args.seconds, warm_seconds=5, probe=probe)
    loadavg.append(os.getloadavg())
    n = result["requests"]
    result["cpu_ms_per_request"] = {name: round(cpu * 1000 / n, 1) for name, cpu in result["cpu_seconds"].items()}
    result["cpu_ms_per_request"]["client"] = round(result["client_cpu_seconds"] * 1000 / n, 1)
    result |= {"rate": args.rate, "workers": args.workers, "threads": args.threads, "without": args.without}
    result |= {"loadavg": loadavg, "costs": costs}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
