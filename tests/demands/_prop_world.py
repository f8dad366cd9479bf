"""The named people of tests/conftest.py, plus staff of the second institution, built outside
a pytest fixture for Hypothesis test classes (setUpTestData) and threads."""

from qiservice.accounts.choices import Role
from tests.conftest import build_world as build_conftest_world
from tests.conftest import make_user


def build_world():
    world = build_conftest_world()
    # Not one of conftest's people: staff of the second institution, so that a demand
    # dispatched to both can be declined by one and still wait for the other.
    world.people.testing_staff = make_user("testing_staff", Role.INSTITUTION_STAFF, institution=world.testing)
    return world
