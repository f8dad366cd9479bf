"""Server time of the real pages on a generated database (one database per process).

    DATABASE_URL=… .venv/bin/python bench/pages.py [--runs 30] [--json out.json] [--only "demand page"]

For each case: p50 / p95 of the page through Django's test client (the whole request:
middleware, view, template), the median CPU time of this process per request (SQLite's
work included, PostgreSQL's not), the number of SQL queries, the time of the page's main SQL
alone, and two floors with the page's ratio to each: the same rows turned into JSON by a
direct call (no request at all), and a bare Django view returning those rows as JSON
through the same client, session and middleware (the floor a page of this server cannot
beat). Run by bench/run.py for SQLite and PostgreSQL.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False


def timed(fn, runs, cpu=None):
    """p50 and p95 of fn's wall time (ms); with a list as `cpu`, the median CPU time of this
    process is appended to it (on a busy machine the wall time mostly measures the others)."""
    samples, cpu_samples = [], []
    for _ in range(2):  # warm caches (templates, the calendar, query plans)
        fn()
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        cpu_samples.append((time.process_time() - started_cpu) * 1000)
    samples.sort()
    if cpu is not None:
        cpu.append(statistics.median(cpu_samples))
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


class Case:
    """A page (path, user), its main queryset (what the page's rows come from) and the
    values the bare view would return."""

    def __init__(self, name, path, user, main=None, columns=(), page_size=25):
        self.name, self.path, self.user, self.main, self.columns, self.page_size = (
            name,
            path,
            user,
            main,
            columns,
            page_size,
        )


TERMINAL = ["closed", "withdrawn", "cancelled"]


def count_queries(connection, queries):
    def wrapper(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    return connection.execute_wrapper(wrapper)


def cases():
    from django.db.models import Count, Q

    from qiservice.accounts.models import User
    from qiservice.demands.filtersets import search_demands
    from qiservice.demands.models import Demand
    from qiservice.enterprises.models import Enterprise
    from qiservice.specialists.models import Specialist

    admin = (
        User.objects.filter(is_superuser=True).first()
        or User.objects.filter(username="bench_admin").first()  # bench_dashboard.py's agency admin
        or User.objects.create_superuser("bench_admin", "", "Bench-2026-qi", name="bench")
    )
    from qiservice.accounts.models import RoleAssignment

    RoleAssignment.objects.get_or_create(user=admin, role="agency_admin")
    busiest = (
        Specialist.objects.annotate(open=Count("demands", filter=~Q(demands__status__in=TERMINAL)))
        .order_by("-open")
        .first()
    )
    # The demand with the longest ledger, and one with a short ledger (the page's query
    # count must not grow with the ledger).
    from qiservice.demands.models import LedgerEntry

    sizes = LedgerEntry.objects.values("demand_id").annotate(n=Count("pk")).order_by()
    big = Demand.objects.get(pk=sizes.order_by("-n", "demand_id").values_list("demand_id", flat=True)[0])
    small = Demand.objects.get(pk=sizes.filter(n=5).order_by("demand_id").values_list("demand_id", flat=True)[0])
    district = Demand.objects.values_list("district_id", flat=True).first()
    enterprise = Enterprise.objects.order_by("pk").first()
    demand_cols = ("number", "enterprise__name", "district__name", "status", "registered_at")
    all_demands = Demand.objects.order_by("-registered_at", "-pk")
    filtered = all_demands.filter(status="in_service", district_id=district, category_rows__category="metrology")
    deep = 499 * 25
    return [
        Case("demand list", "/demands/", admin, lambda: all_demands[:25], demand_cols),
        Case(
            "demand list filtered (status+category+district)",
            f"/demands/?status=in_service&category=metrology&district={district}",
            admin,
            lambda: filtered[:25],
            demand_cols,
        ),
        Case(
            "demand list sorted by number, page 500",
            "/demands/?sort=number&page=500",
            admin,
            lambda: Demand.objects.order_by("number", "pk")[deep : deep + 25],
            demand_cols,
        ),
        Case(
            "keyword search 校准",
            "/demands/?q=校准",
            admin,
            lambda: search_demands(all_demands, "校准")[:25],
            demand_cols,
        ),
        Case(
            f"demand page ({big.ledger_entries.count()} ledger rows)",
            big.get_absolute_url(),
            admin,
            lambda: Demand.objects.filter(pk=big.pk),
            ("number", "status", "description"),
        ),
        Case(
            f"demand page ({small.ledger_entries.count()} ledger rows)",
            small.get_absolute_url(),
            admin,
            lambda: Demand.objects.filter(pk=small.pk),
            ("number", "status", "description"),
        ),
        Case(
            "my work (busiest specialist)",
            "/demands/my-work/",
            busiest.user,
            lambda: Demand.objects.filter(specialist=busiest).exclude(status__in=["closed", "withdrawn", "cancelled"])[
                :50
            ],
            demand_cols,
        ),
        Case(
            "enterprise list",
            "/enterprises/",
            admin,
            lambda: Enterprise.objects.order_by("name", "pk")[:25],
            ("name", "credit_code", "district__name"),
        ),
        Case(
            "enterprise page",
            enterprise.get_absolute_url(),
            admin,
            lambda: Enterprise.objects.filter(pk=enterprise.pk),
            ("name", "credit_code", "address"),
        ),
        Case("dashboard", "/reports/", admin),
        Case("matching", f"/specialists/match/{Demand.objects.filter(status='registered').first().pk}/", admin),
    ]


def bare_view_urls(all_cases):
    """The project's URLs plus one bare view per case at /__bench_floor__/<n>/: the same
    rows as JSON through the same request stack (session, login, middleware), so the
    view floor is what any page of this server pays before its own work. Only in this
    process; the project declares no such URL."""
    import types

    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.http import JsonResponse
    from django.urls import clear_url_caches, include, path

    def bare(request, index):
        case = all_cases[index]
        return JsonResponse({"rows": list(case.main().values(*case.columns))}, json_dumps_params={"default": str})

    module = types.ModuleType("bench_floor_urls")
    module.urlpatterns = [
        path("__bench_floor__/<int:index>/", login_required(bare)),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


def calibration():
    """A fixed pure-Python workload, timed before and after the pages: this machine's speed
    drifts (a shared VM: the same page's CPU time has been seen to move by half between two
    runs minutes apart), and this row says how fast the machine was while the pages ran."""

    def work():
        return sum(i * i for i in range(200_000))

    cpu = []
    p50, p95 = timed(work, 15, cpu)
    return {"name": "calibration: a fixed Python loop", "path": "", "p50": p50, "p95": p95, "cpu_p50": cpu[0]}


def measure(runs, only=()):
    from django.db import connection, reset_queries
    from django.http import JsonResponse
    from django.test import Client

    results = [calibration()]
    all_cases = cases()
    bare_view_urls(all_cases)
    for index, case in enumerate(all_cases):
        if only and not any(word in case.name for word in only):
            continue
        client = Client()
        client.force_login(case.user)
        response = client.get(case.path)
        if response.status_code != 200:
            results.append({"name": case.name, "path": case.path, "skipped": f"HTTP {response.status_code}"})
            continue
        queries = []
        with count_queries(connection, queries):
            client.get(case.path)
        cpu = []
        p50, p95 = timed(lambda c=client, p=case.path: c.get(p), runs, cpu)
        row = {"name": case.name, "path": case.path, "p50": p50, "p95": p95, "cpu_p50": cpu[0], "queries": len(queries)}
        if case.main is not None:
            row["sql_p50"], _ = timed(lambda m=case.main: list(m()), runs)
            columns = case.columns

            def bare(m=case.main, cols=columns):
                return JsonResponse({"rows": list(m().values(*cols))}, json_dumps_params={"default": str})

            row["floor_p50"], _ = timed(bare, runs)
            row["ratio_floor"] = p50 / row["floor_p50"] if row["floor_p50"] else None
            floor_path = f"/__bench_floor__/{index}/"
            row["view_floor_p50"], _ = timed(lambda c=client, p=floor_path: c.get(p), runs)
            row["ratio_view_floor"] = p50 / row["view_floor_p50"] if row["view_floor_p50"] else None
        results.append(row)
        reset_queries()
    after = calibration()
    results.append(after | {"name": after["name"] + " (after the pages)"})
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json")
    parser.add_argument(
        "--only", action="append", default=[], help="measure only the cases whose name contains this (repeatable)"
    )
    parser.add_argument(
        "--gc",
        choices=["settled", "default"],
        default="settled",
        help="settled (as qiservice/wsgi.py leaves a server process: gc_tuning.settle()) or CPython's defaults",
    )
    args = parser.parse_args()
    setup()
    if args.gc == "settled":
        from django.urls import get_resolver

        from qiservice.core import gc_tuning

        get_resolver().reverse_dict  # noqa: B018 - loaded before settling, as in wsgi.py
        gc_tuning.settle()
    results = measure(args.runs, args.only)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
