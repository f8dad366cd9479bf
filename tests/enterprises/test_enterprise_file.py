"""一企一档 — the enterprise's page gathers every demand and its records the viewer may see."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from qiservice.demands import workflow
from tests.demands.conftest import ledger_data
from tests.demands.test_cases import SUMMARY, summarised_demand


def register(world, by, description="企业需要开展产品检验检测。"):
    return workflow.register_demand(
        by=by,
        enterprise=world.ent_jimei,
        categories=["inspection_testing"],
        source="phone",
        contact_name="李主任",
        contact_phone="13800002222",
        description=description,
    )


def records(page):
    """The kinds of records on the page, in the order shown."""
    import re

    return re.findall(r'data-testid="file-record" data-kind="(\w+)"', page)


def test_the_file_shows_every_record_of_a_demand_newest_first(world, login):
    demand = summarised_demand(world, evaluate=True)
    sp = world.people.specialist
    page = login(world.people.officer_jimei).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert 'data-testid="enterprise-file"' in page
    assert demand.number in page and f"/demands/{demand.pk}/" in page
    assert ledger_data()["problem"] in page and "建立测量管理体系，完成关键计量器具校准" in page
    assert SUMMARY["problems_solved"][:20] in page and "总分 46 / 50" in page
    assert "需求 1 · 台账 1 · 协议 1 · 总结 1 · 评价 1" in page
    # Newest first: by the record's date, then by when it was written.
    assert records(page) == ["evaluation", "summary", "ledger", "agreement"]
    dates = [datetime.date.fromisoformat(d) for d in _record_dates(page)]
    assert len(dates) == 4 and dates == sorted(dates, reverse=True)
    assert sp.specialist.name in page


def _record_dates(page):
    import re

    return re.findall(r'data-kind="\w+">\s*<span class="text-body-secondary">(\d{4}-\d{2}-\d{2})</span>', page)


def test_newer_demands_come_first(world, login):
    older = summarised_demand(world)
    newer = register(world, world.people.specialist)
    page = login(world.people.admin).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert page.index(newer.number) < page.index(older.number)


def test_the_file_leaves_out_demands_outside_the_viewers_scope(world, login):
    own = summarised_demand(world)
    theirs = register(world, world.people.officer_jimei, description="仅管理机构可见的需求描述")
    page = login(world.people.specialist).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert own.number in page
    assert theirs.number not in page and "仅管理机构可见的需求描述" not in page
    assert "需求 1 · " in page
    officer = login(world.people.officer_jimei).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert own.number in officer and theirs.number in officer


def test_an_enterprise_user_sees_their_own_file_without_the_internal_ledger(world, login):
    demand = summarised_demand(world, evaluate=True)
    page = login(world.people.enterprise_user).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert demand.number in page and SUMMARY["results"] in page
    # The ledger is the service's internal working record (the portal does not show it either).
    assert ledger_data()["problem"] not in page and "ledger" not in records(page)
    assert "台账 0 ·" in page
    specialist = login(world.people.specialist).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert ledger_data()["problem"] in specialist


def test_those_who_see_the_enterprise_but_none_of_its_demands_see_an_empty_file(world, login):
    from tests.conftest import make_specialist

    summarised_demand(world)
    colleague = make_specialist("sp_jimei_b", world.jimei, name="赵敏")
    page = login(colleague.user).get(f"/enterprises/{world.ent_jimei.pk}/").content.decode()
    assert 'data-testid="file-empty"' in page and "QI-" not in page
    assert ledger_data()["problem"] not in page
    assert login(world.people.officer_siming).get(f"/enterprises/{world.ent_jimei.pk}/").status_code == 404


def test_the_file_costs_the_same_queries_for_one_demand_or_many(world, login):
    client = login(world.people.admin)
    summarised_demand(world, evaluate=True)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/enterprises/{world.ent_jimei.pk}/").status_code == 200
        return len(ctx.captured_queries)

    one = queries()
    for _ in range(3):
        summarised_demand(world, evaluate=True)
    assert queries() == one
