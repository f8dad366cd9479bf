"""Keyword search through the n-gram index (qiservice/demands/search.py): the same demands as
`icontains` over the number, the enterprise's name and the description, on SQLite and on
PostgreSQL, and an index that follows the demands and the enterprises' names."""

import itertools
import re

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qiservice.core.synthetic import credit_code
from qiservice.demands import search, workflow
from qiservice.demands.models import Demand, DemandSearch
from qiservice.enterprises.models import Enterprise
from qiservice.enterprises.workflow import save_enterprise

URL = "/demands/"


def numbers(response):
    table = response.content.decode().split("<table", 1)[-1].split("</table>", 1)[0]
    return re.findall(r">(QI-\d{4}-\d{6})</a>", table)


def naive(q):
    """What the search box finds by definition: the demands containing q, ignoring case."""
    condition = Q(number__icontains=q) | Q(enterprise__name__icontains=q) | Q(description__icontains=q)
    return set(Demand.objects.filter(condition).values_list("number", flat=True))


def found(q):
    return set(search.search_demands(Demand.objects.all(), q).values_list("number", flat=True))


_codes = itertools.count(9000)


def enterprise(world, name):
    return save_enterprise(
        Enterprise(
            name=name,
            credit_code=credit_code(next(_codes), "350211"),
            district=world.jimei,
            address="厦门市集美区测试路1号",
            contact_name="联系人",
            contact_phone="13800000000",
        ),
        by=world.people.admin,
    )


@pytest.fixture
def corpus(world, register):
    """Demands whose words overlap: 校准 in two descriptions, 宏达 in an enterprise name."""
    hongda = enterprise(world, "厦门宏达精密机械有限公司")
    return {
        "calibration": register(description="三坐标测量机校准，建立测量管理体系"),
        "meters": register(description="压力表和电子秤检定校准"),
        "hongda": register(enterprise=hongda, description="ISO 9001质量管理体系认证辅导"),
        "food": register(enterprise=world.ent_huli, by=world.people.admin, description="出口食品检验检测"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("校准", {"calibration", "meters"}),  # one term: the index alone answers
        ("检定校准", {"meters"}),  # several terms, checked against the text
        ("宏达", {"hongda"}),  # the enterprise's name
        ("宏达精密机械", {"hongda"}),
        ("iso 9001", {"hongda"}),  # case-insensitive, with a space
        ("9001质量", {"hongda"}),
        ("食品检验", {"food"}),
        ("校准检测", set()),  # both words exist, never together
        ("准", {"calibration", "meters"}),  # no term (one character): the scan
        ("没有这个词", set()),
    ],
)
@pytest.mark.parametrize("dense", [2000, 1])  # SQLite: fetch the candidates, or read the list in order
def test_the_search_finds_exactly_the_demands_containing_the_text(
    world, login, corpus, q, expected, dense, monkeypatch
):
    monkeypatch.setattr(search, "DENSE", dense)
    wanted = {corpus[key].number for key in expected}
    assert found(q) == naive(q) == wanted
    assert set(numbers(login(world.people.admin).get(URL, {"q": q}))) == wanted


def test_the_search_finds_by_number_whole_or_in_part(world, login, corpus):
    number = corpus["meters"].number  # QI-<year>-000002
    assert found(number) == found(number.lower()) == {number}
    assert found(number[-6:]) == {number}
    assert found(number[3:]) == {number}  # "<year>-000002"
    assert found("QI-") == naive("QI-") == {d.number for d in corpus.values()}


def test_the_index_is_written_when_a_demand_is_registered(world, register):
    demand = register(description="团体标准制定")
    grams = set(DemandSearch.objects.get(demand=demand).grams.split())
    assert {"团体", "体标", "标准", "准制", "制定"} <= grams  # the description
    assert {"集美", "精密", "机械"} <= grams  # the enterprise's name
    assert {"000", "001"} <= grams  # the number's digits
    assert found("团体标准") == {demand.number}


def test_a_transition_leaves_the_index_alone_and_costs_no_search_query(world, register, django_assert_num_queries):
    sp = world.people.specialist
    demand = register()
    before = DemandSearch.objects.get(demand=demand).grams
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        workflow.start_preparation(demand, by=sp)
    assert not [q for q in captured.captured_queries if "demandsearch" in q["sql"]]
    assert DemandSearch.objects.get(demand=demand).grams == before


def test_renaming_the_enterprise_reindexes_its_demands(world, register):
    first, second = register(description="能源计量审查"), register(description="计量器具检定")
    other = register(enterprise=world.ent_huli, by=world.people.admin, description="能源计量审查")
    assert found("集美精密") == {first.number, second.number}
    ent = Enterprise.objects.get(pk=world.ent_jimei.pk)
    ent.name = "厦门鹭岛光电有限公司"
    save_enterprise(ent, by=world.people.admin)
    assert found("集美精密") == set()
    assert found("鹭岛光电") == {first.number, second.number}
    assert found("能源计量") == {first.number, other.number}
    # Saved again without a new name: nothing to do.
    save_enterprise(Enterprise.objects.get(pk=ent.pk), by=world.people.admin)
    assert found("鹭岛光电") == {first.number, second.number}


def test_a_deleted_demand_leaves_the_index(world, register):
    demand = register(description="六西格玛改进")
    demand.delete()
    assert not DemandSearch.objects.filter(demand_id=demand.pk).exists()
    assert found("六西格玛") == set()


def test_rebuild_gives_the_same_index_as_the_workflow(world, corpus):
    stored = dict(DemandSearch.objects.values_list("demand_id", "grams"))
    assert search.rebuild() == len(stored)
    assert dict(DemandSearch.objects.values_list("demand_id", "grams")) == stored
    assert found("检定校准") == {corpus["meters"].number}


# --- the index agrees with icontains, whatever the text -------------------------------------------

# Chinese of the demands, ASCII letters and digits in both cases, punctuation and spaces,
# and a few letters with case outside ASCII (Greek, full-width).
ALPHABET = "计量器具检定校准测试宏达精密机械有限公司质量体系认证" + "aAbBqQiI019-_ %.，。" + "ΣσςΑαＡａ"
texts = st.text(alphabet=ALPHABET, min_size=1, max_size=16)


@settings(max_examples=300, deadline=None)
@given(text=texts, data=st.data())
def test_every_substring_holds_every_term_of_the_query(text, data):
    """The index is a necessary condition: a field containing q holds all of q's terms;
    and when the index decides alone, holding the term is containing q."""
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    q = text[start:end]
    for variant in {q, q.upper(), q.lower()}:
        if variant.lower() in text.lower() and variant.isascii():
            assert search.terms(variant) <= search.terms(text)
    assert search.terms(q) <= search.terms(text)
    other = data.draw(texts)
    if search.decides(other):
        assert (search.terms(other) <= search.terms(text)) == (other.lower() in text.lower())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(texts, texts), min_size=1, max_size=4),
    queries=st.lists(texts, min_size=1, max_size=4),
    picks=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 15), st.integers(1, 6)), max_size=4),
)
def test_the_search_finds_what_icontains_finds(world, register, rows, queries, picks):
    """Demands registered through the rules with random enterprise names and descriptions:
    for random queries and pieces of the texts, the index finds exactly what the scan finds."""
    assume(all(desc.strip() for _name, desc in rows))
    made = []
    for name, description in rows:
        made.append(register(enterprise=enterprise(world, name), by=world.people.admin, description=description))
    texts_ = [f"{d.enterprise.name}" for d in made] + [d.description for d in made]
    for index, start, length in picks:
        text = texts_[index % len(texts_)]
        queries.append(text[start % len(text) : start % len(text) + length])
    for q in queries:
        q = q.strip()
        if q:
            assert found(q) == naive(q), q


def test_the_command_rebuilds_an_index_lost_to_sql_writes(world, corpus):
    from django.core.management import call_command

    DemandSearch.objects.all().delete()  # as if the demands had been written by SQL
    assert found("检定校准") == set()
    call_command("rebuild_search_index", stdout=__import__("io").StringIO())
    assert found("检定校准") == {corpus["meters"].number}
