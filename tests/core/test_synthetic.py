"""The synthetic-data generator (issue 9): valid, consistent, reproducible rows that the real
pages can show."""

import datetime
import itertools
from collections import Counter

import pytest
from django.db import connection, transaction

from qiservice.accounts.choices import Role
from qiservice.core.synthetic import Generator, Scale, credit_code
from qiservice.core.validators import validate_credit_code
from qiservice.deadlines import calendar
from qiservice.deadlines.models import Deadline
from qiservice.demands.choices import DemandStatus
from qiservice.demands.models import Demand, LedgerEntry, StatusChange
from qiservice.enterprises.models import Enterprise
from qiservice.evaluations.models import Evaluation
from tests.conftest import make_user

TODAY = datetime.date(2026, 11, 20)
SMALL = Scale(demands=600, enterprises=80, specialists=30, institutions=6, ledger_entries=3000, districts=6, years=3)


def generate(seed=7):
    Generator(SMALL, seed=seed, today=TODAY, log=lambda text: None).run()


def fingerprint():
    return list(Demand.objects.order_by("number").values_list("number", "status", "description", "service_mode"))


@pytest.fixture
def generated(db):
    generate()


def test_counts_and_every_state(generated):
    assert Demand.objects.count() == 600
    assert Enterprise.objects.count() == 80
    assert set(Demand.objects.values_list("status", flat=True)) == set(DemandStatus.values)
    # Ledger rows land near the scale's figure (the count per served demand is random).
    assert 2000 <= LedgerEntry.objects.count() <= 4500
    # Only demands that reached the evaluation have one; totals are the sum of the items.
    for evaluation in Evaluation.objects.select_related("demand")[:50]:
        assert evaluation.total == sum(
            (evaluation.conduct, evaluation.attitude, evaluation.competence, evaluation.timeliness, evaluation.result)
        )
        assert evaluation.demand.status in ("evaluated", "closed")


def test_credit_codes_valid_and_unique(generated):
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    for code in codes:
        validate_credit_code(code)  # raises on a wrong check character
    assert credit_code(12, "350211") != credit_code(13, "350211")


def test_history_and_deadlines_agree_with_the_workflow(generated):
    for demand in Demand.objects.order_by("?")[:60]:
        changes = list(StatusChange.objects.filter(demand=demand).order_by("created_at", "pk"))
        assert changes[0].action == "register"
        assert changes[-1].to_status == demand.status
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(changes))
        assert demand.version == len(changes)
        assert demand.number.startswith(f"QI-{demand.registered_on.year}-")
    # Due dates are the real calendar's (holidays and make-up days included).
    for deadline in Deadline.objects.order_by("?")[:200]:
        assert deadline.due_on == calendar.add_working_days(deadline.started_on, deadline.working_days).day
        if deadline.met_at is not None:
            met_on = deadline.met_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date()
            assert deadline.overdue_working_days == calendar.working_days_between(deadline.due_on, met_on)
    # Terminal demands keep no open deadline.
    assert not Deadline.objects.open().filter(demand__status__in=["closed", "withdrawn", "cancelled"]).exists()
    # An evaluation, when submitted, meets the evaluation's time limit (workflow.submit_evaluation).
    evaluated = Deadline.objects.filter(stage="evaluation", demand__evaluation__isnull=False)
    assert evaluated.exists() and not evaluated.filter(met_at__isnull=True, cancelled_at__isnull=True).exists()
    assert evaluated.filter(met_at__isnull=False).count() == evaluated.count()


def test_foreign_keys_hold(generated):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []
    else:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # raises if a deferred key is broken


def test_the_pages_show_generated_demands(generated, login):
    admin = make_user("gen_admin", Role.AGENCY_ADMIN)
    client = login(admin)
    closed = Demand.objects.filter(status="closed", evaluation__isnull=False).first()
    page = client.get(closed.get_absolute_url()).content.decode()
    assert closed.number in page
    assert closed.ledger_entries.first().problem in page
    listing = client.get("/demands/", {"q": closed.number}).content.decode()
    assert closed.number in listing


def test_the_search_index_is_what_the_workflow_would_write(generated):
    from qiservice.demands import search
    from qiservice.demands.models import DemandSearch

    stored = dict(DemandSearch.objects.values_list("demand_id", "grams"))
    assert len(stored) == Demand.objects.count()
    for demand in Demand.objects.select_related("enterprise").order_by("?")[:50]:
        assert stored[demand.pk] == search.document(demand.number, demand.enterprise.name, demand.description)
    word = "校准"
    expected = set(Demand.objects.filter(description__contains=word).values_list("pk", flat=True))
    assert expected and set(search.search_demands(Demand.objects.all(), word).values_list("pk", flat=True)) == expected


def test_same_seed_same_data(db):
    sid = transaction.savepoint()
    generate(seed=11)
    first = fingerprint()
    transaction.savepoint_rollback(sid)
    assert not Demand.objects.exists()
    generate(seed=11)
    assert fingerprint() == first
    assert Counter(s for _, s, _, _ in first) == Counter(Demand.objects.values_list("status", flat=True))


def test_the_dashboard_counters_are_rebuilt_after_the_bulk_load(generated):
    from qiservice.reports import counters
    from qiservice.reports.models import DeadlineCount, SpecialistLoad

    assert SpecialistLoad.objects.filter(open_demands__gt=0).exists()
    assert DeadlineCount.objects.filter(outcome="open").exists()
    assert counters.check() == {}
