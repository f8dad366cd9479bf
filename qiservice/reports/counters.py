"""Counters of the current state, kept up to date by the database itself.

The dashboard's "now" figures — each specialist's open demands, each institution's live
dispatches, the open deadlines by stage and due date, each demand's earliest open due date —
would otherwise scan every open row on every request (seconds at a million demands). Row
triggers on demands, dispatches and deadlines keep four small tables current instead, in
the same transaction as the change, whatever wrote it: the workflow, an import, the admin
or raw SQL. The same trigger bodies serve SQLite and PostgreSQL.

`recount()` computes the same figures from the records with aggregate queries; `check()`
compares and `rebuild()` replaces the tables from it. The nightly task checks (and repairs),
bulk loaders drop the triggers while they write (`suspended()`) and rebuild afterwards.
"""

import datetime
import zoneinfo
from collections import Counter
from contextlib import contextmanager

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.db.models import Case, CharField, Count, Max, Min, Q, Sum, Value, When

from qiservice.demands.choices import TERMINAL_STATUSES

TERMINAL = "(" + ", ".join(f"'{s}'" for s in sorted(TERMINAL_STATUSES)) + ")"
LIVE_DISPATCH = "('pending', 'accepted')"


def _flag(condition):
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _is(row, status):
    return _flag(f"{row}.status = '{status}'")


PENDING = _flag("p.status = 'pending'")
ACCEPTED = _flag("p.status = 'accepted'")


# --- the statements, shared by both databases ----------------------------------------------
# Increments insert the counter row if it is missing; decrements only update an existing row,
# so clearing the tables (a test database flush) never leaves negative rows behind.


def _specialist_add(row):
    """Count `row` for its specialist if it is an open, assigned demand."""
    return (
        "INSERT INTO reports_specialistload (specialist_id, open_demands) "
        f"SELECT {row}.specialist_id, 1 FROM (SELECT 1 AS one) AS q "
        f"WHERE {row}.specialist_id IS NOT NULL AND {row}.status NOT IN {TERMINAL} "
        "ON CONFLICT (specialist_id) DO UPDATE SET open_demands = reports_specialistload.open_demands + 1"
    )


def _specialist_remove(row):
    return (
        "UPDATE reports_specialistload SET open_demands = open_demands - 1 "
        f"WHERE specialist_id = {row}.specialist_id AND {row}.status NOT IN {TERMINAL}"
    )


def _institution_upsert(select):
    return (
        f"INSERT INTO reports_institutionload (institution_id, district_id, pending, active) {select} "
        "ON CONFLICT (institution_id, district_id) DO UPDATE SET "
        "pending = reports_institutionload.pending + excluded.pending, "
        "active = reports_institutionload.active + excluded.active"
    )


def _dispatch_add(row):
    """Count `row` (a dispatch) for its institution if it is live and its demand open."""
    return _institution_upsert(
        f"SELECT {row}.institution_id, d.district_id, "
        f"{_is(row, 'pending')}, {_is(row, 'accepted')} "
        "FROM demands_escalation e JOIN demands_demand d ON d.id = e.demand_id "
        f"WHERE e.id = {row}.escalation_id AND {row}.status IN {LIVE_DISPATCH} AND d.status NOT IN {TERMINAL}"
    )


def _dispatch_remove(row):
    return (
        "UPDATE reports_institutionload SET "
        f"pending = pending - {_is(row, 'pending')}, "
        f"active = active - {_is(row, 'accepted')} "
        f"WHERE institution_id = {row}.institution_id AND {row}.status IN {LIVE_DISPATCH} AND district_id = "
        "(SELECT d.district_id FROM demands_escalation e JOIN demands_demand d ON d.id = e.demand_id "
        f"WHERE e.id = {row}.escalation_id AND d.status NOT IN {TERMINAL})"
    )


def _live_dispatches(status, institution="p.institution_id"):
    return (
        "(SELECT COUNT(*) FROM demands_dispatch p JOIN demands_escalation e ON e.id = p.escalation_id "
        f"WHERE e.demand_id = NEW.id AND p.institution_id = {institution} AND p.status = '{status}')"
    )


# A demand closing takes its live dispatches out of the load; reopening puts them back.
DEMAND_CLOSES = (
    "UPDATE reports_institutionload SET "
    f"pending = pending - {_live_dispatches('pending', 'reports_institutionload.institution_id')}, "
    f"active = active - {_live_dispatches('accepted', 'reports_institutionload.institution_id')} "
    f"WHERE district_id = NEW.district_id AND OLD.status NOT IN {TERMINAL} AND NEW.status IN {TERMINAL} "
    "AND institution_id IN (SELECT p.institution_id FROM demands_dispatch p "
    f"JOIN demands_escalation e ON e.id = p.escalation_id WHERE e.demand_id = NEW.id AND p.status IN {LIVE_DISPATCH})"
)
DEMAND_REOPENS = _institution_upsert(
    "SELECT p.institution_id, NEW.district_id, "
    f"SUM({PENDING}), SUM({ACCEPTED}) "
    "FROM demands_dispatch p JOIN demands_escalation e ON e.id = p.escalation_id "
    f"WHERE e.demand_id = NEW.id AND p.status IN {LIVE_DISPATCH} "
    f"AND OLD.status IN {TERMINAL} AND NEW.status NOT IN {TERMINAL} "
    "GROUP BY p.institution_id"
)


def _outcome(row, vendor):
    """How a deadline stands (deadlines/outcomes.py): open, met on time or met late, by the
    local date of meeting against the due date."""
    return (
        f"CASE WHEN {row}.met_at IS NULL THEN 'open' "
        f"WHEN {_local_date(f'{row}.met_at', vendor)} <= {row}.due_on THEN 'on_time' ELSE 'late' END"
    )


def _local_date(column, vendor):
    if vendor == "postgresql":
        return f"({column} AT TIME ZONE '{settings.TIME_ZONE}')::date"
    # SQLite stores UTC text; Asia/Shanghai has had no daylight saving time since 1991.
    offset = int(datetime.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).utcoffset().total_seconds())
    return f"date({column}, '{offset:+d} seconds')"


def _as_is(expression):
    """A key expression kept as it is: the day's date, the record's own district."""
    return expression


def _month(vendor):
    """The first day of the month of a date expression."""
    if vendor == "postgresql":
        return lambda date: f"date_trunc('month', ({date})::timestamp)::date"
    return lambda date: f"date({date}, 'start of month')"


# The month tables also hold, under this district id, the whole city's row of each key: the
# whole-city dashboard reads those instead of summing one row per district (60 in a
# province) for every key.
CITY = 0


def _city(district):
    return str(CITY)


def _spans(vendor, counted):
    """(counter table, date → key expression, district → key expression) of each row that
    counts a record of `counted`: the per-day table's; its per-month twin's, by the record's
    district and for the whole city. The dashboard reads the whole months of a period from
    the month table and only the days at its edges from the day table."""
    day_table = {"deadline": "deadlinecount", "category": "categorycount"}.get(counted, f"{counted}daycount")
    month_table, month = f"reports_{counted}monthcount", _month(vendor)
    return [(f"reports_{day_table}", _as_is, _as_is), (month_table, month, _as_is), (month_table, month, _city)]


def _deadline_add(row, vendor, table, span, district):
    """Count `row` (a deadline) in its district, stage, due date and outcome unless cancelled."""
    return (
        f"INSERT INTO {table} (district_id, stage, due_on, outcome, n) "
        f"SELECT {district('d.district_id')}, {row}.stage, {span(f'{row}.due_on')}, {_outcome(row, vendor)}, 1 "
        f"FROM demands_demand d WHERE d.id = {row}.demand_id AND {row}.cancelled_at IS NULL "
        f"ON CONFLICT (district_id, stage, due_on, outcome) DO UPDATE SET n = {table}.n + 1"
    )


def _deadline_remove(row, vendor, table, span, district):
    return (
        f"UPDATE {table} SET n = n - 1 "
        f"WHERE stage = {row}.stage AND due_on = {span(f'{row}.due_on')} AND outcome = {_outcome(row, vendor)} "
        f"AND {row}.cancelled_at IS NULL "
        f"AND district_id = (SELECT {district('d.district_id')} FROM demands_demand d WHERE d.id = {row}.demand_id)"
    )


def _earliest_due(row):
    """Recompute the earliest open due date of `row`'s demand, and move the demand between
    the per-day counts."""
    mine = f"FROM reports_demandopendue o WHERE o.demand_id = {row}.demand_id"
    return [
        "UPDATE reports_openduecount SET n = n - 1 "
        f"WHERE district_id = (SELECT o.district_id {mine}) AND due_on = (SELECT o.due_on {mine})",
        f"DELETE FROM reports_demandopendue WHERE demand_id = {row}.demand_id",
        "INSERT INTO reports_demandopendue (demand_id, district_id, due_on) "
        f"SELECT {row}.demand_id, d.district_id, q.due_on FROM demands_demand d, "
        "(SELECT MIN(x.due_on) AS due_on FROM deadlines_deadline x "
        f"WHERE x.demand_id = {row}.demand_id AND x.met_at IS NULL AND x.cancelled_at IS NULL) AS q "
        f"WHERE d.id = {row}.demand_id AND q.due_on IS NOT NULL",
        f"INSERT INTO reports_openduecount (district_id, due_on, n) SELECT o.district_id, o.due_on, 1 {mine} "
        "ON CONFLICT (district_id, due_on) DO UPDATE SET n = reports_openduecount.n + 1",
    ]


def _category_add(row, table, span, district):
    return (
        f"INSERT INTO {table} (registered_on, district_id, category, n) "
        f"SELECT {span('d.registered_on')}, {district('d.district_id')}, {row}.category, 1 FROM demands_demand d "
        f"WHERE d.id = {row}.demand_id "
        f"ON CONFLICT (registered_on, district_id, category) DO UPDATE SET n = {table}.n + 1"
    )


def _category_remove(row, table, span, district):
    mine = f"FROM demands_demand d WHERE d.id = {row}.demand_id"
    return (
        f"UPDATE {table} SET n = n - 1 WHERE category = {row}.category "
        f"AND registered_on = (SELECT {span('d.registered_on')} {mine}) "
        f"AND district_id = (SELECT {district('d.district_id')} {mine})"
    )


def _demand_day_add(row, table, span, district):
    return (
        f"INSERT INTO {table} (registered_on, district_id, status, source, n) "
        f"SELECT {span(f'{row}.registered_on')}, {district(f'{row}.district_id')}, {row}.status, {row}.source, 1 "
        "FROM (SELECT 1 AS one) AS q WHERE 1 = 1 "
        f"ON CONFLICT (registered_on, district_id, status, source) DO UPDATE SET n = {table}.n + 1"
    )


def _demand_day_remove(row, table, span, district):
    return (
        f"UPDATE {table} SET n = n - 1 "
        f"WHERE registered_on = {span(f'{row}.registered_on')} AND district_id = {district(f'{row}.district_id')} "
        f"AND status = {row}.status AND source = {row}.source"
    )


EVALUATION_SUMS = ("total", "conduct", "attitude", "competence", "timeliness", "result")


def _evaluation_add(row, vendor, table, span, district):
    sums = ", ".join(EVALUATION_SUMS)
    values = ", ".join(f"{row}.{c}" for c in EVALUATION_SUMS)
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in EVALUATION_SUMS)
    return (
        f"INSERT INTO {table} (submitted_on, district_id, n, {sums}) "
        f"SELECT {span(_local_date(f'{row}.submitted_at', vendor))}, {district('d.district_id')}, 1, {values} "
        f"FROM demands_demand d WHERE d.id = {row}.demand_id "
        f"ON CONFLICT (submitted_on, district_id) DO UPDATE SET n = {table}.n + 1, {updates}"
    )


def _evaluation_remove(row, vendor, table, span, district):
    updates = ", ".join(f"{c} = {c} - {row}.{c}" for c in EVALUATION_SUMS)
    return (
        f"UPDATE {table} SET n = n - 1, {updates} "
        f"WHERE submitted_on = {span(_local_date(f'{row}.submitted_at', vendor))} "
        f"AND district_id = (SELECT {district('d.district_id')} FROM demands_demand d WHERE d.id = {row}.demand_id)"
    )


def _dispatch_day_add(row, vendor, table, span, district):
    return (
        f"INSERT INTO {table} (dispatched_on, district_id, institution_id, status, n) "
        f"SELECT {span(_local_date(f'{row}.dispatched_at', vendor))}, {district('d.district_id')}, "
        f"{row}.institution_id, "
        f"{row}.status, 1 FROM demands_escalation e JOIN demands_demand d ON d.id = e.demand_id "
        f"WHERE e.id = {row}.escalation_id "
        "ON CONFLICT (dispatched_on, district_id, institution_id, status) "
        f"DO UPDATE SET n = {table}.n + 1"
    )


def _dispatch_day_remove(row, vendor, table, span, district):
    return (
        f"UPDATE {table} SET n = n - 1 "
        f"WHERE dispatched_on = {span(_local_date(f'{row}.dispatched_at', vendor))} "
        f"AND institution_id = {row}.institution_id AND status = {row}.status AND district_id = "
        f"(SELECT {district('d.district_id')} FROM demands_escalation e JOIN demands_demand d ON d.id = e.demand_id "
        f"WHERE e.id = {row}.escalation_id)"
    )


def _changed(*columns):
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def triggers(vendor):
    """(name, table, event, columns of UPDATE OF, condition, statements) of every trigger.
    A demand's district and registration date never change once registered (the forms do
    not offer them): the deadline and category counts do not follow such a change (the
    nightly check would find it); the per-day demand counts do."""
    deadline_columns = ("met_at", "cancelled_at", "due_on", "stage", "demand_id")
    demand_columns = ("status", "specialist_id", "source", "registered_on", "district_id")
    dispatch_columns = ("status", "institution_id", "escalation_id", "dispatched_at")
    evaluation_columns = ("submitted_at", "demand_id", *EVALUATION_SUMS)

    def each(counted, statement, *args):
        return [statement(*args, *span) for span in _spans(vendor, counted)]

    def moved(counted, remove, add, *args):
        """Take the OLD row out of the counts and put the NEW one in."""
        return [*each(counted, remove, "OLD", *args), *each(counted, add, "NEW", *args)]

    return [
        (
            "qi_cnt_demand_ins",
            "demands_demand",
            "INSERT",
            (),
            None,
            [_specialist_add("NEW"), *each("demand", _demand_day_add, "NEW")],
        ),
        (
            "qi_cnt_demand_del",
            "demands_demand",
            "DELETE",
            (),
            None,
            [_specialist_remove("OLD"), *each("demand", _demand_day_remove, "OLD")],
        ),
        (
            "qi_cnt_demand_upd",
            "demands_demand",
            "UPDATE",
            demand_columns,
            _changed(*demand_columns),
            [
                _specialist_remove("OLD"),
                _specialist_add("NEW"),
                DEMAND_CLOSES,
                DEMAND_REOPENS,
                *moved("demand", _demand_day_remove, _demand_day_add),
            ],
        ),
        (
            "qi_cnt_dispatch_ins",
            "demands_dispatch",
            "INSERT",
            (),
            None,
            [_dispatch_add("NEW"), *each("dispatch", _dispatch_day_add, "NEW", vendor)],
        ),
        (
            "qi_cnt_dispatch_del",
            "demands_dispatch",
            "DELETE",
            (),
            None,
            [_dispatch_remove("OLD"), *each("dispatch", _dispatch_day_remove, "OLD", vendor)],
        ),
        (
            "qi_cnt_dispatch_upd",
            "demands_dispatch",
            "UPDATE",
            dispatch_columns,
            _changed(*dispatch_columns),
            [
                _dispatch_remove("OLD"),
                _dispatch_add("NEW"),
                *moved("dispatch", _dispatch_day_remove, _dispatch_day_add, vendor),
            ],
        ),
        (
            "qi_cnt_evaluation_ins",
            "evaluations_evaluation",
            "INSERT",
            (),
            None,
            each("evaluation", _evaluation_add, "NEW", vendor),
        ),
        (
            "qi_cnt_evaluation_del",
            "evaluations_evaluation",
            "DELETE",
            (),
            None,
            each("evaluation", _evaluation_remove, "OLD", vendor),
        ),
        (
            "qi_cnt_evaluation_upd",
            "evaluations_evaluation",
            "UPDATE",
            evaluation_columns,
            _changed(*evaluation_columns),
            moved("evaluation", _evaluation_remove, _evaluation_add, vendor),
        ),
        (
            "qi_cnt_deadline_ins",
            "deadlines_deadline",
            "INSERT",
            (),
            None,
            [*each("deadline", _deadline_add, "NEW", vendor), *_earliest_due("NEW")],
        ),
        (
            "qi_cnt_deadline_del",
            "deadlines_deadline",
            "DELETE",
            (),
            None,
            [*each("deadline", _deadline_remove, "OLD", vendor), *_earliest_due("OLD")],
        ),
        (
            "qi_cnt_deadline_upd",
            "deadlines_deadline",
            "UPDATE",
            deadline_columns,
            _changed(*deadline_columns),
            [
                *moved("deadline", _deadline_remove, _deadline_add, vendor),
                *_earliest_due("OLD"),
                *_earliest_due("NEW"),
            ],
        ),
        ("qi_cnt_category_ins", "demands_demandcategory", "INSERT", (), None, each("category", _category_add, "NEW")),
        (
            "qi_cnt_category_del",
            "demands_demandcategory",
            "DELETE",
            (),
            None,
            each("category", _category_remove, "OLD"),
        ),
        (
            "qi_cnt_category_upd",
            "demands_demandcategory",
            "UPDATE",
            ("category", "demand_id"),
            _changed("category", "demand_id"),
            moved("category", _category_remove, _category_add),
        ),
    ]


def _create_sql(vendor):
    out = []
    for name, table, event, columns, condition, statements in triggers(vendor):
        on = f"UPDATE OF {', '.join(columns)}" if columns else event
        if vendor == "postgresql":
            body = "; ".join(statements) + ";"
            if condition:
                body = f"IF {condition} THEN {body} END IF;"
            out.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body} RETURN NULL; END $$"
            )
            out.append(f"CREATE TRIGGER {name} AFTER {on} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
        else:
            # SQLite's null-safe inequality (IS DISTINCT FROM only from 3.39)
            when = f" WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')}" if condition else ""
            out.append(f"CREATE TRIGGER {name} AFTER {on} ON {table}{when} BEGIN {'; '.join(statements)}; END")
    return out


def _drop_sql(vendor):
    out = []
    for name, table, *_rest in triggers(vendor):
        if vendor == "postgresql":
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            out.append(f"DROP TRIGGER IF EXISTS {name}")
    return out


def install(connection=default_connection):
    with connection.cursor() as cursor:
        for sql in _drop_sql(connection.vendor) + _create_sql(connection.vendor):
            cursor.execute(sql)


def installed(connection=default_connection):
    """The names of the counters' triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'qi_cnt_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'qi_cnt_%'")
        return {row[0] for row in cursor.fetchall()}


def tables_exist(connection=default_connection):
    """Whether every counter table has been created (all the reports migrations ran)."""
    present = set(connection.introspection.table_names())
    return all(model._meta.db_table in present for model in _models())


def uninstall(connection=default_connection):
    present = installed(connection)
    with connection.cursor() as cursor:
        for name, table, *_rest in triggers(connection.vendor):
            if name not in present:
                continue
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


@contextmanager
def suspended(connection=default_connection):
    """For bulk loaders: write without the triggers, then recount once."""
    uninstall(connection)
    try:
        yield
    finally:
        install(connection)
        rebuild()


# --- the same figures from the records ------------------------------------------------------


def _recounts():
    """{model: rows (key..., value...)} computed from the records with aggregate queries.
    Dispatches reach their demand through the escalation, not Dispatch.demand: the recount
    runs after any migrate, also one that stops before demands 0007 adds that column."""
    from qiservice.deadlines.models import Deadline
    from qiservice.deadlines.outcomes import LocalDate, met_on_time
    from qiservice.demands.models import Demand, DemandCategory, Dispatch
    from qiservice.evaluations.models import Evaluation

    from .models import (
        CategoryCount,
        DeadlineCount,
        DemandDayCount,
        DemandOpenDue,
        DispatchDayCount,
        EvaluationDayCount,
        InstitutionLoad,
        OpenDueCount,
        SpecialistLoad,
    )

    open_deadlines = Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True).order_by()
    earliest = list(
        open_deadlines.values_list("demand_id").annotate(district=Max("demand__district_id"), due=Min("due_on"))
    )
    per_day = Counter((district, due) for _demand, district, due in earliest)
    outcome = Case(
        When(met_at__isnull=True, then=Value("open")),
        When(met_on_time(), then=Value("on_time")),
        default=Value("late"),
        output_field=CharField(),
    )
    counts = {
        SpecialistLoad: Demand.objects.exclude(status__in=TERMINAL_STATUSES)
        .filter(specialist__isnull=False)
        .order_by()
        .values_list("specialist_id")
        .annotate(n=Count("pk")),
        InstitutionLoad: Dispatch.objects.filter(status__in=["pending", "accepted"])
        .exclude(escalation__demand__status__in=TERMINAL_STATUSES)
        .order_by()
        .values_list("institution_id", "escalation__demand__district_id")
        .annotate(pending=Count("pk", filter=Q(status="pending")), active=Count("pk", filter=Q(status="accepted"))),
        DeadlineCount: Deadline.objects.filter(cancelled_at__isnull=True)
        .order_by()
        .annotate(outcome=outcome)
        .values_list("demand__district_id", "stage", "due_on", "outcome")
        .annotate(n=Count("pk")),
        DemandOpenDue: earliest,
        OpenDueCount: [(*key, n) for key, n in per_day.items()],
        CategoryCount: DemandCategory.objects.order_by()
        .values_list("demand__registered_on", "demand__district_id", "category")
        .annotate(n=Count("pk")),
        DemandDayCount: Demand.objects.order_by()
        .values_list("registered_on", "district_id", "status", "source")
        .annotate(n=Count("pk")),
        EvaluationDayCount: Evaluation.objects.order_by()
        .annotate(day=LocalDate("submitted_at"))
        .values_list("day", "demand__district_id")
        .annotate(n=Count("pk"), **{f"sum_{c}": Sum(c) for c in EVALUATION_SUMS}),
        DispatchDayCount: Dispatch.objects.order_by()
        .annotate(day=LocalDate("dispatched_at"))
        .values_list("day", "escalation__demand__district_id", "institution_id", "status")
        .annotate(n=Count("pk")),
    }
    for day_model, month_model in _month_twins().items():
        counts[day_model] = list(counts[day_model])
        counts[month_model] = _by_month(day_model, counts[day_model]) + _by_month(day_model, counts[day_model], CITY)
    return counts


def _by_month(day_model, rows, district=None):
    """Fold per-day rows into their month twin's rows (the date column becomes the month's
    first day, the values are summed); with `district`, all under that district id (the
    whole city's rows)."""
    keys, values = COLUMNS[day_model.__name__]
    at = keys.index(DATE_COLUMN[day_model.__name__])
    district_at = keys.index("district_id")
    months = {}
    for row in rows:
        key = list(row[: len(keys)])
        key[at] = key[at].replace(day=1)
        if district is not None:
            key[district_at] = district
        key = tuple(key)
        held = months.get(key, (0,) * len(values))
        months[key] = tuple(a + (b or 0) for a, b in zip(held, row[len(keys) :], strict=True))
    return [(*key, *sums) for key, sums in months.items()]


# Each counter table: its key columns and its value columns.
COLUMNS = {
    "SpecialistLoad": (("specialist_id",), ("open_demands",)),
    "InstitutionLoad": (("institution_id", "district_id"), ("pending", "active")),
    "DeadlineCount": (("district_id", "stage", "due_on", "outcome"), ("n",)),
    "DemandOpenDue": (("demand_id",), ("district_id", "due_on")),
    "OpenDueCount": (("district_id", "due_on"), ("n",)),
    "CategoryCount": (("registered_on", "district_id", "category"), ("n",)),
    "DemandDayCount": (("registered_on", "district_id", "status", "source"), ("n",)),
    "EvaluationDayCount": (("submitted_on", "district_id"), ("n", *EVALUATION_SUMS)),
    "DispatchDayCount": (("dispatched_on", "district_id", "institution_id", "status"), ("n",)),
}
# The per-day tables' date column, and their per-month twins (same columns, the date being
# the month's first day).
DATE_COLUMN = {
    "DeadlineCount": "due_on",
    "CategoryCount": "registered_on",
    "DemandDayCount": "registered_on",
    "EvaluationDayCount": "submitted_on",
    "DispatchDayCount": "dispatched_on",
}
MONTH_TWINS = {
    "DeadlineCount": "DeadlineMonthCount",
    "CategoryCount": "CategoryMonthCount",
    "DemandDayCount": "DemandMonthCount",
    "EvaluationDayCount": "EvaluationMonthCount",
    "DispatchDayCount": "DispatchMonthCount",
}
COLUMNS |= {month: COLUMNS[day] for day, month in MONTH_TWINS.items()}


def _month_twins():
    """{per-day model: its per-month model}."""
    from . import models as m

    return {getattr(m, day): getattr(m, month) for day, month in MONTH_TWINS.items()}


def _as_map(model, rows):
    keys = len(COLUMNS[model.__name__][0])
    return {tuple(row[:keys]): tuple(row[keys:]) for row in rows}


def recount():
    """{table: {key: values}} from the records: what the triggers must hold."""
    return {model._meta.db_table: _as_map(model, rows) for model, rows in _recounts().items()}


def stored():
    """The tables as they are, without the rows that count nothing."""
    out = {}
    for model in _models():
        keys, values = COLUMNS[model.__name__]
        rows = model.objects.values_list(*keys, *values)
        out[model._meta.db_table] = _as_map(model, [row for row in rows if any(row[len(keys) :])])
    return out


def _models():
    from . import models as m

    return [
        m.SpecialistLoad,
        m.InstitutionLoad,
        m.DeadlineCount,
        m.DemandOpenDue,
        m.OpenDueCount,
        m.CategoryCount,
        m.DemandDayCount,
        m.EvaluationDayCount,
        m.DispatchDayCount,
        *_month_twins().values(),
    ]


def check():
    """The differences between the tables and the records: {table: [(key, stored, counted)]}."""
    counted, held = recount(), stored()
    out = {}
    for table, rows in counted.items():
        keys = set(rows) | set(held[table])
        wrong = [
            (key, held[table].get(key), rows.get(key))
            for key in sorted(keys, key=repr)
            if held[table].get(key) != rows.get(key)
        ]
        if wrong:
            out[table] = wrong
    return out


def rebuild():
    """Replace every counter table with a recount from the records, then refresh the
    planner's statistics of the tables (a rebuild replaces every row at once)."""
    with transaction.atomic():
        for model, rows in _recounts().items():
            model.objects.all().delete()
            keys, values = COLUMNS[model.__name__]
            model.objects.bulk_create(
                (model(**dict(zip(keys + values, row, strict=True))) for row in rows), batch_size=5000
            )
    tables = [model._meta.db_table for model in _models()]
    with default_connection.cursor() as cursor:
        if default_connection.vendor == "postgresql" and not default_connection.in_atomic_block:
            # Outside a transaction: also clear the deleted rows and mark the pages
            # all-visible, so the dashboard's index-only scans stay index-only.
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
