"""End to end in headless Chromium (Debian's /usr/bin/chromium) against the live server."""

from pathlib import Path

import pytest

from ..conftest import PASSWORD
from .conftest import CHROMIUM, screenshot_root

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
SHOTS = screenshot_root()


def open_page(browser, live_server, username, width=1366):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10000)
    off_origin = []
    page.on("request", lambda r: off_origin.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page, off_origin


def test_an_officer_registers_an_enterprise_in_the_browser(world, live_server, browser):
    from qiservice.core.validators import credit_code_check_character
    from qiservice.enterprises.models import Enterprise

    SHOTS.mkdir(parents=True, exist_ok=True)
    page, off_origin = open_page(browser, live_server, "officer_jimei")
    page.click("text=服务对象")
    page.wait_for_selector("text=厦门集美精密机械有限公司")
    assert page.locator("text=厦门思明电子科技有限公司").count() == 0

    page.click("text=＋ 新增")
    page.fill("#id_name", "厦门浏览器测试有限公司")
    page.fill("#id_credit_code", "91350211MA00000B0X")  # wrong check character
    page.select_option("#id_district", label="集美区")
    page.fill("#id_address", "厦门市集美区测试路2号")
    page.fill("#id_contact_name", "测试")
    page.fill("#id_contact_phone", "13800001111")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=统一社会信用代码校验位不正确")
    page.screenshot(path=SHOTS / "enterprise_form_error.png", full_page=True)
    assert not Enterprise.objects.filter(name="厦门浏览器测试有限公司").exists()

    body = "91350211MA00000B0"
    page.fill("#id_credit_code", body + credit_code_check_character(body))
    page.click("button:has-text('保存')")
    page.wait_for_selector("h1:has-text('厦门浏览器测试有限公司')")
    page.screenshot(path=SHOTS / "enterprise_detail.png", full_page=True)
    assert Enterprise.objects.get(name="厦门浏览器测试有限公司").district == world.jimei
    assert off_origin == [], f"requests left the origin: {off_origin}"


def test_the_phone_layout_has_a_working_menu_and_cards(world, live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, off_origin = open_page(browser, live_server, "admin", width=375)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling on a phone"
    page.click("button.navbar-toggler")
    page.wait_for_selector("#sidebar.show")
    page.click("#sidebar >> text=服务对象")
    page.wait_for_selector("ul.list-group >> text=厦门湖里食品有限公司")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=SHOTS / "enterprises_phone.png", full_page=True)
    # Controls are touch-sized.
    height = page.locator("button:has-text('筛选')").bounding_box()["height"]
    assert height >= 44
    assert off_origin == []


def test_live_filtering_with_htmx(world, live_server, browser):
    page, _ = open_page(browser, live_server, "admin")
    page.goto(live_server.url + "/enterprises/")
    page.fill("#id_q", "湖里")
    # (not wait_for_function: Playwright evaluates its predicate with eval, which the page's
    # Content-Security-Policy refuses)
    page.locator("#object-table >> text=厦门集美精密机械有限公司").first.wait_for(state="detached")
    assert "厦门湖里食品有限公司" in page.inner_text("#object-table")
    assert "q=%E6%B9%96%E9%87%8C" in page.url, "the filter is in the address bar, so it can be shared"
