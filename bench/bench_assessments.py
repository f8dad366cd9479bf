"""Benchmark: computing a period's performance indicators for the whole specialist pool.

    .venv/bin/python bench/bench_assessments.py [--specialists 10000] [--runs 5]

Reuses the pool that bench_matching.py builds (specialists, 3 demands each, met
deadlines, evaluations; under var/bench/ or DATABASE_URL), then times
`assessments.indicators.compute(...)` for every active specialist over the current year,
and a whole `workflow.open_period(...)` (indicators, scores, totals, ranks, stored), and
prints p50 / max and the query count. Figures are printed, never asserted.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_matching import build, setup_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--specialists", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    setup_django(os.environ.get("DATABASE_URL") or f"sqlite:///{bench_dir / f'matching-{args.specialists}.sqlite3'}")
    build(args.specialists, random.Random(7))

    import datetime

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from qiservice.accounts.models import User
    from qiservice.assessments import indicators, workflow
    from qiservice.specialists.models import Specialist

    today = timezone.localdate()
    start, end = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    pool = list(Specialist.objects.filter(status="active").only("pk", "name"))
    times = []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            figures = indicators.compute(pool, start, end)
            times.append(time.perf_counter() - began)
    closed = sum(f["closed"] for f in figures.values())
    print(
        f"indicators.compute for {len(pool)} specialists ({closed} closed demands): "
        f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, {len(queries)} queries"
    )

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True, "password": "!"})
    with transaction.atomic():
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            period = workflow.open_period(kind="year", year=today.year, by=admin)
        elapsed = time.perf_counter() - began
        print(
            f"open_period ({period.assessments.count()} assessments stored, scored and ranked): "
            f"{elapsed * 1000:.0f} ms, {len(queries)} queries"
        )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
