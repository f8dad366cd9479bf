"""The demand list at /demands/: filters, keyword search, sorting, scope and query count."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiservice.demands import workflow
from qiservice.demands.models import SpecialTask, TaskTarget

from .conftest import preparation_data

URL = "/demands/"


def numbers(response):
    """The demand numbers in the table, in order (each row links its number once)."""
    table = response.content.decode().split("<table", 1)[-1].split("</table>", 1)[0]
    return re.findall(r">(QI-\d{4}-\d{6})</a>", table)


@pytest.fixture
def demands(world, register):
    """Five demands that differ in one attribute each, registered on different days."""
    sp, sp_siming, officer_siming = world.people.specialist, world.people.specialist_siming, world.people.officer_siming
    today = timezone.localdate()
    task = SpecialTask.objects.create(
        title="质量提升专项", starts_on=today, ends_on=today, created_by=world.people.admin
    )
    target = TaskTarget.objects.create(task=task, enterprise=world.ent_jimei, specialist=world.sp_jimei)
    made = {}
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)):
        made["metrology"] = register(by=sp, categories=["metrology"], source="onsite", description="三坐标测量机校准")
    with time_machine.travel(datetime.datetime(2026, 4, 8, 10, tzinfo=datetime.UTC)):
        made["testing"] = register(
            by=sp, categories=["inspection_testing"], source="phone", description="出口食品检验检测", task_target=target
        )
    with time_machine.travel(datetime.datetime(2026, 5, 12, 10, tzinfo=datetime.UTC)):
        made["siming"] = register(
            by=officer_siming,
            enterprise=world.ent_siming,
            categories=["certification_accreditation"],
            source="web",
            description="申请产品认证",
        )
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, tzinfo=datetime.UTC)):
        made["siming_sp"] = register(
            by=sp_siming,
            enterprise=world.ent_siming,
            categories=["standardization"],
            source="other",
            description="团体标准制定",
        )
    with time_machine.travel(datetime.datetime(2026, 7, 20, 10, tzinfo=datetime.UTC)):
        made["escalated"] = register(
            by=sp, categories=["quality_management"], source="onsite", description="质量管理体系"
        )
    # The last one is escalated and dispatched to the metrology institute.
    demand = made["escalated"]
    workflow.start_preparation(demand, by=sp)
    workflow.save_preparation(demand, by=sp, **preparation_data())
    workflow.confirm(demand, by=sp, mode="assisted", reason="需要技术机构")
    workflow.escalate(demand, by=sp, reason="需要检定资质", needs="校准")
    workflow.dispatch(demand, by=world.people.officer_jimei, institutions=[world.metrology])
    for d in made.values():
        d.refresh_from_db()
    made["task"] = task
    return made


def test_the_list_shows_every_column_of_a_demand(world, login, demands):
    page = login(world.people.admin).get(URL).content.decode()
    demand = demands["testing"]
    row = page.split(f">{demand.number}</a>", 1)[1].split("</tr>", 1)[0]
    assert world.ent_jimei.name in row
    assert '<span class="badge text-bg-light border">检验检测</span>' in row
    assert "电话" in row and "集美区" in row and "王建华" in row
    assert '<span class="badge text-bg-info">已登记</span>' in row
    assert "2026-04-08" in row
    assert f'href="{demand.get_absolute_url()}"' in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "dispatched"}, ["escalated"]),
        ({"status": ["registered", "dispatched"]}, ["escalated", "siming_sp", "siming", "testing", "metrology"]),
        ({"category": "inspection_testing"}, ["testing"]),
        ({"source": "web"}, ["siming"]),
        ({"registered_from": "2026-04-01", "registered_to": "2026-05-31"}, ["siming", "testing"]),
        ({"registered_from": "2026-07-01"}, ["escalated"]),
    ],
)
def test_each_filter_narrows_the_rows(world, login, demands, params, expected):
    response = login(world.people.admin).get(URL, params)
    assert numbers(response) == [demands[key].number for key in expected]


def test_the_scoped_filters_narrow_the_rows(world, login, demands):
    client = login(world.people.admin)
    assert numbers(client.get(URL, {"district": world.siming.pk})) == [
        demands["siming_sp"].number,
        demands["siming"].number,
    ]
    assert numbers(client.get(URL, {"specialist": world.sp_siming.pk})) == [demands["siming_sp"].number]
    assert numbers(client.get(URL, {"institution": world.metrology.pk})) == [demands["escalated"].number]
    assert numbers(client.get(URL, {"institution": world.testing.pk})) == []
    assert numbers(client.get(URL, {"special_task": demands["task"].pk})) == [demands["testing"].number]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("000002", ["testing"]),
        ("思明电子", ["siming_sp", "siming"]),
        ("食品检验", ["testing"]),
        ("团体标准", ["siming_sp"]),
        ("没有这个词", []),
    ],
)
def test_the_keyword_search_finds_by_number_enterprise_name_and_description(world, login, demands, q, expected):
    response = login(world.people.admin).get(URL, {"q": q})
    assert numbers(response) == [demands[key].number for key in expected]


def test_a_search_and_a_filter_combine(world, login, demands):
    response = login(world.people.admin).get(URL, {"q": "思明电子", "source": "other"})
    assert numbers(response) == [demands["siming_sp"].number]


def test_sorting_by_number_and_status(world, login, demands):
    client = login(world.people.admin)
    ascending = numbers(client.get(URL, {"sort": "number"}))
    assert ascending == sorted(ascending) and len(ascending) == 5
    assert numbers(client.get(URL, {"sort": "-number"})) == ascending[::-1]
    by_status = numbers(client.get(URL, {"sort": "-status"}))
    assert by_status[-1] == demands["escalated"].number, "dispatched sorts before registered"
    by_date = numbers(client.get(URL, {"sort": "registered_on"}))
    assert by_date[0] == demands["metrology"].number


def test_an_officer_never_sees_another_districts_demands(world, login, demands):
    client = login(world.people.officer_siming)
    siming = [demands["siming_sp"].number, demands["siming"].number]
    assert numbers(client.get(URL)) == siming
    forced = client.get(URL, {"district": world.jimei.pk})
    assert numbers(forced) == []
    assert demands["metrology"].number not in forced.content.decode()
    assert numbers(client.get(URL, {"q": "集美精密"})) == []


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ("specialist", ["escalated", "testing", "metrology"]),
        ("specialist_siming", ["siming_sp"]),
        ("officer_jimei", ["escalated", "testing", "metrology"]),
        ("institution_staff", ["escalated"]),
        ("outsider", []),
    ],
)
def test_each_role_lists_only_the_demands_in_its_scope(world, login, demands, person, expected):
    response = login(getattr(world.people, person)).get(URL)
    assert numbers(response) == [demands[key].number for key in expected]


def test_the_enterprise_user_is_sent_to_the_portal_which_lists_its_own_demands(world, login, demands):
    client = login(world.people.enterprise_user)
    response = client.get(URL, {"q": "集美"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    portal = client.get("/portal/").content.decode()
    assert all(demands[key].number in portal for key in ("escalated", "testing", "metrology"))
    assert all(demands[key].number not in portal for key in ("siming_sp", "siming"))


@pytest.mark.parametrize(
    ("person", "shown"),
    [("admin", True), ("officer_jimei", True), ("specialist", True), ("institution_staff", False), ("auditor", False)],
)
def test_the_new_button_is_shown_to_those_who_register(world, login, person, shown):
    page = login(getattr(world.people, person)).get(URL).content.decode()
    assert ('href="/demands/new/"' in page) is shown


def test_the_htmx_filter_returns_only_the_table(world, login, demands):
    response = login(world.people.admin).get(
        URL, {"source": "web"}, headers={"HX-Request": "true", "HX-Target": "object-table"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="object-table">')
    assert numbers(response) == [demands["siming"].number]


def test_the_filter_form_gets_the_rows_and_its_summaries_without_the_page(world, login, demands):
    """What demands/list.html swaps in (hx-select, hx-select-oob), and nothing around it."""
    response = login(world.people.admin).get(
        URL,
        {"status": "dispatched", "specialist": world.sp_jimei.pk},
        headers={"HX-Request": "true", "HX-Target": "demand-results"},
    )
    page = response.content.decode()
    assert numbers(response) == [demands["escalated"].number]
    assert '<div id="demand-results">' in page
    assert '<span id="status-summary">已派单待接单</span>' in page
    assert 'id="id_specialist-picker"' in page and 'name="specialist_name" value="王建华"' in page
    assert "<html" not in page and 'href="/demands/my-work/"' not in page and "<form" not in page


def test_the_query_count_does_not_grow_with_the_rows(world, login, register, django_assert_max_num_queries):
    client = login(world.people.admin)
    register()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(12):
        register(categories=["metrology", "standardization", "other"])
    assert queries() == few
    with django_assert_max_num_queries(20):
        client.get(URL)


KEYWORDS = ["", "思明", "集美精密", "检验", "标准", "QI-", "000003"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    statuses=st.sets(st.sampled_from(["registered", "dispatched", "preparing"])),
    category=st.sampled_from(["", "metrology", "standardization", "inspection_testing"]),
    source=st.sampled_from(["", "onsite", "phone", "web", "other"]),
    district=st.sampled_from(["", "jimei", "siming"]),
    q=st.sampled_from(KEYWORDS),
)
def test_filters_and_search_combine_as_an_and_of_each(world, login, demands, statuses, category, source, district, q):
    """Whatever the combination, the rows are exactly the demands that pass every filter."""
    from qiservice.demands.models import Demand

    params = {"status": sorted(statuses), "category": category, "source": source, "q": q}
    if district:
        params["district"] = getattr(world, district).pk
    expected = [
        d.number
        for d in Demand.objects.select_related("enterprise", "district").order_by("-registered_at", "-pk")
        if (not statuses or d.status in statuses)
        and (not category or category in d.categories)
        and (not source or d.source == source)
        and (not district or d.district == getattr(world, district))
        and (not q or q.lower() in f"{d.number}|{d.enterprise.name}|{d.description}".lower())
    ]
    assert numbers(login(world.people.admin).get(URL, params)) == expected


@pytest.mark.parametrize(
    ("params", "summary"),
    [({}, "全部"), ({"status": "dispatched"}, "已派单待接单"), ({"status": ["registered", "dispatched"]}, "已选 2 项")],
)
def test_the_status_filter_says_what_is_chosen(world, login, params, summary):
    page = login(world.people.admin).get(URL, params).content.decode()
    assert f'<span id="status-summary">{summary}</span>' in page


def test_the_sidebar_links_to_the_list_and_to_my_work(world, login):
    page = login(world.people.specialist).get("/").content.decode()
    assert 'href="/demands/"' in page and 'href="/demands/my-work/"' in page
    assert "服务需求" in page and "我的工作" in page
