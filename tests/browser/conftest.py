"""Browser journeys: the running portal (pytest-django's live_server) driven in headless Chromium.

Playwright's sync API is used directly (the pytest-playwright plugin is not a dependency). Chromium is
the distribution's /usr/bin/chromium; without it every browser test is skipped with the reason.

Every browser test is marked::

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True, serialized_rollback=True)

live_server needs a transactional database, which is flushed after each test; serialized_rollback
restores the reference data (provinces, cities, ministries) that the data migration loaded.

Every page a journey reaches through `visit` or `submit` is checked as it is shown (`check_page`): axe-core
finds no serious or critical accessibility violation, and in a phone-sized viewport nothing scrolls sideways.
Each journey seeds the state it starts from with the services and clicks only the stage it is about.
"""

import datetime
import functools
import os
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from navportal.identifiers import account_for
from navportal.models import User
from tests.conftest import PASSWORD, totp_code

# Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM calls
# from a thread with a running loop unless told otherwise. The Makefile sets this too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SKIP_REASON = f"{CHROMIUM} is missing: install it (apt-get install chromium fonts-noto-cjk) to run the browser tests"
# Screenshots go to an ignored folder: tests never change tracked files. `make screenshots` points this at
# docs/screenshots on purpose, to update the pictures README.md shows.
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "var" / "screenshots")
TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent
# Every browser test module: `pytestmark = BROWSER_TEST` (live_server needs a transactional database).
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=SKIP_REASON),
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}          # an everyday phone, portrait
SERIOUS = ("serious", "critical")


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


def new_page(browser, live_server, viewport=DESKTOP):
    """A fresh browser context (no cookies carried over), pointed at the live server."""
    # Reduced motion: Bootstrap then switches its transitions off, so that axe never measures a colour
    # half-way through one.
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url,
                                  is_mobile=viewport["width"] < 576, has_touch=viewport["width"] < 576,
                                  reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context.new_page()


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def second_page(page):
    """Another tab of the same browser (same cookies, so the same session)."""
    other = page.context.new_page()
    try:
        yield other
    finally:
        other.close()


@functools.cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe  # imported here: the unit tests do not need it

    return Axe()


def check_page(page):
    """What every page of a journey must pass as it is shown: no serious or critical axe-core violation;
    on a desktop screen every form control reached by the keyboard; on a phone no sideways scrolling
    (the page fits the screen's width)."""
    violations = [v for v in _axe().run(page).response["violations"] if v["impact"] in SERIOUS]
    assert not violations, f"accessibility violations on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(
            f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1].strip()}"
            for node in v["nodes"][:5]) for v in violations)
    if page.viewport_size["width"] >= 576:
        check_keyboard(page)
    else:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone: " + page.evaluate(
            """() => Array.from(document.querySelectorAll("body *")).filter(
                e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                     && !e.closest(".table-responsive")).slice(0, 3).map(
                e => e.tagName + "." + e.className).join(", ")""")


# Visible, enabled controls of the page's forms, and how many stops Tab makes on the whole page.
_CONTROLS_JS = """() => {
    // Closed <details> hide their content: a control there is reached by opening its summary first.
    const visible = el => el.checkVisibility({checkVisibilityCSS: true, contentVisibilityAuto: true})
        && !el.closest("details:not([open]) > :not(summary)");
    const usable = el => visible(el) && !el.disabled && !el.closest("fieldset[disabled]") && el.tabIndex >= 0;
    const controls = Array.from(document.querySelectorAll(
        "main form input:not([type=hidden]), main form select, main form textarea, main form button")).filter(usable);
    const stops = Array.from(document.querySelectorAll(
        "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]")).filter(usable);
    window.__kbBefore = document.activeElement;
    window.__kbSeen = new Set();
    document.addEventListener("focusin", e => window.__kbSeen.add(e.target), true);
    window.__kbControls = controls;
    // Tab from the top of the page: a focusable marker before everything else takes the focus first.
    const start = document.createElement("span");
    start.tabIndex = -1;
    start.id = "__kb-start";
    document.body.prepend(start);
    start.focus();
    // A date field takes a Tab stop per part (year, month, day; and hour, minute).
    const parts = {date: 3, "datetime-local": 5, time: 2, month: 2};
    return stops.reduce((n, el) => n + (el.tagName === "INPUT" && parts[el.type] || 1), 0);
}"""
_UNREACHED_JS = """() => {
    document.getElementById("__kb-start").remove();
    const seen = window.__kbSeen;
    const reached = el => seen.has(el) || (el.type === "radio" && Array.from(
        document.getElementsByName(el.name)).some(other => seen.has(other)));
    const missing = window.__kbControls.filter(el => !reached(el)).map(
        el => el.outerHTML.slice(0, 120));
    if (window.__kbBefore && window.__kbBefore !== document.body) { window.__kbBefore.focus(); }
    else if (document.activeElement) { document.activeElement.blur(); }
    return missing;
}"""


def check_keyboard(page):
    """Every control of every form on the page is reached with the Tab key alone (a radio group by one of
    its buttons; arrow keys choose within it). The focus is put back where the page had it."""
    stops = page.evaluate(_CONTROLS_JS)
    for _ in range(stops + stops // 10 + 5):     # some margin: a browser may add a stop of its own
        page.keyboard.press("Tab")
    missing = page.evaluate(_UNREACHED_JS)
    assert not missing, f"not reachable by keyboard on {page.url}: {missing}"


def visit(page, path, check=True):
    """Open a page as a user would by its address, and check it."""
    response = page.goto(path)
    if check:
        check_page(page)
    return response


def shot(page, name):
    """Save a full-page screenshot to SCREENSHOTS/<name>.png (var/screenshots, or docs/screenshots under
    `make screenshots`).

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


def shot_phone(page, name, width=390):
    """A screenshot of the page as a phone shows it (the same page, narrowed), then back to the former width."""
    viewport = page.viewport_size
    page.set_viewport_size({"width": width, "height": 844})
    try:
        check_page(page)
        return shot(page, name)
    finally:
        page.set_viewport_size(viewport)


def submit(page, button, check=True):
    """Click a button that posts a form and wait until the resulting page (after any redirect) is loaded;
    then check the page shown."""
    with page.expect_navigation():
        page.locator(button).click()
    if check:
        check_page(page)


def zh(text):
    """A message id or a lazy translation, as the portal renders it in its default language."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def official(username, role, **scope):
    """An official with a confirmed authenticator (TOTP device), as after enrolment."""
    return enrol(User.objects.create_user(username=username, email=f"{username}@example.cn", password=PASSWORD,
                                          role=role, display_name=username, **scope))


def tidy_call(call, title="2026年度国家级专利导航服务基地申报"):
    """A call as the screenshots should show it: a real-looking title, a deadline at 17:00 in 30 days."""
    from review.models import Call

    deadline = timezone.make_aware(datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=30), datetime.time(17)))
    Call.objects.filter(pk=call.pk).update(title=title, deadline=deadline)
    call.refresh_from_db()
    return call


def enrol(user):
    """Give an existing official a confirmed authenticator (TOTP device), as after enrolment."""
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user


def log_in(page, username, password=PASSWORD, next_path=None):
    """Sign in through the login page; an official then types the code the authenticator shows."""
    visit(page, "/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    submit(page, "main form button[type=submit]")
    assert "/accounts/login/" not in page.url, "the login was refused"
    if "/accounts/second-factor/" in page.url and "/setup/" not in page.url:
        device = TOTPDevice.objects.get(user=account_for(username), confirmed=True)  # a user name or an address
        page.fill("[name=code]", totp_code(device))
        submit(page, "main form button[type=submit]")
        assert "/accounts/second-factor/" not in page.url, "the code was refused"


def log_out(page):
    """The header's log-out button posts a small form (on a phone, behind the menu button)."""
    toggler = page.locator("header .navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    submit(page, "header form[action$='/accounts/logout/'] button")


def register(page, *, name, code, applicant_type, province, city, contact_name, email, password):
    """Fill in and send the public registration form as a person would (the answer is the same for everyone: the
    mailed link finishes it)."""
    visit(page, "/register/")
    page.fill("[name=name]", name)
    page.fill("[name=credit_code]", code)
    page.select_option("[name=applicant_type]", value=applicant_type)
    page.select_option("[name=affiliation]", value="city")
    page.select_option("[name=province]", value=str(province.pk))
    page.select_option("[name=city]", value=str(city.pk))
    page.fill("[name=contact_name]", contact_name)
    page.fill("[name=email]", email)
    page.fill("[name=password1]", password)
    page.fill("[name=password2]", password)
    # The personal information rules, linked beside the box, open in a tab of their own (the form stays).
    assert page.locator("main form a[href='/privacy/']").count() == 1
    page.check("[name=privacy]")
    submit(page, "main form button[type=submit]")
