"""Shared pieces of the browser tests: one headless Chromium (Debian's) per module, people
logged in once per test and reused, the off-origin request check, and numbered screenshots
of every step in a folder CI keeps ($QI_SCREENSHOT_DIR, else var/screenshots), one
sub-folder per test."""

import os
import re
import shutil
from pathlib import Path

import pytest

from ..conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}


def screenshot_root():
    return Path(os.environ.get("QI_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module's tests (each test opens its own contexts)."""
    # Playwright runs an event loop in this thread; the test's own ORM calls are safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class Screenshots:
    """shots(page, "step") writes <folder>/NN-step.png (the whole page)."""

    def __init__(self, folder):
        self.folder = folder
        self.taken = []

    def __call__(self, page, step):
        name = re.sub(r"[^a-z0-9-]+", "-", step.lower()).strip("-")
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.evaluate("window.scrollTo(0, 0)")  # the fixed header stays at the top of the picture
        page.screenshot(path=path, full_page=True, animations="disabled")
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request):
    folder = screenshot_root() / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return Screenshots(folder)


class People:
    """The browser sessions of a test: people(username) is that person's page, logged in
    on first use and reused; people.anonymous(phone=True) is a page without a login.
    Every request of every page is checked against the live server's origin."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.pages, self.contexts, self.off_origin = {}, [], []

    def _context(self, *, phone):
        if phone:
            context = self.browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
        else:
            context = self.browser.new_context(viewport=DESKTOP, locale="zh-CN")
        context.on("request", self._check_origin)
        context.set_default_timeout(15000)
        self.contexts.append(context)
        return context

    def _check_origin(self, request):
        if not (request.url == self.base_url or request.url.startswith(self.base_url + "/")):
            self.off_origin.append(request.url)

    def __call__(self, username, *, phone=False):
        key = (username, phone)
        if key not in self.pages:
            page = self._context(phone=phone).new_page()
            page.goto(self.base_url + "/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
            self.pages[key] = page
        return self.pages[key]

    def anonymous(self, *, phone=False):
        return self._context(phone=phone).new_page()

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser, live_server):
    crowd = People(browser, live_server.url)
    yield crowd
    crowd.close()
