"""Inserting many rows of a model fast: one prepared INSERT run with `executemany`.

`QuerySet.bulk_create` builds a model instance per row and sends every value through four
or five method calls, in statements of 45 rows on SQLite; for the 100 000-row imports that
was most of the time. `insert_values` takes plain dicts ({attname: value}) and prepares
each value with its field's own `get_db_prep_save` — except text already a `str` and whole
numbers already an `int`, which Django passes through unchanged — then hands all rows to
the driver at once (PostgreSQL: COPY; SQLite: `executemany`, a loop in C).

What it does not do, so use it only for the rows of a bulk path whose values are already
checked: no model instances, no `save()`, no signals (`bulk_create` sends none either), no
primary keys back (look them up by a unique column afterwards), no model validation.
A missing value takes the field's default as Django gives it (the default, "" for text,
None when nullable), written into the row's dict, so that afterwards each dict holds what
was stored (but its primary key); `auto_now`/`auto_now_add` fields take one timestamp for
the whole call unless the row gives one.
"""

import datetime
import decimal

from django.db import connections, models, router, transaction
from django.utils import timezone

# Fields whose value of this exact type is what the database gets (Django's preparation
# returns it unchanged): text as text, whole numbers as numbers.
TEXT_FIELDS = (models.CharField, models.TextField)
INTEGER_FIELDS = (models.IntegerField, models.AutoField, models.BigAutoField, models.SmallAutoField)


# Values prepared once when the next row holds the very same object (a shared timestamp).
IMMUTABLE = frozenset((datetime.datetime, datetime.date, decimal.Decimal))


def _unchanged_type(field):
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    if isinstance(field, TEXT_FIELDS):
        return str
    if isinstance(field, INTEGER_FIELDS):
        return int
    return None


def insert_values(model, rows, *, using=None):
    """INSERT `rows` (dicts of attname -> value) into `model`'s table; returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    using = using or router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in model._meta.local_concrete_fields if not (f.primary_key and f.attname not in rows[0])]
    for f in fields:
        if getattr(f, "generated", False) or f.db_default is not models.NOT_PROVIDED:
            raise ValueError(f"insert_values does not handle {f!r} (generated or with a database default)")
    now = timezone.now()
    plan = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = lambda now=now: now  # noqa: E731 - one timestamp for the call
        else:
            default = f.get_default  # as Django: the default, "" for text, None if nullable
        plan.append((f, f.attname, _unchanged_type(f), default))

    params = []
    last = [(None, None)] * len(plan)  # (value, prepared): rows often share a timestamp
    for row in rows:
        values = []
        for i, (f, attname, unchanged, default) in enumerate(plan):
            if attname in row:
                value = row[attname]
            else:
                value = row[attname] = default()
            if value is not None and value.__class__ is not unchanged:
                if value.__class__ in IMMUTABLE:
                    seen, prepared = last[i]
                    if value is not seen:
                        prepared = f.get_db_prep_save(value, connection)
                        last[i] = value, prepared
                    value = prepared
                else:
                    value = f.get_db_prep_save(value, connection)
            values.append(value)
        params.append(values)

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    # One transaction, as bulk_create: not a commit per row.
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: a quarter of the time of INSERTs
            # (errors wrapped as Django's, e.g. IntegrityError, as execute() does)
            with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", params)  # noqa: S608 - names from the model
    return len(params)


def next_ids(model, count, *, using=None):
    """`count` primary keys taken from the table's sequence (PostgreSQL), to give rows to
    `insert_values` when the caller needs their ids: COPY returns none."""
    using = using or router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise NotImplementedError("ids are taken from a sequence on PostgreSQL only")
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]
