"""Each indicator against the hand-counted 2025 record of tests/assessments/helpers.py."""

import datetime

from django.core.cache import cache

from qiservice.assessments import indicators
from qiservice.deadlines.choices import Stage
from qiservice.deadlines.models import Holiday
from qiservice.specialists.models import PoolSettings

from .helpers import EXPECTED_JIMEI_2025, at, build_2025, deadline, demand, national_day_2025

D = datetime.date
YEAR = (D(2025, 1, 1), D(2025, 12, 31))
LATER = D(2026, 11, 25)


def test_every_indicator_of_the_year_matches_the_hand_count(world):
    build_2025(world)
    figures = indicators.compute([world.sp_jimei, world.sp_siming], *YEAR, today=LATER)
    assert figures[world.sp_jimei.pk] == EXPECTED_JIMEI_2025
    siming = figures[world.sp_siming.pk]
    assert siming["collected"] == 1
    assert (siming["closed"], siming["deadlines_due"], siming["overdue_days"], siming["declined"]) == (0, 0, 0, 0)
    assert siming["satisfaction_mean"] is None, "no evaluation: no mean, not 0"
    assert siming["evaluations"] == 0


def test_each_indicator_function_on_its_own(world):
    build_2025(world)
    ids = [world.sp_jimei.pk, world.sp_siming.pk]
    jimei = world.sp_jimei.pk
    assert indicators.collected(ids, *YEAR) == {jimei: 2, world.sp_siming.pk: 1}
    assert indicators.closed(ids, *YEAR) == {jimei: 3}
    assert indicators.on_time(ids, *YEAR, today=LATER)[jimei] == EXPECTED_JIMEI_2025["on_time_by_stage"]
    assert indicators.overdue_days(ids, *YEAR, today=LATER) == {jimei: 3}
    count, mean = indicators.satisfaction(ids, *YEAR)[jimei]
    assert (count, float(mean)) == (2, 35.0)
    assert indicators.cases_approved(ids, *YEAR) == {jimei: 1}
    assert float(indicators.training_hours(ids, *YEAR)[jimei]) == 10.5
    assert indicators.declined(ids, *YEAR) == {jimei: 1}
    assert indicators.complaints(ids, *YEAR) == {}


def test_upheld_complaints_closed_in_the_period_count(world):
    """Only upheld complaints closed inside the period count (qiservice/complaints)."""
    from qiservice.complaints.models import Complaint

    def complaint(n, upheld, closed_at, status="closed"):
        return Complaint.objects.create(
            number=f"TS-{n}",
            enterprise=world.ent_jimei,
            specialist=world.sp_jimei,
            subject="服务态度",
            text="约定时间未到场",
            submitted_by=world.people.enterprise_user,
            status=status,
            upheld=upheld,
            closed_at=closed_at,
        )

    complaint(1, True, at(2025, 3, 1))
    complaint(2, True, at(2025, 12, 31, 23, 30))  # the last day counts
    complaint(3, False, at(2025, 6, 1))  # not upheld
    complaint(4, True, at(2026, 1, 1, 0, 30))  # after the period
    complaint(5, True, None, status="answered")  # not closed yet
    ids = [world.sp_jimei.pk, world.sp_siming.pk]
    assert indicators.complaints(ids, *YEAR) == {world.sp_jimei.pk: 2}
    figures = indicators.compute([world.sp_jimei, world.sp_siming], *YEAR, today=LATER)
    assert (figures[world.sp_jimei.pk]["complaints"], figures[world.sp_siming.pk]["complaints"]) == (2, 0)


def test_the_statutory_holiday_is_not_counted_as_days_late(world):
    """Without the National Day rows the agreement met on 9 October would be 7 working days
    late instead of 1 (the open summary deadline stays 2 days late)."""
    national_day_2025()
    d = demand(world, by=world.people.specialist, registered_on=D(2025, 9, 1))
    late = deadline(d, Stage.AGREEMENT, D(2025, 9, 30), met_at=at(2025, 10, 9))
    assert late.overdue_working_days == 1
    Holiday.objects.filter(date__range=(D(2025, 10, 1), D(2025, 10, 11))).delete()
    cache.clear()
    late2 = deadline(d, Stage.SUMMARY, D(2025, 9, 30), met_at=at(2025, 10, 9))
    assert late2.overdue_working_days == 7


def test_while_the_period_runs_deadlines_are_judged_on_today(world):
    """Halfway through December only what was due before today counts: the summary
    deadline due on 29 December is not late yet on the 15th."""
    build_2025(world)
    figures = indicators.compute([world.sp_jimei], *YEAR, today=D(2025, 12, 15))[world.sp_jimei.pk]
    assert figures["deadlines_due"] == 3
    assert figures["overdue_days"] == 1


def test_a_quarter_counts_only_its_own_days_and_prorates_the_training_requirement(world):
    build_2025(world)
    PoolSettings.objects.create(yearly_training_hours=20)
    q4 = indicators.compute([world.sp_jimei], D(2025, 10, 1), D(2025, 12, 31), today=LATER)[world.sp_jimei.pk]
    assert q4["collected"] == 1  # d4 (1 December)
    assert q4["closed"] == 2  # d1 (20 November), d5 (31 December 23:30)
    assert q4["deadlines_due"] == 2 and q4["deadlines_on_time"] == 1  # preparation on time, summary open & late
    assert q4["overdue_days"] == 2
    assert q4["training_hours"] == 6.0 and q4["training_hours_year"] == 10.5
    assert q4["training_required"] == 20 and q4["training_required_to_date"] == 20.0
    q1 = indicators.compute([world.sp_jimei], D(2025, 1, 1), D(2025, 3, 31), today=LATER)[world.sp_jimei.pk]
    assert q1["training_required_to_date"] == round(20 * 90 / 365, 1)  # 4.9 hours due by 31 March
    assert q1["satisfaction_mean"] is None and q1["evaluations"] == 0


def test_the_indicators_are_aggregate_queries_not_a_loop_over_demands(world, django_assert_max_num_queries):
    build_2025(world)
    with django_assert_max_num_queries(14):
        indicators.compute([world.sp_jimei, world.sp_siming], *YEAR, today=LATER)
