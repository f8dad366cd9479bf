import pytest

from .helpers import ended_demand


@pytest.fixture
def ended(world):
    """(demand, invitation): a direct service of 集美 that has just ended."""
    return ended_demand(world)
