"""The demand list's specialist picker in headless Chromium: suggestions as one types (the
officer's district only), the list reloaded on a choice with the name kept, on a desktop
and a phone; without JavaScript the box filters by the name typed."""

from pathlib import Path

import pytest

from qiservice.demands import workflow

from ..conftest import PASSWORD, make_specialist
from .conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def served(world, specialist, description):
    enterprise = world.ent_jimei if specialist.district == world.jimei else world.ent_siming
    return workflow.register_demand(
        by=specialist.user,
        enterprise=enterprise,
        categories=["metrology"],
        source="phone",
        contact_name="李主任",
        contact_phone="13800002222",
        description=description,
    )


@pytest.fixture
def pool(world):
    wang = make_specialist("sp_wang_jimei", world.jimei, name="王丽萍", employer="集美计量站")
    make_specialist("sp_wang_siming", world.siming, name="王思远")
    return {
        "mine": served(world, world.sp_jimei, "王建华负责的需求"),
        "hers": served(world, wang, "王丽萍负责的需求"),
        "wang": wang,
    }


def signed_in(browser, live_server, *, width, javascript=True, phone=False):
    options = {"viewport": {"width": width, "height": 900 if not phone else 812}, "locale": "zh-CN"}
    if phone:
        options.update(has_touch=True, is_mobile=True)
    context = browser.new_context(java_script_enabled=javascript, **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    off_origin = []
    page.on("request", lambda r: off_origin.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "officer_jimei")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page, off_origin


def rows(page, selector="table tbody tr"):
    return page.locator(selector).all_inner_texts()


@pytest.mark.parametrize("width", [1280, 375])
def test_an_officer_picks_a_specialist_by_typing_part_of_the_name(world, live_server, browser, shots, pool, width):
    phone = width < 768
    page, off_origin = signed_in(browser, live_server, width=width, phone=phone)
    page.goto(live_server.url + "/demands/")
    if phone:
        page.click("button:has-text('更多筛选')")
    box = page.locator("#id_specialist")
    box.click()
    box.press_sequentially("王", delay=50)
    options = page.locator("#id_specialist-options [data-testid=picker-option]")
    options.first.wait_for()
    names = sorted(t.split()[0] for t in options.all_inner_texts())
    assert names == ["王丽萍", "王建华"], "only the officer's district: not 王思远 of 思明"
    assert page.locator("#id_specialist-options").inner_text().count("集美区") == 2
    shots(page, f"suggestions at {width}px")

    options.filter(has_text="王丽萍").click()
    page.wait_for_url(lambda url: f"specialist={pool['wang'].pk}" in url)
    page.wait_for_function("document.querySelector('#id_specialist-options').children.length === 0")
    assert box.input_value() == "王丽萍"
    selector = "table tbody tr" if not phone else "#object-table .list-group-item"
    page.wait_for_function(f"document.querySelectorAll({selector!r}).length === 1")
    listed = rows(page, selector)
    assert pool["hers"].number in listed[0] and pool["mine"].number not in " ".join(listed)
    shots(page, f"chosen at {width}px")

    # Reloaded from its address, the list still names her in the box.
    page.reload()
    assert page.locator("#id_specialist").input_value() == "王丽萍"
    assert off_origin == [], f"requests left the origin: {off_origin}"


def test_without_javascript_the_picker_is_a_plain_text_field(world, live_server, browser, shots, pool):
    page, _ = signed_in(browser, live_server, width=1280, javascript=False)
    page.goto(live_server.url + "/demands/")
    page.fill("#id_specialist", "丽萍")
    page.locator("#id_specialist").press("Enter")
    page.wait_for_url(lambda url: "specialist_name=" in url)
    listed = rows(page)
    assert len(listed) == 1 and pool["hers"].number in listed[0]
    assert page.locator("#id_specialist").input_value() == "丽萍"
    shots(page, "no javascript, filtered by the name typed")
