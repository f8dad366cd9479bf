"""The list pages count exactly up to a cap and no further (qiservice/core/pagination.py)."""

import re

import pytest

from qiservice.core.pagination import ListPaginator
from qiservice.core.synthetic import credit_code
from qiservice.enterprises.models import Enterprise

COUNT = re.compile(r'data-testid="list-count">([^<]*)<')


def names(response):
    return [e.name for e in response.context["page"].object_list]


@pytest.fixture
def many(world):
    """23 enterprises besides the three of the world, in name order E00…E22."""
    for index in range(23):
        Enterprise.objects.create(
            name=f"E{index:02d}",
            credit_code=credit_code(5000 + index, "350211"),
            district=world.jimei,
            address="厦门市集美区测试路1号",
        )
    return sorted(Enterprise.objects.values_list("name", flat=True))


def test_below_the_cap_the_count_is_exact_with_a_last_page(world, login, settings, many):
    settings.PAGE_SIZE = 10
    response = login(world.people.admin).get("/enterprises/")
    html = response.content.decode()
    assert COUNT.search(html).group(1) == "共 26 条"
    assert "1 / 3" in html and "page=3" in html  # the last-page link
    assert names(response) == many[:10]


def test_beyond_the_cap_the_count_is_an_estimate_and_pages_still_follow(world, login, settings, many, monkeypatch):
    monkeypatch.setattr(ListPaginator, "cap", 5)
    settings.PAGE_SIZE = 10
    client = login(world.people.admin)
    first = client.get("/enterprises/")
    html = first.content.decode()
    shown = COUNT.search(html).group(1)
    assert re.fullmatch(r"约 \d+ 条|超过 5 条", shown), shown  # the planner's estimate, or only "more than"
    assert "第 1 页" in html and "1 / " not in html
    assert names(first) == many[:10]
    third = client.get("/enterprises/", {"page": 3})
    assert names(third) == many[20:]
    assert third.context["page"].has_previous() and not third.context["page"].has_next()
    assert "下一页" not in third.content.decode()
    assert client.get("/enterprises/", {"page": 2}).context["page"].has_next()
    past = client.get("/enterprises/", {"page": 9})
    assert names(past) == [] and "没有符合条件的记录" in past.content.decode()
    assert names(client.get("/enterprises/", {"page": "x"})) == many[:10]


def test_the_count_stops_at_the_cap(world, many, monkeypatch):
    monkeypatch.setattr(ListPaginator, "cap", 5)
    paginator = ListPaginator(Enterprise.objects.order_by("name"), 10)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert paginator.count >= 5 and not paginator.exact
    assert "LIMIT 6" in captured.captured_queries[0]["sql"]
    filtered = ListPaginator(Enterprise.objects.filter(name__startswith="E1").order_by("name"), 10)
    assert not filtered.exact
    assert filtered.estimated or filtered.count == 5  # no estimate: "超过 5 条"


def test_a_deep_page_reads_its_ids_first_and_shows_the_same_rows(world, login, settings, many, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qiservice.core import pagination

    settings.PAGE_SIZE = 4
    client = login(world.people.admin)
    pages = [names(client.get("/enterprises/", {"page": p, "sort": "-name"})) for p in (3, 7)]
    assert pages == [sorted(many, reverse=True)[8:12], sorted(many, reverse=True)[24:]]
    monkeypatch.setattr(pagination, "DEEP", 1)
    with CaptureQueriesContext(connection) as captured:
        deep = [names(client.get("/enterprises/", {"page": p, "sort": "-name"})) for p in (3, 7)]
    assert deep == pages
    ids_first = 'SELECT "enterprises_enterprise"."id" AS "pk" FROM "enterprises_enterprise" ORDER BY'
    assert any(q["sql"].startswith(ids_first) for q in captured.captured_queries)
