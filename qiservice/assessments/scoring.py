"""From indicators to a total, a grade and a rank (8.6.2). Pure functions.

Each indicator is normalised to a score from 0 to 100 (None when there is nothing to
judge, and then it is left out of the total):

collected, closed   100 × the specialist's count / the best count among the period's
                    specialists (None when nobody has any).
on_time             100 × deadlines met on time / deadlines due (None without deadlines).
overdue_days        100 − 5 per working day late, not below 0.
satisfaction        100 × mean Appendix C total / 50 (None without evaluations).
cases               50 per approved typical case, at most 100.
training            100 × hours this year / the requirement due by the period's end, at
                    most 100 (100 when nothing is required).
declined            100 − 20 per declined assignment, not below 0.
complaints          100 − 50 per upheld complaint, not below 0.
supervisor          the supervisor's score as entered, 0–100 (None until scored).

The total is the weighted mean of the available scores: Σ wᵢ·sᵢ / Σ wᵢ over the
indicators with a score and a weight, rounded to one decimal; it never falls when one
score rises. Ranking orders the period's results by total (highest first; ties by the
specialist's name, then id) into 1…n.
"""

from decimal import ROUND_HALF_UP, Decimal

from .choices import Grade

OVERDUE_DAY_PENALTY = 5
DECLINE_PENALTY = 20
COMPLAINT_PENALTY = 50
CASE_POINTS = 50

INDICATORS = (
    "collected",
    "closed",
    "on_time",
    "overdue_days",
    "satisfaction",
    "cases",
    "training",
    "declined",
    "complaints",
    "supervisor",
)


def _cap(value):
    return round(max(0.0, min(100.0, float(value))), 1)


def best_counts(all_indicators):
    """The best 'collected' and 'closed' among a period's results, for normalising."""
    rows = list(all_indicators)
    return {
        "collected": max((r.get("collected", 0) for r in rows), default=0),
        "closed": max((r.get("closed", 0) for r in rows), default=0),
    }


def normalise(raw, best, supervisor_score=None):
    """{indicator: 0–100 score or None} of one specialist's raw indicators."""

    def relative(name):
        top = best.get(name) or 0
        return _cap(100 * raw.get(name, 0) / top) if top else None

    due = raw.get("deadlines_due", 0)
    mean = raw.get("satisfaction_mean")
    required = raw.get("training_required_to_date") or 0
    return {
        "collected": relative("collected"),
        "closed": relative("closed"),
        "on_time": _cap(100 * raw.get("deadlines_on_time", 0) / due) if due else None,
        "overdue_days": _cap(100 - OVERDUE_DAY_PENALTY * raw.get("overdue_days", 0)),
        "satisfaction": _cap(100 * mean / 50) if mean is not None else None,
        "cases": _cap(CASE_POINTS * raw.get("cases_approved", 0)),
        "training": _cap(100 * raw.get("training_hours_year", 0) / required) if required else 100.0,
        "declined": _cap(100 - DECLINE_PENALTY * raw.get("declined", 0)),
        "complaints": _cap(100 - COMPLAINT_PENALTY * raw.get("complaints", 0)),
        "supervisor": _cap(supervisor_score) if supervisor_score is not None else None,
    }


def total(scores, weights):
    """The weighted mean of the available scores, as a Decimal with one decimal; None
    when no weighted indicator has a score."""
    if not any(weights.get(name, 0) for name in INDICATORS):
        raise ValueError("all weights are zero")
    numerator = denominator = 0.0
    for name in INDICATORS:
        weight, score = weights.get(name, 0), scores.get(name)
        if weight and score is not None:
            numerator += weight * score
            denominator += weight
    if not denominator:
        return None
    return Decimal(str(numerator / denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def grade(value, thresholds):
    if value is None:
        return ""
    if value >= thresholds["excellent"]:
        return Grade.EXCELLENT
    if value >= thresholds["good"]:
        return Grade.GOOD
    if value >= thresholds["pass"]:
        return Grade.PASS
    return Grade.FAIL


def ranking(rows):
    """rows: [(key, total or None, name)] → {key: rank 1…n}; no total ranks last."""
    ordered = sorted(rows, key=lambda r: (r[1] is None, -(r[1] or 0), r[2], r[0]))
    return {key: position for position, (key, _total, _name) in enumerate(ordered, start=1)}
