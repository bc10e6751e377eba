"""The header at 1,280 px in English — the widest menu (CNIPA's) and the longest unit name (a province's) —
stays on one line with Log out on screen (issue 13)."""

import pytest

from navportal.models import Province, Role
from tests.browser.conftest import BROWSER_TEST, log_in, new_page, official, shot, visit

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("who", ["cnipa", "province"])
def test_the_english_header_keeps_one_line_at_1280_px(browser, live_server, who):
    if who == "cnipa":
        official("cnipa-header", Role.NATIONAL)
        username, path = "cnipa-header", "/review/"
    else:
        official("prov-header", Role.PROVINCE, province=Province.objects.get(code="650000"))  # 新疆维吾尔自治区
        username, path = "prov-header", "/review/"
    page = new_page(browser, live_server, {"width": 1280, "height": 900})
    try:
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        log_in(page, username)
        visit(page, path)
        assert page.locator("html").get_attribute("lang") == "en"
        brand = page.locator("header .navbar-brand").bounding_box()
        logout = page.locator("header form[action$='/accounts/logout/'] button").bounding_box()
        menu = page.locator("header .navbar-nav .nav-link").last.bounding_box()
        # One line: Log out and the last menu link beside the brand, Log out wholly on screen.
        for box in (logout, menu):
            assert box["y"] < brand["y"] + brand["height"] and box["y"] + box["height"] > brand["y"]
        assert logout["x"] + logout["width"] <= 1280
        shot(page, f"header-en-1280-{who}")
    finally:
        page.context.close()
