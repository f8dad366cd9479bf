import pytest

from qiservice.assessments import workflow


@pytest.fixture
def period_2025(world):
    """The 2025 yearly assessment over the hand-counted record, opened by the admin."""
    from .helpers import build_2025

    build_2025(world)
    return workflow.open_period(kind="year", year=2025, by=world.people.admin)


def score_all(period, by, value=80):
    for assessment in period.assessments.all():
        workflow.score(assessment, by=by, supervisor_score=value, comments="认真负责")


@pytest.fixture
def published_2025(world, period_2025):
    score_all(period_2025, world.people.admin)
    workflow.advance(period_2025, by=world.people.admin)
    return workflow.advance(period_2025, by=world.people.admin)
