import pytest

from .helpers import full_demand


@pytest.fixture
def done(world):
    """A demand of 集美 with every form: 3 ledger rows, summary, evaluation, approved case."""
    return full_demand(world)
