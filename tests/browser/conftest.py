"""Browser journeys: the running portal (pytest-django's live_server) driven in headless Chromium.

Playwright's sync API is used directly (the pytest-playwright plugin is not a dependency). Chromium is
the distribution's /usr/bin/chromium; without it every browser test is skipped with the reason.

Every browser test is marked::

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)

live_server needs a transactional database, which is flushed after each test; serialized_rollback
restores the reference data (provinces, cities, ministries) that the data migration loaded.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM calls
# from a thread with a running loop unless told otherwise. The Makefile sets this too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SKIP_REASON = f"{CHROMIUM} is missing: install it (apt-get install chromium fonts-noto-cjk) to run the browser tests"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Without Chromium, skip every test of this folder (with the reason) rather than fail it."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright  # imported here: the unit tests do not need it

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test (no cookies carried over), pointed at the live server."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                  base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def shot(page, name):
    """Save a full-page screenshot to docs/screenshots/<name>.png.

    The viewport is stretched to the whole page for the shot: a plain full-page capture leaves
    `position: sticky` bars (the section form's save buttons) floating half-way down the picture.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    viewport = page.viewport_size
    height = page.evaluate("Math.ceil(document.documentElement.scrollHeight)")
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(viewport)
    return path


def submit(page, button):
    """Click a button that posts a form and wait until the resulting page (after any redirect) is loaded."""
    with page.expect_navigation():
        page.locator(button).click()


def log_in(page, username, password):
    page.goto("/accounts/login/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    submit(page, "main form button[type=submit]")
    assert "/accounts/login/" not in page.url, "the login was refused"


def log_out(page):
    """The header's log-out button posts a small form."""
    submit(page, "header form[action$='/accounts/logout/'] button")
