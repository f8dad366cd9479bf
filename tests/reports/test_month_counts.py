"""Whole months of a period are read from the per-month counter tables, the days at its
edges from the per-day tables (stats.split): the figures must be the same as when every day
is read from the day tables, for any period, day and district."""

import datetime
from collections import defaultdict

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.reports import counters, stats
from qiservice.reports.models import DemandMonthCount, EvaluationMonthCount
from qiservice.reports.periods import Period, month_end

D = datetime.date


def test_a_period_splits_into_whole_months_and_edge_days():
    assert stats.split(D(2025, 1, 1), D(2025, 12, 31)) == ([D(2025, m, 1) for m in range(1, 13)], [])
    assert stats.split(D(2025, 1, 15), D(2025, 3, 10)) == (
        [D(2025, 2, 1)],
        [(D(2025, 1, 15), D(2025, 1, 31)), (D(2025, 3, 1), D(2025, 3, 10))],
    )
    assert stats.split(D(2025, 2, 2), D(2025, 2, 27)) == ([], [(D(2025, 2, 2), D(2025, 2, 27))])
    # With `before`, a month is whole only if it ends before that day (today, for deadlines).
    assert stats.split(D(2025, 1, 1), D(2025, 12, 31), before=D(2025, 11, 25)) == (
        [D(2025, m, 1) for m in range(1, 11)],
        [(D(2025, 11, 1), D(2025, 12, 31))],
    )


@given(
    start=st.dates(D(2023, 1, 1), D(2027, 12, 31)),
    days=st.integers(0, 800),
    before=st.none() | st.dates(D(2023, 1, 1), D(2028, 12, 31)),
)
def test_the_split_covers_every_day_once(start, days, before):
    end = start + datetime.timedelta(days=days)
    months, edges = stats.split(start, end, before)
    covered = []
    for first in months:
        assert first.day == 1 and month_end(first) <= end and first >= start
        assert before is None or month_end(first) < before
        covered += [first + datetime.timedelta(days=i) for i in range(month_end(first).day)]
    for first, last in edges:
        assert first <= last
        covered += [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    assert sorted(covered) == [start + datetime.timedelta(days=i) for i in range(days + 1)]
    assert len(edges) <= 2


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.dates(D(2025, 7, 1), D(2025, 11, 30)),
    days=st.integers(0, 160),
    today=st.dates(D(2025, 9, 1), D(2026, 1, 31)),
    district=st.sampled_from([None, "jimei", "siming"]),
)
def test_month_rows_give_the_same_figures_as_day_rows(data, world, start, days, today, district):
    chosen = getattr(world, district) if district else None
    view = stats.View(district_ids=(chosen.pk,) if chosen else None, district=chosen)
    period = Period(start, start + datetime.timedelta(days=days), "custom")
    assert stats.dashboard(view, period, today, months=True) == stats.dashboard(view, period, today, months=False)


@pytest.mark.django_db
def test_whole_months_are_read_from_the_month_rows(data, world):
    """Change a month counter by hand: the figure of a period holding that whole month
    follows, the figure of a period holding only some of its days does not."""
    view = stats.View(district_ids=None)
    today = D(2025, 11, 25)
    whole = Period(D(2025, 9, 1), D(2025, 10, 31), "custom")
    part = Period(D(2025, 9, 2), D(2025, 10, 30), "custom")
    before_whole = stats.dashboard(view, whole, today)
    before_part = stats.dashboard(view, part, today)
    DemandMonthCount.objects.filter(registered_on=D(2025, 10, 1), status="registered").update(n=100)
    EvaluationMonthCount.objects.filter(submitted_on=D(2025, 10, 1)).update(n=0, total=0)
    after_whole = stats.dashboard(view, whole, today)
    assert after_whole["total"]["count"] == before_whole["total"]["count"] + 99
    assert after_whole["satisfaction"]["count"] == 1  # only September's evaluation is left
    assert stats.dashboard(view, part, today) == before_part
    # The nightly check finds the changed rows and the rebuild restores them.
    assert set(counters.check()) == {"reports_demandmonthcount", "reports_evaluationmonthcount"}
    counters.rebuild()
    assert counters.check() == {}
    assert stats.dashboard(view, whole, today) == before_whole


@pytest.mark.django_db
def test_the_whole_city_reads_its_own_month_rows(data, world):
    """Beside each district's row the month tables hold the whole city's (counters.CITY),
    kept by the same triggers: the whole-city view reads those, a district's view its own
    rows, and the whole-city figures by district come from the districts' rows."""
    sums = defaultdict(int)
    for month, status, source, n in DemandMonthCount.objects.exclude(district_id=counters.CITY).values_list(
        "registered_on", "status", "source", "n"
    ):
        sums[month, status, source] += n
    city = DemandMonthCount.objects.filter(district_id=counters.CITY)
    assert {(m, st, so): n for m, st, so, n in city.values_list("registered_on", "status", "source", "n")} == sums
    assert len(sums) >= 8
    city_rows = city.filter(registered_on=D(2025, 10, 1))
    today = D(2025, 11, 25)
    whole = Period(D(2025, 9, 1), D(2025, 10, 31), "custom")
    city = stats.View(district_ids=None)
    jimei = stats.View(district_ids=(world.jimei.pk,), district=world.jimei)
    before_city, before_jimei = stats.dashboard(city, whole, today), stats.dashboard(jimei, whole, today)
    assert before_city["total"]["count"] == sum(row["count"] for row in before_city["by_district"])

    city_rows.filter(status="registered").update(n=F("n") + 10)
    after = stats.dashboard(city, whole, today)
    assert after["total"]["count"] == before_city["total"]["count"] + 10 * city_rows.filter(status="registered").count()
    assert after["by_district"] == before_city["by_district"]  # the districts' rows, untouched
    assert stats.dashboard(jimei, whole, today) == before_jimei
    assert set(counters.check()) == {"reports_demandmonthcount"}
    counters.rebuild()
    assert stats.dashboard(city, whole, today) == before_city
