"""How a deadline turned out, as SQL conditions, for statistics and their drill-down lists.

A deadline is *on time* when the stage was met on or before its due date (the local date of
`met_at`, Asia/Shanghai, against `due_on`), *late* when it was met after it, and *overdue*
while it is still open after its due date. Cancelled deadlines (the demand was closed,
withdrawn or cancelled) count in none of them. The due date already skips weekends,
statutory holidays and counts make-up working days (`calendar.add_working_days`), so
nothing here recomputes working days. This is the rule of `Deadline.is_overdue`.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

OUTCOMES = [
    ("on_time", _("按时完成")),
    ("late", _("超时完成")),
    ("overdue", _("逾期未完成")),
]


class LocalDate(TruncDate):
    """The local date of a datetime column. On SQLite Django's TruncDate calls a Python
    function per row; here it is SQLite's own date() shifted by the zone's UTC offset
    (Asia/Shanghai has had no daylight saving time since 1991), fast on a million rows."""

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        offset = int(datetime.datetime.now(zone).utcoffset().total_seconds())
        return f"date({sql}, '{offset:+d} seconds')", params


def met_on_time():
    return Q(met_at__isnull=False) & Q(LessThanOrEqual(LocalDate("met_at"), F("due_on")))


def met_late():
    return Q(met_at__isnull=False) & Q(GreaterThan(LocalDate("met_at"), F("due_on")))


def open_overdue(today):
    return Q(met_at__isnull=True, cancelled_at__isnull=True, due_on__lt=today)


def outcome_q(outcome, today):
    """The condition on Deadline rows for one of OUTCOMES."""
    if outcome == "on_time":
        return met_on_time()
    if outcome == "late":
        return met_late()
    if outcome == "overdue":
        return open_overdue(today)
    raise ValueError(outcome)
