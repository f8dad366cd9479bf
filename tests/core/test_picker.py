"""The specialist picker of the list filters (qiservice/core/picker.py): suggestions scoped
to what the viewer may see, the chosen one shown by name, and a plain text field without
JavaScript."""

import json
import re

import pytest

from qiservice.demands import workflow
from tests.conftest import make_specialist

PICKER = "/specialists/picker/"
HX = {"HX-Request": "true"}


def suggested(response):
    """The names offered (in the database's order of names, which depends on its collation)."""
    assert response.status_code == 200
    return {name.strip() for name in re.findall(r'data-testid="picker-option"[^>]*>([^<]+)', response.content.decode())}


def numbers(response):
    table = response.content.decode().split("<table", 1)[-1].split("</table>", 1)[0]
    return re.findall(r">(QI-\d{4}-\d{6})</a>", table)


@pytest.fixture
def pool(world):
    """Two more specialists named 王…: one of 集美 (the 集美 officer's), one of 思明."""
    return {
        "jimei": make_specialist("sp_wang_jimei", world.jimei, name="王丽萍"),
        "siming": make_specialist("sp_wang_siming", world.siming, name="王思远"),
    }


def served(world, specialist, description):
    return workflow.register_demand(
        by=specialist.user,
        enterprise=world.ent_jimei if specialist.district == world.jimei else world.ent_siming,
        categories=["metrology"],
        source="phone",
        contact_name="李主任",
        contact_phone="13800002222",
        description=description,
    )


def test_the_suggestions_are_the_matching_specialists_the_viewer_may_see(world, login, pool):
    admin = login(world.people.admin)
    assert suggested(admin.get(PICKER, {"name": "specialist", "specialist_name": "王"}, headers=HX)) == {
        "王丽萍",
        "王思远",
        "王建华",
    }
    # A district's officer: the specialists of the district only.
    officer = login(world.people.officer_jimei)
    assert suggested(officer.get(PICKER, {"name": "specialist", "specialist_name": "王"})) == {"王丽萍", "王建华"}
    assert suggested(officer.get(PICKER, {"name": "specialist", "specialist_name": "思远"})) == set()
    assert "王思远" not in officer.get(PICKER, {"name": "specialist", "specialist_name": "王"}).content.decode()
    # A specialist sees themself; an outsider nobody.
    assert suggested(login(world.people.specialist).get(PICKER, {"name": "specialist", "specialist_name": "王"})) == {
        "王建华"
    }
    assert suggested(login(world.people.outsider).get(PICKER, {"name": "specialist", "specialist_name": "王"})) == set()


def test_a_suggestion_names_the_district_and_says_how_many_were_found(world, login, pool):
    page = login(world.people.admin).get(PICKER, {"name": "specialist", "specialist_name": "思远"}).content.decode()
    assert "找到 1 位，请选择" in page and "思明区" in page
    assert f'hx-get="/specialists/picker/?name=specialist&amp;pick={pool["siming"].pk}"' in page
    nobody = login(world.people.admin).get(PICKER, {"name": "specialist", "specialist_name": "<无此人>"})
    assert "没有找到“&lt;无此人&gt;”" in nobody.content.decode()
    # Typing drops the one chosen before: the hidden id is swapped out.
    assert '<span id="id_specialist-chosen" hidden hx-swap-oob="true"></span>' in page


def test_more_than_twenty_matches_ask_for_more_characters(world, login):
    for n in range(22):
        make_specialist(f"sp_lin_{n}", world.jimei, name=f"林{n:02d}")
    page = login(world.people.admin).get(PICKER, {"name": "specialist", "specialist_name": "林"})
    assert len(suggested(page)) == 20 and "超过 20 位，请输入更多字缩小范围" in page.content.decode()


def test_picking_answers_the_picker_with_the_name_and_the_id_and_reloads_the_list(world, login, pool):
    response = login(world.people.officer_jimei).get(PICKER, {"name": "specialist", "pick": pool["jimei"].pk})
    page = response.content.decode()
    assert 'id="id_specialist-picker"' in page
    assert 'name="specialist_name" value="王丽萍"' in page
    assert f'<input type="hidden" name="specialist" value="{pool["jimei"].pk}" id="id_specialist-chosen">' in page
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"picked": {"target": "#id_specialist-picker"}}


@pytest.mark.parametrize("pick", ["siming", "unknown", "not-a-number"])
def test_picking_someone_out_of_scope_is_not_found(world, login, pool, pick):
    value = {"siming": pool["siming"].pk, "unknown": 999999, "not-a-number": "1 OR 1=1"}[pick]
    response = login(world.people.officer_jimei).get(PICKER, {"name": "specialist", "pick": value})
    assert response.status_code == 404
    assert "王思远" not in response.content.decode()


def test_a_bad_field_name_is_not_found(world, login):
    response = login(world.people.admin).get(PICKER, {"name": '"><script>', "pick": world.sp_jimei.pk})
    assert response.status_code == 404


def test_the_demand_list_shows_the_chosen_specialist_by_name_not_the_whole_pool(world, login, pool):
    served(world, world.sp_jimei, "王建华的需求")
    page = login(world.people.admin).get("/demands/", {"specialist": world.sp_jimei.pk}).content.decode()
    assert 'name="specialist_name" value="王建华"' in page
    assert f'<input type="hidden" name="specialist" value="{world.sp_jimei.pk}" id="id_specialist-chosen">' in page
    # No option list of the pool: the other specialists' names are nowhere on the page.
    assert "王丽萍" not in page and "王思远" not in page and "陈丽" not in page


def test_the_list_filters_by_the_chosen_specialist(world, login, pool):
    mine = served(world, world.sp_jimei, "王建华的需求")
    theirs = served(world, pool["jimei"], "王丽萍的需求")
    client = login(world.people.officer_jimei)
    assert numbers(client.get("/demands/", {"specialist": pool["jimei"].pk})) == [theirs.number]
    # The name sent with it, unchanged: still the id (not every 王).
    assert numbers(client.get("/demands/", {"specialist": world.sp_jimei.pk, "specialist_name": "王建华"})) == [
        mine.number
    ]


def test_without_javascript_the_text_typed_filters_by_name(world, login, pool):
    mine = served(world, world.sp_jimei, "王建华的需求")
    theirs = served(world, pool["jimei"], "王丽萍的需求")
    client = login(world.people.officer_jimei)
    both = client.get("/demands/", {"specialist_name": "王"})
    assert numbers(both) == [theirs.number, mine.number]
    assert 'name="specialist_name" value="王"' in both.content.decode()
    # Chosen before, then the text changed and sent (the hidden id still with it): the text wins.
    changed = client.get("/demands/", {"specialist": world.sp_jimei.pk, "specialist_name": "丽萍"})
    assert numbers(changed) == [theirs.number]
    page = changed.content.decode()
    assert 'name="specialist_name" value="丽萍"' in page and 'id="id_specialist-chosen">' not in page


def test_a_name_typed_never_reaches_demands_out_of_scope(world, login, pool):
    served(world, pool["siming"], "思明的需求")
    assert numbers(login(world.people.officer_jimei).get("/demands/", {"specialist_name": "王思远"})) == []


def test_an_out_of_scope_specialist_id_in_the_list_shows_nothing(world, login, pool):
    served(world, pool["siming"], "思明的需求")
    response = login(world.people.officer_jimei).get("/demands/", {"specialist": pool["siming"].pk})
    assert numbers(response) == [] and "王思远" not in response.content.decode()


def test_the_evaluation_list_has_the_picker_too(world, login):
    page = login(world.people.admin).get("/exports/evaluations/", {"specialist": world.sp_jimei.pk}).content.decode()
    assert 'name="specialist_name" value="王建华"' in page and "陈丽" not in page
    # Its htmx answer (the rows) carries the picker out of band.
    partial = login(world.people.admin).get(
        "/exports/evaluations/", {"specialist_name": "王"}, headers={"HX-Request": "true", "HX-Target": "object-table"}
    )
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="object-table">')
    assert 'id="id_specialist-picker" data-testid="picker-specialist"' in html and 'hx-swap-oob="true"' in html


def test_the_api_still_filters_by_specialist_id(world, login, pool):
    mine = served(world, world.sp_jimei, "王建华的需求")
    served(world, pool["jimei"], "王丽萍的需求")
    response = login(world.people.admin).get("/api/demands", {"specialist": world.sp_jimei.pk})
    assert [row["number"] for row in response.json()["items"]] == [mine.number]
