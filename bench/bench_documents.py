"""Benchmark: the Word (and PDF) work ledger (Appendix B) of a demand with many entries.

    .venv/bin/python bench/bench_documents.py [--sizes 200,1000] [--runs 3] [--pdf]

Builds (once) a SQLite database under var/bench/ (or uses DATABASE_URL, e.g. a throwaway
PostgreSQL database) with one demand per size holding that many ledger entries, then
downloads each demand's ledger as the agency admin through the real code
(`documents.services.download`: scope, content, rendering, audit record) and prints the
median wall time, CPU time and query count of a few runs, and the size of the file. The
.docx is opened with python-docx afterwards to check its table has a row per entry.
Figures are printed, never asserted.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROBLEMS = ["三坐标测量机未建立校准周期", "企业标准编写不规范", "出口产品检测项目不清楚", "能源计量器具配备不足"]
HANDLING = [
    "现场核查设备清单，按JJF 1064给出校准方案",
    "对照GB/T 1.1逐条指导修改；\n复核后形成修改意见",
    "联系检验检测机构确认检测项目并解读标准",
]


def setup_django(db_url):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()


def build(sizes):
    """The admin and {size: demand}; demands are made once and kept."""
    import datetime

    from django.core.management import call_command
    from django.db import transaction

    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import Agency, District, RoleAssignment, User
    from qiservice.demands.models import Demand, DemandCategory, LedgerEntry
    from qiservice.enterprises.models import Enterprise
    from qiservice.specialists.models import Specialist

    call_command("migrate", verbosity=0)
    admin = User.objects.filter(username="bench-admin").first()
    if admin is None:
        admin = User.objects.create_user("bench-admin", password=None, name="基准管理员")
        RoleAssignment.objects.create(user=admin, role=Role.AGENCY_ADMIN)
    demands = {}
    for size in sizes:
        number = f"QI-2026-9{size:05d}"
        demand = Demand.objects.filter(number=number).first()
        if demand is None:
            with transaction.atomic():
                agency, _ = Agency.objects.get_or_create(name="bench")
                district, _ = District.objects.get_or_create(
                    code="350211", defaults={"name": "集美区", "agency": agency}
                )
                user = User.objects.create_user(f"bench-doc-sp{size}", password=None, name=f"专员{size}")
                specialist = Specialist.objects.create(user=user, name="王建华", phone="13900000000", district=district)
                enterprise = Enterprise.objects.create(
                    name=f"厦门集美精密机械有限公司{size}",
                    credit_code=f"91350211MA{size:07d}X"[:18],
                    district=district,
                    address="厦门市集美区",
                    contact_name="张经理",
                    contact_phone="13800001111",
                )
                demand = Demand.objects.create(
                    number=number,
                    enterprise=enterprise,
                    district=district,
                    address="厦门市集美区",
                    source="phone",
                    contact_name="张经理",
                    contact_phone="13800001111",
                    description="基准需求",
                    registered_by=admin,
                    specialist=specialist,
                    status="in_service",
                )
                DemandCategory.objects.bulk_create(
                    DemandCategory(demand=demand, category=c) for c in ("metrology", "standardization")
                )
                first = datetime.date(2026, 1, 1)
                LedgerEntry.objects.bulk_create(
                    LedgerEntry(
                        demand=demand,
                        entry_on=first + datetime.timedelta(days=i % 365),
                        enterprise_contact="张经理",
                        problem=PROBLEMS[i % len(PROBLEMS)],
                        handling=HANDLING[i % len(HANDLING)],
                        remarks="" if i % 3 else "复查",
                        author=admin,
                    )
                    for i in range(size)
                )
        demands[size] = demand
    return admin, demands


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="time the PDF as well")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    setup_django(os.environ.get("DATABASE_URL") or f"sqlite:///{bench_dir / 'documents.sqlite3'}")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from docx import Document as open_docx

    from qiservice.documents import services

    admin, demands = build(sizes)
    for size in sizes:
        for fmt in ("docx", "pdf") if args.pdf else ("docx",):
            walls, cpus = [], []
            for _ in range(args.runs):
                demand = services.load(admin, demands[size].pk)
                with CaptureQueriesContext(connection) as queries:
                    wall, cpu = time.perf_counter(), time.process_time()
                    data, _name, _type = services.download(admin, demand, "ledger", fmt)
                    walls.append(time.perf_counter() - wall)
                    cpus.append(time.process_time() - cpu)
            check = ""
            if fmt == "docx":
                table = open_docx(io.BytesIO(data)).tables[0]
                assert len(table.rows) == size + 4, len(table.rows)
                check = f", table of {len(table.rows)} rows"
            print(
                f"ledger of {size} entries as {fmt} on {connection.vendor}: "
                f"median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU, "
                f"{len(queries)} queries, {len(data) / 1024:.0f} KB{check}"
                f" (load average {os.getloadavg()[0]:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
