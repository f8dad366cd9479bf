"""The login controls in the browser on a phone-size screen (375 px): TOTP enrolment with
the QR code, the two-step login, the login history, the lockout message, and the agency's
security page."""

from datetime import timedelta

import pyotp
from django.utils import timezone

from ..conftest import PASSWORD
from .test_browser import SHOTS, open_page, pytestmark  # noqa: F401 - the marks

PHONE = 375


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, page.url


def test_totp_enrolment_and_two_step_login_on_a_phone(world, live_server, browser):
    from qiservice.accounts.models import TotpDevice

    SHOTS.mkdir(parents=True, exist_ok=True)
    page, off_origin = open_page(browser, live_server, "officer_jimei", width=PHONE)
    page.goto(live_server.url + "/account/")
    no_sideways_scroll(page)
    page.click("text=启用双因素认证")
    page.wait_for_selector("[data-testid=totp-qr] svg")
    no_sideways_scroll(page)
    box = page.locator("[data-testid=totp-qr] svg").bounding_box()
    assert 150 <= box["width"] <= PHONE and abs(box["width"] - box["height"]) < 2, "a square QR code that fits"
    page.screenshot(path=SHOTS / "totp_enrol_phone.png", full_page=True)
    secret = page.locator("[data-testid=totp-secret]").inner_text().replace(" ", "")
    code = pyotp.TOTP(secret)
    page.fill("#id_code", code.now())
    page.click("button:has-text('验证并启用')")
    page.wait_for_selector("text=双因素认证已启用")
    assert TotpDevice.objects.filter(user=world.people.officer_jimei).exists()

    # Log out (the account menu) and in again: password, then the next code.
    page.click("header .dropdown-toggle")
    page.click("text=退出登录")
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "officer_jimei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/login/totp/")
    no_sideways_scroll(page)
    page.fill("#id_code", code.at(timezone.now() + timedelta(seconds=30)))  # the enrolment used this step's code
    page.click("button:has-text('验证并登录')")
    page.wait_for_url(live_server.url + "/")
    page.click("header .dropdown-toggle")
    page.click("text=登录记录")
    page.wait_for_selector("[data-testid=login-history]")
    no_sideways_scroll(page)
    assert page.locator("[data-testid=history-login]").count() >= 2
    page.screenshot(path=SHOTS / "login_history_phone.png", full_page=True)
    assert off_origin == []


def test_the_lockout_message_and_the_security_page_on_a_phone(world, live_server, browser):
    context = browser.new_context(viewport={"width": PHONE, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10000)
    for _n in range(5):
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "officer_siming")
        page.fill("#id_password", "Wrong-pass-2026")
        page.click("button[type=submit]")
        page.wait_for_selector(".alert-danger")
    assert "已暂时锁定" in page.locator(".alert-danger").inner_text()
    no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "login_locked_phone.png", full_page=True)
    context.close()

    # The live server's client address (127.0.0.1) is locked too; the admin unlocks it first
    # from a page opened with a session made outside the browser's login form.
    from qiservice.accounts.models import LockKind, LoginThrottle

    LoginThrottle.objects.filter(kind=LockKind.ADDRESS).update(locked_until=None, failures=0)
    admin, _off = open_page(browser, live_server, "admin", width=PHONE)
    admin.goto(live_server.url + "/security/")
    admin.wait_for_selector("[data-testid=locks] >> text=officer_siming")
    no_sideways_scroll(admin)
    admin.screenshot(path=SHOTS / "security_phone.png", full_page=True)
    admin.click("[data-testid=locks] button:has-text('解锁')")
    admin.wait_for_selector("text=没有被锁定的账户或地址")
    assert not LoginThrottle.objects.get(kind=LockKind.ACCOUNT, key="officer_siming").is_locked()
