"""A ministry department recommends its unit in a browser: from its desk to a handed-in package without a
quota. The unit's application is submitted through the services."""


from applications.enums import Route, State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.models import AuditEvent
from review.models import Package, PackageStatus

from .conftest import BROWSER_TEST, check_page, enrol, log_in, submit, visit, zh

pytestmark = BROWSER_TEST


def test_ministry_recommends_its_unit_and_hands_in(page, reviewers, ministry_unit, submitted):
    application = submitted(ministry_unit)
    assert (application.route, application.state) == (Route.MINISTRY, State.MINISTRY_REVIEW)
    ministry = enrol(reviewers["ministry_moe"])
    log_in(page, "ministry-moe")

    visit(page, "/review/")
    link = page.locator(f"a[href$='/review/applications/{application.pk}/']")
    assert link.inner_text().strip() == application.name
    with page.expect_navigation():
        link.click()
    check_page(page)
    page.locator(f"details:has(form[action$='/decide/recommend/']) > summary").click()
    page.fill("[name=recommend-opinion]", "该中心专利导航工作基础扎实，同意推荐。")
    page.fill("[name=recommend-score]", "92")
    submit(page, "form[action$='/decide/recommend/'] button[type=submit]")
    assert zh("Recommended: the application is now in your package.") in page.locator(".messages .alert-success").inner_text()
    assert Application.objects.get(pk=application.pk).state == State.RECOMMENDED

    # The package, from the menu: no quota for a ministry in this call.
    with page.expect_navigation():
        page.locator("header a[href$='/review/package/']").click()
    check_page(page)
    package = Package.objects.get(ministry=ministry.ministry)
    assert package.quota is None
    assert page.locator("[data-quota-counted]").count() == 0
    assert page.locator("#ranking-table tbody tr").count() == 1
    page.set_input_files("[name=letter]", files=[{"name": "教育部推荐函.pdf", "mimeType": "application/pdf",
                                                  "buffer": TINY_PDF}])
    submit(page, f"form[action$='/packages/{package.pk}/letter/'] button")
    submit(page, f"form[action$='/packages/{package.pk}/submit/'] button")
    assert page.locator("#preview-table tbody tr").count() == 1  # the preview: no quota for a ministry
    assert zh("No quota applies to this package.") in page.locator("[data-quota]").inner_text()
    submit(page, "#preview-confirm")
    assert zh("The package was handed in to CNIPA. It is now locked.") in page.locator(".messages .alert-success").inner_text()

    package = Package.objects.get(pk=package.pk)
    assert (package.status, package.submitted_by_id) == (PackageStatus.SUBMITTED, ministry.pk)
    assert Application.objects.get(pk=application.pk).state == State.NATIONAL_REVIEW
    assert list(AuditEvent.objects.filter(object_id=str(application.pk), action__in=(
        "application_recommend", "application_hand_in")).order_by("pk").values_list("action", "actor__username")) == [
        ("application_recommend", "ministry-moe"), ("application_hand_in", "ministry-moe")]
