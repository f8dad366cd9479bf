"""Benchmark: ranking 10 000 specialists (with their history) for a demand.

    .venv/bin/python bench/bench_matching.py [--specialists 10000] [--runs 50]

Builds (once) a separate SQLite database under var/bench/ (or uses DATABASE_URL) with the
pool: specialists with fields, expertise tokens, open demands, met deadlines and evaluations;
then times `matching.rank(...)` for the top 10 over realistic Chinese descriptions and prints
p50 / p95 and the query count. Figures are printed, never asserted.
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

PHRASES = [
    "计量器具检定校准",
    "测量管理体系建设",
    "三坐标测量机校准",
    "压力表衡器检定",
    "团体标准制定",
    "企业标准体系",
    "标准化良好行为评价",
    "ISO 9001质量管理体系认证",
    "认证审核辅导",
    "CCC产品认证咨询",
    "电子电器产品检测",
    "食品检验检测",
    "检测报告解读",
    "卓越绩效模式导入",
    "QC小组活动",
    "质量奖申报",
    "实验室仪器校准",
    "能源计量审查",
]
QUERIES = [
    (["metrology"], "新购一批压力表和电子秤，需要计量器具检定"),
    (["standardization"], "牵头起草团体标准，需要标准制定指导"),
    (["certification_accreditation"], "准备申请ISO 9001认证"),
    (["inspection_testing"], "新产品上市前做产品检测"),
    (["quality_management", "metrology"], "导入卓越绩效，完善计量管理"),
]


def setup_django(db_url):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qiservice.settings")
    os.environ["DATABASE_URL"] = db_url
    import django

    django.setup()


def build(n, rng):
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from qiservice.accounts.models import Agency, District, User
    from qiservice.core.choices import QIField
    from qiservice.core.demo import DISTRICTS, make_credit_code
    from qiservice.deadlines.models import Deadline
    from qiservice.demands.models import Demand
    from qiservice.enterprises.models import Enterprise
    from qiservice.evaluations.models import Evaluation
    from qiservice.specialists import matching
    from qiservice.specialists.models import Specialist, SpecialistField

    call_command("migrate", verbosity=0)
    if Specialist.objects.count() >= n:
        return
    print(f"building a pool of {n} specialists …", flush=True)
    token_cache = {p: " ".join(matching.tokenize(p)) for p in PHRASES}
    with transaction.atomic():
        agency, _ = Agency.objects.get_or_create(name="bench")
        districts = [
            District.objects.get_or_create(code=c, defaults={"name": d, "agency": agency})[0] for d, c in DISTRICTS
        ]
        users = User.objects.bulk_create(User(username=f"bench{i}", password="!") for i in range(n))
        specialists = Specialist.objects.bulk_create(
            Specialist(
                user=u,
                name=f"专员{i}",
                phone="13800000000",
                district=rng.choice(districts),
                capacity=rng.choice([3, 5, 8]),
                status="active" if i % 20 else "suspended",
                match_tokens=" ".join(token_cache[p] for p in rng.sample(PHRASES, 3)),
            )
            for i, u in enumerate(users)
        )
        SpecialistField.objects.bulk_create(
            SpecialistField(specialist=s, field=f, proficiency=rng.choice(["basic", "proficient", "expert"]))
            for s in specialists
            for f in rng.sample(QIField.values[:5], 2)
        )
        codes = {}
        while len(codes) < 2000:
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
        now = timezone.now()
        demands = Demand.objects.bulk_create(
            Demand(
                number=f"QI-2026-{i + 1:06d}",
                enterprise=e,
                district_id=e.district_id,
                address="厦门",
                source="phone",
                contact_name="联系人",
                contact_phone="13800000000",
                description=rng.choice(PHRASES),
                registered_by=users[0],
                specialist=rng.choice(specialists),
                status=rng.choice(["in_service", "closed", "closed", "preparing"]),
            )
            for i, e in enumerate(rng.choice(enterprises) for _ in range(3 * n))
        )
        Deadline.objects.bulk_create(
            Deadline(
                demand=d,
                stage="preparation",
                started_on=now.date(),
                working_days=5,
                due_on=now.date(),
                met_at=now,
                overdue_working_days=rng.choice([0, 0, 0, 2]),
            )
            for d in demands
        )
        Evaluation.objects.bulk_create(
            Evaluation(
                demand=d,
                specialist_id=d.specialist_id,
                conduct=10,
                attitude=rng.choice([10, 8]),
                competence=rng.choice([10, 8, 6]),
                timeliness=8,
                result=rng.choice([10, 8]),
                total=0,
                channel="link",
            )
            for d in demands
            if d.status == "closed"
        )
    matching.bump_index_version()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--specialists", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    setup_django(os.environ.get("DATABASE_URL") or f"sqlite:///{bench_dir / f'matching-{args.specialists}.sqlite3'}")

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from qiservice.accounts.models import District
    from qiservice.specialists import matching

    rng = random.Random(2026)
    build(args.specialists, rng)
    district = District.objects.get(name="集美区")
    matching.rank(categories=["metrology"], description="预热", district=district)  # load jieba and the index

    timings, query_counts = [], []
    for i in range(args.runs):
        categories, text = QUERIES[i % len(QUERIES)]
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            ranking = matching.rank(categories=categories, description=text, district=district, limit=10)
        timings.append((time.perf_counter() - start) * 1000)
        query_counts.append(len(queries.captured_queries))
        assert len(ranking.candidates) == 10
    reset_queries()
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"matching top 10 of {args.specialists} specialists on {connection.vendor}: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, queries per ranking: median {statistics.median(query_counts):g}, "
        f"max {max(query_counts)} (the load/record figures are refreshed every {matching.STATS_SECONDS} s)"
    )


if __name__ == "__main__":
    main()
