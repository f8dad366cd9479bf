"""Benchmark: importing 100 000 enterprises from Excel (issue 6).

    .venv/bin/python bench/bench_import.py [--rows 100000] [--no-tracemalloc]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qi_bench_import .venv/bin/python bench/bench_import.py

Generates (once per size, kept under var/bench/) an .xlsx of valid enterprises (valid credit
codes, every column filled), then
runs the real dry run and the real import (valid-only and all-or-nothing are the same
path for a clean file; all-or-nothing is used) on a throwaway database: a temporary SQLite
file, or the PostgreSQL database named in DATABASE_URL, which is dropped and created anew.
Prints the wall time of each phase and the peak memory: Python's own allocations
(tracemalloc, which slows the run down; --no-tracemalloc for the bare times) and the
process's maximum resident set (ru_maxrss). Targets: import <= 30 s, memory <= 300 MB.
Figures are printed, never asserted.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def recreate_postgres(url):
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(path, rows, district):
    from openpyxl import Workbook

    from tests.imports.helpers import ENTERPRISE_HEADERS, credit_code

    book = Workbook(write_only=True)
    sheet = book.create_sheet("服务对象")
    sheet.append(ENTERPRISE_HEADERS)
    sizes = ["大型", "中型", "小型", "微型"]
    for n in range(1, rows + 1):
        sheet.append(
            [
                f"厦门基准测试企业{n}有限公司",
                credit_code(n),
                district,
                f"厦门市{district}基准路{n}号",
                "制造业",
                sizes[n % 4],
                "数控机床零部件、精密模具",
                "省级企业技术中心",
                "年产 10 万件",
                "通过 ISO 9001 认证",
                "张三",
                f"138{n:08d}",
                f"contact{n}@example.cn",
            ]
        )
    book.save(path)


def cpu():
    """This process's CPU seconds: on a shared, loaded machine a truer measure of the work
    than the wall clock (it leaves out the time spent waiting for a core)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if tracemalloc.is_tracing() else float("nan")
    return traced, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgres"):
        recreate_postgres(url)
    else:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    os.environ["IMPORT_MAX_ROWS"] = str(max(args.rows, 100_000))
    os.environ["IMPORT_INLINE_KB"] = str(10**9)  # run in this process, not on the queue
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import Agency, District, RoleAssignment, User
    from qiservice.core import audit_chain
    from qiservice.core.models import AuditLog
    from qiservice.enterprises.models import Enterprise
    from qiservice.imports import workflow

    print(f"database: {url.split('@')[-1]}")
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    agency = Agency.objects.create(name="bench")
    district = District.objects.create(agency=agency, name="集美区", code="350211")
    user = User.objects.create_user("bench-admin", "b@example.cn", "x-Bench-2026", name="bench")
    RoleAssignment.objects.create(user=user, role=Role.AGENCY_STAFF, district=district)
    print(f"migrate:       {time.perf_counter() - t:6.1f} s")

    # The workbook is generated once per size and kept under var/bench/ (it is the same
    # every time: the rows depend only on their number).
    path = ROOT / "var" / "bench" / f"enterprises-{args.rows}.xlsx"
    t = time.perf_counter()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path.with_suffix(".part"), args.rows, district.name)
        path.with_suffix(".part").replace(path)
    size = path.stat().st_size
    print(f"generate:      {time.perf_counter() - t:6.1f} s  ({args.rows} rows, {size / 1024 / 1024:.1f} MB)")

    if not args.no_tracemalloc:
        tracemalloc.start()
    content = path.read_bytes()
    upload = SimpleUploadedFile("enterprises.xlsx", content)
    del content
    t, c = time.perf_counter(), cpu()
    job = workflow.start_import(kind="enterprises", upload=upload, by=user)
    dry = time.perf_counter() - t
    traced, rss = peak()
    print(
        f"dry run:       {dry:6.1f} s (CPU {cpu() - c:.1f} s)  status={job.status} rows={job.rows_total}"
        f" errors={job.error_rows}"
        f"  peak traced {traced:.0f} MB, max RSS {rss:.0f} MB"
    )
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
    t, c = time.perf_counter(), cpu()
    job = workflow.request_commit(job, mode="all_or_nothing", by=user)
    imported = time.perf_counter() - t
    traced, rss = peak()
    print(
        f"import:        {imported:6.1f} s (CPU {cpu() - c:.1f} s)  status={job.status} created={job.created_count}"
        f"  peak traced {traced:.0f} MB, max RSS {rss:.0f} MB"
    )
    print(f"dry run + import: {dry + imported:6.1f} s")
    print(f"rows/s:        dry run {args.rows / dry:,.0f}, import {args.rows / imported:,.0f}")
    print(f"load average:  {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"check:         enterprises={Enterprise.objects.count()} audit records={AuditLog.objects.count()}")
    t = time.perf_counter()
    verdict = audit_chain.verify(AuditLog)
    print(
        f"audit chain:   {'intact' if verdict.ok else f'BROKEN at {verdict.broken_at}'}, {verdict.checked} rows"
        f" verified in {time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    from qiservice.imports import workbooks

    handle = workbooks.report(job)
    handle.close()
    print(f"report xlsx:   {time.perf_counter() - t:6.1f} s")


if __name__ == "__main__":
    main()
