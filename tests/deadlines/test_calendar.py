"""Working-day arithmetic pinned to the real 2026 calendar and to an agency-entered 2027."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from qiservice.deadlines import calendar
from qiservice.deadlines.models import Holiday


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 2, 13), True),  # Friday before the Spring Festival
        (dt.date(2026, 2, 14), True),  # Saturday worked in exchange (调休)
        (dt.date(2026, 2, 16), False),  # 除夕 week: holiday on a Monday
        (dt.date(2026, 2, 23), False),  # still the Spring Festival holiday (Monday)
        (dt.date(2026, 2, 24), True),
        (dt.date(2026, 2, 28), True),  # Saturday worked in exchange
        (dt.date(2026, 9, 20), True),  # Sunday worked before National Day
        (dt.date(2026, 10, 1), False),
        (dt.date(2026, 10, 7), False),
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 10, 10), True),  # Saturday worked after National Day
        (dt.date(2026, 11, 28), False),  # an ordinary Saturday
    ],
)
def test_2026_working_days_follow_the_state_council_calendar(db, day, working):
    assert calendar.is_working_day(day) is working


def test_adding_working_days_skips_the_spring_festival(db):
    # Friday 13 Feb + 1 = Saturday 14 Feb (a make-up working day).
    assert calendar.add_working_days(dt.date(2026, 2, 13), 1).day == dt.date(2026, 2, 14)
    # Saturday 14 Feb + 1: the holiday runs 15–23 Feb, so Tuesday 24 Feb.
    result = calendar.add_working_days(dt.date(2026, 2, 14), 1)
    assert result == calendar.CalendarResult(dt.date(2026, 2, 24), fallback=False)


def test_adding_working_days_across_national_day(db):
    assert calendar.add_working_days(dt.date(2026, 9, 30), 1).day == dt.date(2026, 10, 8)
    assert calendar.add_working_days(dt.date(2026, 9, 30), 3).day == dt.date(2026, 10, 10)
    assert calendar.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12)) == 4


def test_a_year_without_calendar_data_counts_weekends_only_and_says_so(db):
    result = calendar.add_working_days(dt.date(2027, 9, 30), 1)
    assert result == calendar.CalendarResult(dt.date(2027, 10, 1), fallback=True)


def test_the_agency_enters_2027_and_arithmetic_follows(db, client):
    from qiservice.accounts.choices import Role
    from tests.conftest import make_user

    admin = make_user("admin", Role.AGENCY_ADMIN)
    client.force_login(admin)
    for day in range(1, 8):
        response = client.post(
            "/deadlines/calendar/new/", {"date": f"2027-10-0{day}", "kind": "holiday", "name": "国庆节"}
        )
        assert response.status_code == 302, response.content.decode()[:400]
    response = client.post("/deadlines/calendar/new/", {"date": "2027-10-09", "kind": "workday", "name": "国庆节调休"})
    assert response.status_code == 302
    assert calendar.add_working_days(dt.date(2027, 9, 30), 1) == calendar.CalendarResult(dt.date(2027, 10, 8), False)
    assert calendar.is_working_day(dt.date(2027, 10, 9))  # a Saturday worked in exchange


def test_a_contradictory_calendar_entry_is_refused(db, client):
    from qiservice.accounts.choices import Role
    from tests.conftest import make_user

    client.force_login(make_user("admin", Role.AGENCY_ADMIN))
    response = client.post("/deadlines/calendar/new/", {"date": "2027-03-03", "kind": "workday", "name": "x"})
    assert "调休上班日应为周六或周日" in response.content.decode()
    response = client.post("/deadlines/calendar/new/", {"date": "2026-10-01", "kind": "workday", "name": "x"})
    assert "该日期已登记" in response.content.decode()
    assert not Holiday.objects.filter(date=dt.date(2027, 3, 3)).exists()
    assert Holiday.objects.get(date=dt.date(2026, 10, 1)).kind == "holiday"


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2026, 12, 20)), st.integers(0, 30))
def test_adding_n_working_days_lands_n_working_days_later(start, n):
    result = calendar.add_working_days(start, n).day
    assert calendar.is_working_day(result)
    if n:
        assert calendar.working_days_between(start, result) == n


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        calendar.add_working_days(dt.date(2026, 1, 5), -1)


def test_a_policy_needs_at_least_one_day(db):
    from qiservice.deadlines.models import DeadlinePolicy

    with pytest.raises(ValidationError):
        DeadlinePolicy(stage="summary", working_days=0, remind_days_before=0).full_clean()
    with pytest.raises(ValidationError):
        DeadlinePolicy(stage="summary", working_days=3, remind_days_before=3).full_clean()
