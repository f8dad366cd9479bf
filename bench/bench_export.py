"""Benchmark: exporting 100 000 work-ledger entries (Appendix B) to .xlsx.

    .venv/bin/python bench/bench_export.py [--entries 100000] [--fresh]

Builds (once) a separate SQLite database under var/bench/ (or uses DATABASE_URL, e.g. a
throwaway PostgreSQL database) with 2 000 enterprises, 10 000 demands and the ledger
entries (bulk inserts), then exports every entry as the agency admin through the real
export code (`workflow.prepare` + `writer.write_export`, the path the background job
takes) and prints the wall time, the peak of Python allocations (tracemalloc) and the
process's peak resident memory (ru_maxrss). Targets: ≤ 15 s and ≤ 300 MB. Figures are
printed, never asserted; the file is opened afterwards to check its row count.
"""

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROBLEMS = [
    "三坐标测量机未建立校准周期",
    "企业标准编写不规范",
    "出口产品检测项目不清楚",
    "ISO 9001 内审发现不符合项",
    "能源计量器具配备不足",
    "=SUM(A1:A9) 企业自填的表格公式",  # formula-like text is escaped on the way out
]
HANDLING = [
    "现场核查设备清单，按JJF 1064给出校准方案",
    "对照GB/T 1.1逐条指导修改",
    "联系检验检测机构确认检测项目并解读标准",
    "协助制定纠正措施并跟踪验证",
]


def setup_django(db_url):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()


def build(n, rng):
    import datetime

    from django.core.management import call_command
    from django.db import transaction

    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import Agency, District, RoleAssignment, User
    from qiservice.core.demo import DISTRICTS, make_credit_code
    from qiservice.demands.models import Demand, DemandCategory, LedgerEntry
    from qiservice.enterprises.models import Enterprise
    from qiservice.specialists.models import Specialist

    call_command("migrate", verbosity=0)
    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        admin = User.objects.create_user("bench-admin", password=None, name="基准管理员")
        RoleAssignment.objects.create(user=admin, role=Role.AGENCY_ADMIN)
    if LedgerEntry.objects.count() >= n:
        return admin
    print(f"building {n} ledger entries …", flush=True)
    start = time.perf_counter()
    with transaction.atomic():
        agency, _ = Agency.objects.get_or_create(name="bench")
        districts = [
            District.objects.get_or_create(code=c, defaults={"name": d, "agency": agency})[0] for d, c in DISTRICTS
        ]
        users = User.objects.bulk_create(User(username=f"bench-sp{i}", password="!") for i in range(200))
        specialists = Specialist.objects.bulk_create(
            Specialist(user=u, name=f"专员{i}", phone="13800000000", district=rng.choice(districts))
            for i, u in enumerate(users)
        )
        codes = {}
        while len(codes) < 2000:
            d = rng.choice(districts)
            codes.setdefault(make_credit_code(rng, d.code), d)
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(
                name=f"厦门基准企业{i}有限公司",
                credit_code=code,
                district=d,
                address="厦门市",
                contact_name="联系人",
                contact_phone="13800000000",
            )
            for i, (code, d) in enumerate(codes.items())
        )
        demands = Demand.objects.bulk_create(
            Demand(
                number=f"QI-2025-{i + 1:06d}",
                enterprise=e,
                district_id=e.district_id,
                address="厦门市",
                source="phone",
                contact_name="张经理",
                contact_phone="13800001111",
                description="基准需求",
                registered_by=admin,
                specialist=rng.choice(specialists),
                status="in_service",
            )
            for i, e in enumerate(rng.choice(enterprises) for _ in range(max(n // 10, 1)))
        )
        DemandCategory.objects.bulk_create(
            DemandCategory(demand=d, category=c)
            for d in demands
            for c in rng.sample(["metrology", "standardization", "inspection_testing"], 2)
        )
        first = datetime.date(2025, 1, 1)
        LedgerEntry.objects.bulk_create(
            (
                LedgerEntry(
                    demand=rng.choice(demands),
                    entry_on=first + datetime.timedelta(days=rng.randrange(365)),
                    enterprise_contact="张经理",
                    problem=rng.choice(PROBLEMS),
                    handling=rng.choice(HANDLING),
                    remarks="" if i % 3 else "复查",
                    author=admin,
                )
                for i in range(n)
            ),
            batch_size=5000,
        )
    print(f"built in {time.perf_counter() - start:.1f} s", flush=True)
    return admin


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    setup_django(os.environ.get("DATABASE_URL") or f"sqlite:///{bench_dir / f'export-{args.entries}.sqlite3'}")

    from django.db import connection
    from django.http import QueryDict
    from openpyxl import load_workbook

    from qiservice.exports import workflow
    from qiservice.exports.writer import write_export

    admin = build(args.entries, random.Random(2026))
    params = QueryDict("")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def run(path):
        start = time.perf_counter()
        export, queryset, total = workflow.prepare("ledger", admin, params)
        counted = time.perf_counter() - start
        rows = write_export(export, queryset, str(path), progress=lambda done: None)
        return rows, total, counted, time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.xlsx"
        # 1. Timed without tracing (tracemalloc slows Python down several times).
        cpu = time.process_time()
        rows, total, counted, elapsed = run(path)
        cpu = time.process_time() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = path.stat().st_size / 1024 / 1024
        written = sum(1 for _ in load_workbook(path, read_only=True).active.iter_rows(min_row=2, max_col=1))
        print(
            f"timed run: {rows} ledger entries on {connection.vendor}: {elapsed:.1f} s wall, {cpu:.1f} s CPU, "
            f"peak RSS {rss:.0f} MB, file {size:.1f} MB (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
        # 2. The same export again, for the peak of Python allocations.
        tracemalloc.start()
        run(path)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert rows == total == written, (rows, total, written)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"export of {rows} ledger entries on {connection.vendor}: {elapsed:.1f} s wall, {cpu:.1f} s CPU "
        f"(of which the count {counted * 1000:.0f} ms), file {size:.1f} MB; peak RSS {rss:.0f} MB "
        f"(process before the export {rss_before:.0f} MB); peak Python allocations (tracemalloc, "
        f"second run) {peak / 1024 / 1024:.1f} MB"
    )


if __name__ == "__main__":
    main()
