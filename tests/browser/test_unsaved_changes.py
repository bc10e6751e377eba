"""Data entry that can be trusted, in a browser: leaving a section with unsaved changes asks first (and saving
does not); a page shown again with entries that were not saved asks too; the services table shows every column
at 1,280 px and on a phone; the pages as the user sees them, in Chinese and English and on a phone."""

import pytest

from applications.models import Application

from .conftest import BROWSER_TEST, DESKTOP, PHONE, check_page, log_in, new_page, shot, submit, visit

pytestmark = BROWSER_TEST


def leave(page, link):
    """Click a link away from the page; return the prompt's type ("beforeunload"), or None if none came.
    The prompt is dismissed: the user chose to stay."""
    prompts = []

    def on_dialog(dialog):
        prompts.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", on_dialog)
    page.locator(link).click()
    page.wait_for_timeout(500)
    return prompts[0] if prompts else None


def test_leaving_a_section_with_unsaved_changes_asks_first(page, applicant, complete):
    application = complete(applicant, scan=False)
    log_in(page, applicant.username)
    url = f"/applications/{application.pk}/sections/plan/"
    visit(page, url)
    back = "main .sticky-actions a"
    # Nothing changed yet: leaving asks nothing.
    with page.expect_navigation():
        assert leave(page, back) is None
    visit(page, url)
    page.fill("[name=plan_goals]", "尚未保存的目标。")
    assert leave(page, back) == "beforeunload"
    # The user stayed: the page and what they typed are still there.
    assert page.url.endswith(url) and page.input_value("[name=plan_goals]") == "尚未保存的目标。"
    # Saving is no leaving: no prompt, and the text is stored.
    page.once("dialog", lambda dialog: pytest.fail(f"a {dialog.type} prompt on saving"))
    submit(page, "button[name=save]")
    assert Application.objects.get(pk=application.pk).plan_goals == "尚未保存的目标。"
    with page.expect_navigation():
        assert leave(page, back) is None


def test_a_page_shown_again_with_entries_not_saved_asks_before_leaving(page, applicant, complete):
    application = complete(applicant, scan=False)
    log_in(page, applicant.username)
    url = f"/applications/{application.pk}/sections/conditions/"
    visit(page, url)
    page.fill("[name=funding_amount]", "-5")
    page.fill("[name=funding_source]", "财政专项资金")
    submit(page, "button[name=save]")
    stored = Application.objects.get(pk=application.pk)
    assert stored.funding_source == "财政专项资金" and stored.funding_amount > 0
    assert page.input_value("[name=funding_amount]") == "-5"
    assert "不能为负数" in page.locator("[data-error-summary]").inner_text()
    shot(page, "section-conditions-partly-saved-zh")
    # Nothing typed since: the −5 on the page is still not stored, so leaving asks.
    assert leave(page, "main .sticky-actions a") == "beforeunload"


def visible_columns(page, rows):
    """For each cell of the first row of table `rows`: is it wholly on screen, with no scrolling of the page or of the
    table's box?"""
    return page.evaluate("""() => {
        const box = document.querySelector("#rows .table-responsive");
        const frame = box.getBoundingClientRect();
        const width = Math.min(document.documentElement.clientWidth, frame.right);
        return [box.scrollWidth <= box.clientWidth, ...Array.from(
            document.querySelectorAll("#%s-rows tr:first-child td")).map(td => {
                const r = td.getBoundingClientRect();
                return r.width > 0 && r.left >= Math.max(0, frame.left) && r.right <= width; })];
    }""" % rows)


@pytest.mark.parametrize("key, rows, columns", [("department", "staff", 6), ("mechanism", "services", 7)])
@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_every_column_of_a_table_of_rows_is_on_screen(browser, live_server, applicant, complete, viewport, name,
                                                      key, rows, columns):
    application = complete(applicant, scan=False)
    page = new_page(browser, live_server, viewport)
    try:
        log_in(page, applicant.username)
        visit(page, f"/applications/{application.pk}/sections/{key}/")
        # The box does not scroll; every column and "remove" is on screen.
        assert visible_columns(page, rows) == [True] * (1 + columns + 1)
    finally:
        page.context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_changed_sections_as_seen(browser, live_server, applicant, complete, language, viewport, name):
    application = complete(applicant, scan=False)
    page = new_page(browser, live_server, viewport)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    try:
        log_in(page, applicant.username)
        for key in ("department", "mechanism", "conditions", "claims"):
            visit(page, f"/applications/{application.pk}/sections/{key}/")
            shot(page, f"section-{key}-{name}-{language}")
    finally:
        page.context.close()
