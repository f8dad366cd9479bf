"""Benchmark: the agency's statistics page over 1 000 000 demands.

    .venv/bin/python bench/bench_dashboard.py [--demands 1000000] [--runs 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qi_bench_reports .venv/bin/python bench/bench_dashboard.py
    DATABASE_URL=<a database filled by `manage.py generate_data --scale province`> … (measured as it is)

Fills a throwaway database (a SQLite file under /tmp, or the PostgreSQL database named by
DATABASE_URL), unless it already holds that many demands, once with demands spread over
five years in every status, with categories, deadlines (met on time, met late, open,
overdue, cancelled), escalations, dispatches and evaluations, written with executemany
(SQLite) or COPY (PostgreSQL); then requests
/reports/ through the Django test client for each period preset, for the whole city and one
district, as the agency admin and as a district's staff, and prints p50 / p95 over the runs
and the number of queries. Figures are printed, never asserted.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

YEARS = 5
CHUNK = 20000


def setup_django(db_url):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()


class Writer:
    """Fast inserts of ready-made tuples: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def ts(self, value):
        return value.strftime("%Y-%m-%d %H:%M:%S") + ("+00" if self.pg else "")

    def write(self, table, columns, rows):
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                self._flush(table, columns, batch)
                batch = []
        if batch:
            self._flush(table, columns, batch)

    def _flush(self, table, columns, batch):
        with self.connection.cursor() as cursor:
            if self.pg:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - our own table names
                cursor.executemany(sql, batch)


# fmt: off
STATUS_OLD = [("closed", 70), ("evaluated", 6), ("withdrawn", 5), ("cancelled", 3), ("summary_submitted", 4),
              ("service_ended", 4), ("in_service", 4), ("plan_made", 2), ("agreement_signed", 2)]
STATUS_NEW = [("registered", 8), ("preparing", 12), ("confirmed", 8), ("escalated", 5), ("dispatched", 5),
              ("accepted", 5), ("agreement_signed", 8), ("plan_made", 8), ("in_service", 15), ("service_ended", 6),
              ("summary_submitted", 5), ("evaluated", 5), ("closed", 5), ("withdrawn", 2), ("cancelled", 3)]
# fmt: on
LATER = ["service_ended", "summary_submitted", "evaluated", "closed"]
QI = [
    "metrology",
    "standardization",
    "inspection_testing",
    "certification_accreditation",
    "quality_management",
    "other",
]


def _weighted(rng, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def build(n, rng):
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import Agency, District, RoleAssignment, User
    from qiservice.core.demo import DISTRICTS, make_credit_code
    from qiservice.deadlines.service import ensure_policies
    from qiservice.demands.models import Demand
    from qiservice.enterprises.models import Enterprise
    from qiservice.institutions.models import Institution
    from qiservice.specialists.models import Specialist

    call_command("migrate", verbosity=0)
    if Demand.objects.count() >= n:
        return
    print(f"building {n} demands …", flush=True)
    started = time.perf_counter()
    w = Writer(connection)
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=365 * YEARS)
    span = (today - first_day).days
    from qiservice.reports import counters

    counters.uninstall()  # rebuilt once at the end (counters.suspended() in a bulk loader)
    with transaction.atomic():
        ensure_policies()
        agency, _ = Agency.objects.get_or_create(name="bench")
        districts = [
            District.objects.get_or_create(code=c, defaults={"name": d, "agency": agency})[0] for d, c in DISTRICTS
        ]
        admin = User.objects.create_user("bench_admin", password="x")
        RoleAssignment.objects.create(user=admin, role=Role.AGENCY_ADMIN)
        staff = User.objects.create_user("bench_staff", password="x")
        RoleAssignment.objects.create(user=staff, role=Role.AGENCY_STAFF, district=districts[0])
        users = User.objects.bulk_create(User(username=f"bench_sp{i}", password="!") for i in range(10000))
        specialists = Specialist.objects.bulk_create(
            Specialist(
                user=u,
                name=f"专员{i}",
                phone="13800000000",
                district=rng.choice(districts),
                capacity=rng.choice([3, 5, 8]),
                status="active" if i % 20 else "suspended",
            )
            for i, u in enumerate(users)
        )
        institutions = Institution.objects.bulk_create(
            Institution(
                name=f"技术机构{i}",
                kind="testing_lab",
                qi_fields=["inspection_testing"],
                district=rng.choice(districts),
                contact_name="联系人",
                contact_phone="0592-1234567",
            )
            for i in range(60)
        )
        codes = {}
        while len(codes) < 20000:
            d = rng.choice(districts)
            codes.setdefault(make_credit_code(rng, d.code), d)
        enterprises = Enterprise.objects.bulk_create(
            Enterprise(
                name=f"企业{i}",
                credit_code=code,
                district=d,
                address="厦门",
                contact_name="联系人",
                contact_phone="13800000000",
            )
            for i, (code, d) in enumerate(codes.items())
        )
        ent = [(e.pk, e.district_id) for e in enterprises]
        sp_ids = [s.pk for s in specialists]
        inst_ids = [i.pk for i in institutions]

        demand_rows, category_rows, deadline_rows = [], [], []
        escalation_rows, dispatch_rows, evaluation_rows = [], [], []
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        deadline_id = dispatch_id = 0
        for i in range(1, n + 1):
            day = first_day + datetime.timedelta(days=int(span * i / n))
            at = datetime.datetime.combine(day, datetime.time(2 + i % 8, i % 60))
            recent = (today - day).days < 120
            status = _weighted(rng, STATUS_NEW if recent else STATUS_OLD)
            enterprise_id, district_id = rng.choice(ent)
            assisted = rng.random() < 0.25
            specialist = rng.choice(sp_ids) if status != "registered" else None
            demand_rows.append(
                (
                    i,
                    f"QI-{day.year}-{i:07d}",
                    enterprise_id,
                    district_id,
                    "厦门",
                    rng.choice(["onsite", "phone", "web", "other"]),
                    "联系人",
                    "13800000000",
                    "",
                    "需求描述",
                    day.isoformat(),
                    day.isoformat(),
                    w.ts(at),
                    admin.pk,
                    status,
                    "assisted" if assisted else "direct",
                    "",
                    None,
                    specialist,
                    None,
                    None,
                    None,
                    1,
                    w.ts(at),
                )
            )
            for c in rng.sample(QI, rng.choice([1, 1, 2, 3])):
                category_rows.append((i, c))
            # Deadlines: registration always; preparation; agreement; summary and evaluation later.
            stages = ["registration", "preparation", "agreement"]
            if status in LATER:
                stages += ["summary", "evaluation"]
            terminal = status in ("closed", "withdrawn", "cancelled")
            for k, stage in enumerate(stages):
                deadline_id += 1
                begun = day + datetime.timedelta(days=7 * k)
                due = begun + datetime.timedelta(days=7)
                last = k == len(stages) - 1
                met = cancelled = None
                if not last or status in ("closed", "evaluated"):
                    late = rng.random() < 0.12
                    met = w.ts(
                        datetime.datetime.combine(due + datetime.timedelta(days=3 if late else -1), datetime.time(3))
                    )
                elif terminal:
                    cancelled = w.ts(now)
                deadline_rows.append(
                    (
                        deadline_id,
                        i,
                        stage,
                        begun.isoformat(),
                        5,
                        due.isoformat(),
                        None,
                        False,
                        met,
                        cancelled,
                        None,
                        None,
                        0,
                    )
                )
            if assisted and status not in ("registered", "preparing", "confirmed"):
                escalation_rows.append((i, i, "上报", "协助", False, admin.pk, w.ts(at)))
                for _k in range(rng.choice([1, 1, 2])):
                    dispatch_id += 1
                    st = (
                        "pending"
                        if status == "dispatched"
                        else rng.choice(["accepted", "accepted", "accepted", "declined"])
                    )
                    dispatch_rows.append(
                        (dispatch_id, i, rng.choice(inst_ids), "", st, admin.pk, w.ts(at), None, None, "", i)
                    )
            if status in ("evaluated", "closed") and rng.random() < 0.6:
                items = [rng.choice([10, 10, 8, 8, 6, 0]) for _k in range(5)]
                eval_at = datetime.datetime.combine(day + datetime.timedelta(days=40), datetime.time(4))
                evaluation_rows.append(
                    (i, i, specialist, *items, sum(items), "", "", "", "link", None, None, w.ts(eval_at))
                )
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
        w.write(
            "demands_demand",
            [
                "id",
                "number",
                "enterprise_id",
                "district_id",
                "address",
                "source",
                "contact_name",
                "contact_phone",
                "contact_email",
                "description",
                "collected_on",
                "registered_on",
                "registered_at",
                "registered_by_id",
                "status",
                "service_mode",
                "confirmation_reason",
                "confirmed_at",
                "specialist_id",
                "special_task_id",
                "service_ended_at",
                "closed_at",
                "version",
                "updated_at",
            ],
            demand_rows,
        )
        w.write("demands_demandcategory", ["demand_id", "category"], category_rows)
        w.write(
            "deadlines_deadline",
            [
                "id",
                "demand_id",
                "stage",
                "started_on",
                "working_days",
                "due_on",
                "remind_on",
                "computed_on_weekends_only",
                "met_at",
                "cancelled_at",
                "reminded_at",
                "overdue_alerted_at",
                "overdue_working_days",
            ],
            deadline_rows,
        )
        w.write(
            "demands_escalation",
            ["id", "demand_id", "reason", "needs", "switched_from_direct", "reported_by_id", "reported_at"],
            escalation_rows,
        )
        w.write(
            "demands_dispatch",
            [
                "id",
                "escalation_id",
                "institution_id",
                "note",
                "status",
                "dispatched_by_id",
                "dispatched_at",
                "responded_by_id",
                "responded_at",
                "reason",
                "demand_id",
            ],
            dispatch_rows,
        )
        w.write(
            "evaluations_evaluation",
            [
                "id",
                "demand_id",
                "specialist_id",
                "conduct",
                "attitude",
                "competence",
                "timeliness",
                "result",
                "total",
                "suggestions",
                "remarks",
                "evaluator_name",
                "channel",
                "submitted_by_id",
                "invitation_id",
                "submitted_at",
            ],
            evaluation_rows,
        )
    if w.pg:
        with connection.cursor() as cursor:
            for table in ("demands_demand", "deadlines_deadline", "demands_dispatch", "demands_escalation"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                cursor.execute(sql)
    counters.install()
    counters.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if w.pg else "ANALYZE")
    print(
        f"  {n} demands, {len(category_rows)} categories, {len(deadline_rows)} deadlines, {len(dispatch_rows)} "
        f"dispatches, {len(evaluation_rows)} evaluations in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def bench_users(district):
    """The agency admin and one district's staff the pages are requested as (a database
    filled by `manage.py generate_data` has people of its own, not these)."""
    from qiservice.accounts.choices import Role
    from qiservice.accounts.models import RoleAssignment, User

    for username, role, where in (
        ("bench_admin", Role.AGENCY_ADMIN, None),
        ("bench_staff", Role.AGENCY_STAFF, district),
    ):
        user, created = User.objects.get_or_create(username=username)
        if created:
            RoleAssignment.objects.create(user=user, role=role, district=where)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--demands", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--presets", default="month,last_month,quarter,year", help="comma-separated period presets")
    args = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL") or f"sqlite:////tmp/qi-bench-dashboard-{args.demands}.sqlite3")

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qiservice.accounts.models import District, User

    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(2026)
    build(args.demands, rng)
    district = District.objects.order_by("code").first()
    bench_users(district)
    admin, staff = Client(), Client()
    admin.force_login(User.objects.get(username="bench_admin"))
    staff.force_login(User.objects.get(username="bench_staff"))
    combos = []
    for preset in args.presets.split(","):
        combos.append((f"admin  {preset:<10} 全市", admin, f"/reports/?period={preset}"))
        combos.append(
            (f"admin  {preset:<10} {district.name}", admin, f"/reports/?period={preset}&district={district.pk}")
        )
        combos.append((f"staff  {preset:<10} 本区", staff, f"/reports/?period={preset}"))
    print(f"\n/reports/ on {connection.vendor}, {args.demands} demands, {args.runs} runs each")
    print(f"{'user   period     district':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for label, client, url in combos:
        client.get(url)  # warm-up
        timings = []
        for _run in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(f"{label:<34} {statistics.median(timings):8.1f} {p95:8.1f} {len(queries.captured_queries):8d}")


if __name__ == "__main__":
    main()
