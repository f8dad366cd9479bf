"""The Content-Security-Policy in a real browser (Debian's Chromium): the key pages load,
htmx and Bootstrap work, and the browser reports no violation of the policy — neither as a
`securitypolicyviolation` event nor as a console message."""

import os
import shutil
from pathlib import Path

import pytest

from ..conftest import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Runs before the page's own scripts (through the DevTools protocol, so the policy does not
# apply to it): keeps every violation the page reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class Visitor:
    """A signed-in browser page that keeps the policy's complaints."""

    def __init__(self, browser, live_server, username):
        self.base = live_server.url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.console = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.page.goto(self.base + "/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("load")

    def _console(self, message):
        text = message.text
        if message.type == "error" or "Content Security Policy" in text or "Refused to" in text:
            self.console.append(f"{message.type}: {text}")

    def visit(self, path, ready):
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        assert response.headers.get("content-security-policy"), path
        self.page.wait_for_selector(ready)
        return self.page

    def complaints(self):
        """What the policy blocked on the current page, and the console's complaints since
        the last call."""
        found, self.console = self.page.evaluate("window.__csp") + self.console, []
        return found


def test_key_pages_load_under_the_policy_without_a_violation(world, live_server, browser):
    from qiservice.demands.models import Demand
    from tests.portal.helpers import submit, to_plan

    demand = to_plan(world, submit(world))
    assert isinstance(demand, Demand)

    admin = Visitor(browser, live_server, "admin")
    complaints = {}
    # The statistics dashboard (SVG charts), a demand page (collapsible sections, the actions
    # menu), a list filtered live with htmx, and Swagger UI from django-ninja.
    page = admin.visit("/reports/", "svg.qi-chart")
    complaints["/reports/"] = admin.complaints()
    page = admin.visit(f"/demands/{demand.pk}/", "h1")
    assert demand.number in page.inner_text("h1")
    complaints["demand"] = admin.complaints()
    page = admin.visit("/enterprises/", "#object-table")
    page.fill("#id_q", "集美")
    # htmx swapped the table (wait_for_function would eval its predicate: the policy refuses)
    page.locator("#object-table >> text=厦门湖里食品有限公司").first.wait_for(state="detached")
    complaints["htmx"] = admin.complaints()
    page.click("button.dropdown-toggle")  # Bootstrap's script works
    page.wait_for_selector(".dropdown-menu.show")
    page = admin.visit("/api/docs", "#swagger-ui .opblock")  # Swagger UI rendered the operations
    complaints["/api/docs"] = admin.complaints()

    enterprise = Visitor(browser, live_server, "ent_user")
    enterprise.visit("/portal/", "h1")
    complaints["/portal/"] = enterprise.complaints()
    page = enterprise.visit(f"/portal/demands/{demand.pk}/", "[data-testid=portal-plan]")
    page.click("[data-testid=portal-withdraw] summary")  # <details> opens without a script
    page.wait_for_selector("#id_reason", state="visible")
    complaints["portal demand"] = enterprise.complaints()
    assert {where: found for where, found in complaints.items() if found} == {}

    # The listener does hear the policy: an inline handler slipped into the page is refused.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"/no.png\" onerror=\"window.x=1\">')")
    page.wait_for_timeout(500)
    assert any("script-src" in found for found in enterprise.complaints())
    assert page.evaluate("window.x") is None, "and the handler did not run"
