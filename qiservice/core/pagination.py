"""Pagination of the list pages without an exact COUNT(*) over a large table (issue 9).

Up to COUNT_CAP rows the count is exact ("共 N 条"), from a count that stops at the cap.
Beyond it the list says "约 N 条" with the planner's estimate (PostgreSQL; SQLite: the
table's row count from ANALYZE when the list is not filtered), or "超过 N 条" when there is
no estimate. Pages are then numbered without a last page: a page reads one row more than it
shows to know whether there is a next one, and a page past the end is simply empty.
"""

import json
import math
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections

# The capped count reads about COUNT_CAP / (share of the table that matches) rows: 500
# keeps a keyword found in a few percent of a city's demands at a few milliseconds.
COUNT_CAP = 500
DEEP = 500  # rows skipped from which a page reads its ids first (see ListPaginator.rows)


def estimate(queryset):
    """The database's estimate of the rows of `queryset`, or None when it has none."""
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])
    if connection.vendor == "sqlite" and not queryset.query.where:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [queryset.model._meta.db_table])
            row = cursor.fetchone()
        return int(row[0].split()[0]) if row else None
    return None


class ListPage(Page):
    more = False

    def has_next(self):
        return self.more if not self.paginator.exact else super().has_next()


class ListPaginator(Paginator):
    """A Paginator whose count stops at COUNT_CAP (see the module)."""

    cap = COUNT_CAP

    @cached_property
    def counted(self):
        """(count, exact, estimated): the exact count up to the cap; beyond it the
        database's estimate (estimated) or the cap itself (a lower bound)."""
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count, True, False
        # Only the ids are counted: the rows' annotations (e.g. whether the viewer reads
        # the contacts in full, a subquery per row) would be computed for every counted row.
        found = queryset.order_by().values("pk")[: self.cap + 1].count()
        if found <= self.cap:
            return found, True, False
        guess = estimate(queryset)
        if guess is not None and guess > self.cap:
            return guess, False, True
        return self.cap, False, False

    @property
    def count(self):
        return self.counted[0]

    @property
    def exact(self):
        return self.counted[1]

    @property
    def estimated(self):
        return self.counted[2]

    @property
    def num_pages(self):
        if self.exact:
            return super().num_pages
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number):
        if self.exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # Read one row more than the page when there is no last page to compare with.
        top = bottom + self.per_page + (0 if self.exact else 1)
        if self.exact and top + self.orphans >= self.count:
            top = self.count
        rows = self.rows(bottom, top)
        page = self._get_page(rows[: top - bottom if self.exact else self.per_page], number, self)
        page.more = len(rows) > self.per_page
        return page

    def rows(self, bottom, top):
        """The rows bottom..top. Deep in a list (an OFFSET of thousands) the ids come first,
        from the order's index alone, and then only the page's rows with their joins:
        otherwise the database joins every skipped row too."""
        queryset = self.object_list
        if bottom < DEEP or not hasattr(queryset, "query") or queryset.query.distinct:
            return list(queryset[bottom:top])
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        place = {pk: index for index, pk in enumerate(ids)}
        return sorted(queryset.filter(pk__in=ids), key=lambda row: place[row.pk])

    def _get_page(self, *args, **kwargs):
        return ListPage(*args, **kwargs)
