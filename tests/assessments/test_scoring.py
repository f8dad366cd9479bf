"""Normalisation, weighted total, grade and ranking (scoring.py), by hand and by property."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiservice.assessments import scoring
from qiservice.assessments.choices import Grade

from .helpers import EXPECTED_JIMEI_2025

WEIGHTS = dict.fromkeys(scoring.INDICATORS, 10)
THRESHOLDS = {"excellent": 90, "good": 80, "pass": 60}


def test_the_hand_counted_record_normalises_as_documented():
    scores = scoring.normalise(EXPECTED_JIMEI_2025, {"collected": 4, "closed": 3}, Decimal("80"))
    assert scores == {
        "collected": 50.0,  # 2 of the best 4
        "closed": 100.0,  # the best
        "on_time": 50.0,  # 2 of 4
        "overdue_days": 85.0,  # 100 − 5 × 3
        "satisfaction": 70.0,  # 35 / 50
        "cases": 50.0,  # one case
        "training": 65.6,  # 10.5 / 16
        "declined": 80.0,  # 100 − 20
        "complaints": 100.0,
        "supervisor": 80.0,
    }
    # Equal weights: the plain mean of the ten scores.
    assert scoring.total(scores, WEIGHTS) == Decimal("73.1")
    # Only satisfaction and the supervisor count: (70 × 3 + 80 × 1) / 4.
    weights = dict.fromkeys(scoring.INDICATORS, 0) | {"satisfaction": 3, "supervisor": 1}
    assert scoring.total(scores, weights) == Decimal("72.5")


def test_an_indicator_without_data_is_left_out_not_zero():
    raw = {"deadlines_due": 0, "satisfaction_mean": None, "training_required_to_date": 0}
    scores = scoring.normalise(raw, {"collected": 0, "closed": 0})
    assert scores["on_time"] is None and scores["satisfaction"] is None and scores["collected"] is None
    assert scores["training"] == 100.0, "nothing required yet"
    weights = dict.fromkeys(scoring.INDICATORS, 0) | {"satisfaction": 5, "declined": 1}
    assert scoring.total(scores, weights) == Decimal("100.0"), "only 'declined' (100) has data"


def test_all_zero_weights_are_refused():
    with pytest.raises(ValueError):
        scoring.total({"collected": 50.0}, dict.fromkeys(scoring.INDICATORS, 0))


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (Decimal("100"), Grade.EXCELLENT),
        (Decimal("90.0"), Grade.EXCELLENT),
        (Decimal("89.9"), Grade.GOOD),
        (Decimal("80"), Grade.GOOD),
        (Decimal("60"), Grade.PASS),
        (Decimal("59.9"), Grade.FAIL),
        (None, ""),
    ],
)
def test_grades_follow_the_thresholds(total, grade):
    assert scoring.grade(total, THRESHOLDS) == grade


score = st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False))
scores_strategy = st.fixed_dictionaries(dict.fromkeys(scoring.INDICATORS, score))
weights_strategy = st.fixed_dictionaries({name: st.integers(0, 50) for name in scoring.INDICATORS}).map(
    lambda w: w if any(w.values()) else w | {"supervisor": 1}
)


@given(scores_strategy, weights_strategy, st.sampled_from(scoring.INDICATORS), st.floats(0, 100))
def test_the_total_never_falls_when_one_score_rises(scores, weights, name, rise):
    before = scoring.total(scores, weights)
    current = scores[name]
    if current is None:
        return  # no data → data is not a 'rise' of a score
    higher = scores | {name: min(100.0, current + rise)}
    after = scoring.total(higher, weights)
    assert before is None or after >= before


@given(
    st.fixed_dictionaries(
        {
            "collected": st.integers(0, 30),
            "closed": st.integers(0, 30),
            "deadlines_due": st.integers(0, 20),
            "overdue_days": st.integers(0, 40),
            "satisfaction_mean": st.one_of(st.none(), st.floats(0, 50)),
            "cases_approved": st.integers(0, 5),
            "training_hours_year": st.floats(0, 40),
            "training_required_to_date": st.floats(0, 16),
            "declined": st.integers(0, 6),
            "complaints": st.integers(0, 3),
        }
    ),
    st.sampled_from(["collected", "closed", "cases_approved", "satisfaction_mean", "training_hours_year"]),
    weights_strategy,
)
def test_more_of_a_good_figure_or_less_of_a_bad_one_never_lowers_the_total(raw, name, weights):
    raw = raw | {"deadlines_on_time": raw["deadlines_due"] // 2}
    best = {"collected": 30, "closed": 30}
    before = scoring.total(scoring.normalise(raw, best), weights)
    if raw[name] is None:
        return
    better = raw | {name: raw[name] + (1 if name != "satisfaction_mean" else 0.5)}
    better["satisfaction_mean"] = (
        min(50, better["satisfaction_mean"]) if better["satisfaction_mean"] is not None else None
    )
    after = scoring.total(scoring.normalise(better, best), weights)
    assert before is None or after >= before
    fewer_late = raw | {"overdue_days": max(0, raw["overdue_days"] - 1), "declined": max(0, raw["declined"] - 1)}
    assert before is None or scoring.total(scoring.normalise(fewer_late, best), weights) >= before


@given(st.lists(st.one_of(st.none(), st.decimals(0, 100, places=1)), max_size=30), st.data())
def test_ranking_is_a_permutation_ordered_by_total(totals, data):
    names = data.draw(st.lists(st.sampled_from(["王", "陈", "李"]), min_size=len(totals), max_size=len(totals)))
    rows = [(pk, total, name) for pk, (total, name) in enumerate(zip(totals, names, strict=True), start=1)]
    ranks = scoring.ranking(rows)
    assert sorted(ranks.values()) == list(range(1, len(rows) + 1))
    by_rank = sorted(rows, key=lambda r: ranks[r[0]])
    known = [r[1] for r in by_rank if r[1] is not None]
    assert known == sorted(known, reverse=True)
    assert all(r[1] is None for r in by_rank[len(known) :]), "no total ranks last"
