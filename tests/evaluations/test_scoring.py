"""Appendix C scoring: each item 10 / 8 / 6 / 0; total = the sum, 0–50."""

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.demands import workflow
from qiservice.evaluations.choices import ITEMS, Rating
from qiservice.evaluations.forms import EvaluationForm

NAMES = [name for name, _label in ITEMS]
ratings = st.fixed_dictionaries({name: st.sampled_from(Rating.values) for name in NAMES})


class Rollback(Exception):
    pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratings=ratings)
def test_any_five_ratings_total_their_sum_between_0_and_50(world, ended, ratings):
    demand, _invitation = ended
    try:
        with transaction.atomic():  # each example evaluates the same fresh demand
            evaluation = workflow.record_evaluation(demand, ratings=ratings, channel="paper", by=world.people.admin)
            evaluation.refresh_from_db()
            assert evaluation.total == sum(ratings.values())
            assert 0 <= evaluation.total <= 50
            assert {name: getattr(evaluation, name) for name in NAMES} == ratings
            raise Rollback
    except Rollback:
        pass


@given(ratings=ratings, name=st.sampled_from(NAMES), bad=st.integers().filter(lambda v: v not in Rating.values))
def test_the_form_refuses_any_value_outside_the_scale(ratings, name, bad):
    form = EvaluationForm(data=ratings | {name: bad})
    assert not form.is_valid() and list(form.errors) == [name]
    assert EvaluationForm(data=ratings).is_valid()
