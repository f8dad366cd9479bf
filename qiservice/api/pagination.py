"""Pages of the API's lists without an exact COUNT(*) over a large table (issue 9).

django-ninja's PageNumberPagination counts every row on every page: 96 ms on PostgreSQL for
the demands of a province (1 000 000), on each call. These pages count as the UI's lists do
(core/pagination.py): exactly up to COUNT_CAP rows, beyond that the database's estimate, or
the cap when there is none. `count_exact` says which; `has_more` says whether a next page
exists (read from one row more than the page), so a client can walk every page without the
count.
"""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

from qiservice.core.pagination import ListPaginator


class CappedPages(PageNumberPagination):
    class Output(Schema):
        items: list
        count: int = Field(description="共多少条：不超过500条时为准确数，超过时为数据库的估计数（见 count_exact）")
        count_exact: bool = Field(description="count 是否为准确数")
        has_more: bool = Field(description="是否还有下一页")

    def paginate_queryset(self, queryset, pagination, request, **params):
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        paginator = ListPaginator(queryset, page_size)
        return {
            self.items_attribute: rows[:page_size],
            "count": paginator.count,
            "count_exact": paginator.exact,
            "has_more": len(rows) > page_size,
        }
