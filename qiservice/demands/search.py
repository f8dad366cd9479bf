"""Keyword search of demands through an n-gram index (issue 9: no LIKE '%…%' over every row).

The list's search box finds the demands whose number, enterprise name or description
contains the typed text (case-insensitive), as `icontains` does. Scanning every row with
LIKE is too slow at a province's scale, so each demand keeps its search terms in
`DemandSearch`:

- the three fields are case-folded and cut into runs of ASCII letters and digits and runs
  of other letters and digits (Chinese); punctuation and spaces separate runs;
- a Chinese run gives its bigrams (two characters each), an ASCII run its trigrams.

If a field contains the query, it contains every bigram and trigram of the query's runs, so
the demands holding all the query's terms are a superset of the answer; the `icontains`
condition then runs over those candidates only, and the result is exactly what the scan
gave. When the query is itself one term (a two-character Chinese word, three letters or
digits), the index alone decides and nothing else is read. A query without any term (a
single Chinese character, one or two letters) falls back to the scan.

Bigrams rather than jieba words, because words would change what the box finds: a
substring that jieba cuts differently (part of a name, part of a number) would no longer
be found.

The index is a GIN index over the terms (a text[] column) on PostgreSQL and an FTS5
table on SQLite (see migration 0005). It is kept up to date when a demand is saved (number, description,
enterprise) or an enterprise is renamed (signals below, connected in apps.ready), and the
synthetic-data generator fills it in bulk with `rebuild`.
"""

import operator
import re
from functools import reduce

from django.db import connections, models
from django.db.models import BigIntegerField, F, Func, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import GreaterThan, In

# Runs of ASCII letters and digits, and runs of other letters and digits (after folding).
RUNS = re.compile(r"([a-z0-9]+)|([^\W_a-z0-9]+)")
ASCII_GRAM = 3
OTHER_GRAM = 2


def fold(text):
    """Case folding character by character (so it keeps substrings): ASCII lower-cased,
    other characters case-folded unless that would turn them into ASCII (ſ, K)."""
    text = text or ""
    if text.isascii():
        return text.lower()
    return "".join(c.lower() if c.isascii() else _fold_other(c) for c in text)


def _fold_other(c):
    folded = c.casefold()
    return c if any(ch.isascii() for ch in folded) else folded


def _grams(run, size):
    if len(run) < size:
        return []
    return [run[i : i + size] for i in range(len(run) - size + 1)]


def terms(text):
    """The index terms of one field (or of a query): a set of bigrams and trigrams."""
    found = set()
    for ascii_run, other_run in RUNS.findall(fold(text)):
        found.update(_grams(ascii_run, ASCII_GRAM) if ascii_run else _grams(other_run, OTHER_GRAM))
    return found


def document(*fields):
    """The stored terms of a demand: the terms of each field, space-separated."""
    found = set()
    for field in fields:
        found |= terms(field)
    return " ".join(sorted(found))


def decides(q):
    """Whether the index alone answers the query: the query is one term, made of
    characters every database compares the same way (ASCII, or without case)."""
    folded = fold(q)
    runs = RUNS.findall(folded)
    if len(runs) != 1 or "".join(runs[0]) != folded:
        return False
    ascii_run, other_run = runs[0]
    if ascii_run:
        return len(ascii_run) == ASCII_GRAM and q.isascii()
    return len(other_run) == OTHER_GRAM and all(c.upper() == c == c.casefold() for c in q)


# SQLite: above this many candidates, read the demands in the list's order and test each
# against the candidates, rather than fetch every candidate and sort them (see below).
DENSE = 2000


def candidates(q, queryset):
    """`queryset` narrowed to the demands holding every term of the query, or None when the
    query has no term."""
    wanted = sorted(terms(q))
    if not wanted:
        return None
    # Fixed SQL; the terms go in as parameters.
    if connections[queryset.db].vendor == "postgresql":
        # The planner knows how common each term is (statistics of the GIN expression) and
        # picks between the index and reading the list in order.
        sql = "SELECT demand_id FROM demands_demandsearch WHERE grams @> %s::text[]"
        return queryset.filter(pk__in=RawSQL(sql, [wanted]))  # noqa: S611
    # FTS5: each term a quoted phrase (terms hold letters and digits only), all required.
    match = " ".join(f'"{t}"' for t in wanted)
    sql = "SELECT rowid FROM demands_demandsearch_fts WHERE demands_demandsearch_fts MATCH %s"
    subquery = RawSQL(sql, [match])  # noqa: S611
    # SQLite's planner always starts from an IN list; for a common term that means every
    # match fetched and sorted. One cheap capped count of the matches decides: many, and
    # the demand's id is wrapped in a unary + (no index on it), so SQLite reads the list's
    # own order and stops at the page.
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT {DENSE})", [match])  # noqa: S608 (fixed SQL)
        dense = cursor.fetchone()[0] >= DENSE
    if not dense:
        return queryset.filter(pk__in=subquery)
    return queryset.filter(In(Func(F("pk"), template="+%(expressions)s", output_field=BigIntegerField()), subquery))


def contains(q):
    """The demands whose number, enterprise name or description contains q, ignoring case
    as `icontains` does (PostgreSQL: UPPER; SQLite: ASCII only). Written with STRPOS /
    INSTR rather than LIKE: the same rows, but the planner does not take it for a rare
    match, so a query matching most demands still reads the list's index in order and
    stops at the page instead of sorting every match."""
    needle = Upper(Value(q))
    return reduce(
        operator.or_,
        (Q(GreaterThan(StrIndex(Upper(field), needle), 0)) for field in ("number", "enterprise__name", "description")),
    )


def search_demands(queryset, q):
    """Keyword search over the number, the enterprise's name and the description."""
    q = (q or "").strip()
    if not q:
        return queryset
    found = candidates(q, queryset)
    if found is None:
        return queryset.filter(contains(q))
    return found if decides(q) else found.filter(contains(q))


class TermsField(models.TextField):
    """The terms of a demand: a text[] column on PostgreSQL (GIN-indexed, compared without
    parsing a string per row), space-separated text elsewhere (SQLite's FTS5 reads it). In
    Python always the space-separated string."""

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        return " ".join(value) if isinstance(value, list) else value

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor == "postgresql" and isinstance(value, str):
            return value.split()
        return value

    def get_placeholder(self, value, compiler, connection):
        # Having one keeps bulk_create off PostgreSQL's UNNEST insert, which would flatten
        # the arrays.
        return "%s"


# --- keeping the index up to date -------------------------------------------------------------


def reindex(demand_ids):
    """Recompute the terms of these demands (after a change of what they are searched by)."""
    from .models import Demand, DemandSearch

    rows = Demand.objects.filter(pk__in=list(demand_ids)).values_list("pk", "number", "enterprise__name", "description")
    wanted = {pk: document(number, name, description) for pk, number, name, description in rows}
    stored = dict(DemandSearch.objects.filter(demand_id__in=list(wanted)).values_list("demand_id", "grams"))
    changed = [DemandSearch(demand_id=pk, grams=g) for pk, g in wanted.items() if stored.get(pk, g) != g]
    DemandSearch.objects.bulk_update(changed, ["grams"])
    new = [DemandSearch(demand_id=pk, grams=g) for pk, g in wanted.items() if pk not in stored]
    DemandSearch.objects.bulk_create(new)


def rebuild(batch=5000, log=None):
    """Fill the whole index from the demands (the generator's bulk data, a migration)."""
    from .models import Demand, DemandSearch

    DemandSearch.objects.all().delete()
    rows = Demand.objects.order_by("pk").values_list("pk", "number", "enterprise__name", "description")
    chunk, done = [], 0
    for pk, number, name, description in rows.iterator(chunk_size=batch):
        chunk.append(DemandSearch(demand_id=pk, grams=document(number, name, description)))
        if len(chunk) >= batch:
            DemandSearch.objects.bulk_create(chunk)
            done += len(chunk)
            chunk = []
            if log:
                log(done)
    DemandSearch.objects.bulk_create(chunk)
    return done + len(chunk)


def _searched(demand):
    values = demand.__dict__
    return values.get("number"), values.get("description"), values.get("enterprise_id")


def demand_loaded(sender, instance, **kwargs):
    """post_init: remember what the demand is searched by, so a save that changes none of
    it (every transition saves the demand) costs no query."""
    instance._searched = _searched(instance)


def demand_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    now = _searched(instance)
    if created or now != getattr(instance, "_searched", None):
        reindex([instance.pk])
        instance._searched = now


def enterprise_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw or created or (update_fields is not None and "name" not in update_fields):
        return
    from .models import DemandSearch

    # One read when the name did not change (an enterprise is saved for many reasons).
    first = (
        DemandSearch.objects.filter(demand__enterprise_id=instance.pk)
        .values_list("grams", "demand__number", "demand__description")
        .first()
    )
    if first is None or first[0] == document(first[1], instance.name, first[2]):
        return
    from .models import Demand

    reindex(Demand.objects.filter(enterprise_id=instance.pk).values_list("pk", flat=True))
