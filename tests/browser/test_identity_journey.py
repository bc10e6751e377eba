"""Who an organisation is (SPEC §10), in the browser: a registration with its two documents, verified by the bureau
from its queue; and a sign-in through the government identity platform (a real OIDC provider started here)."""

import re

import pytest

from applications.enums import Verification, VerifiedVia
from applications.models import Organisation
from navportal.demo.content import TINY_PDF, credit_code
from navportal.models import City, Province, Role
from tests.conftest import make_applicant
from tests.mail_helpers import deliver_mail
from tests.oidc_provider.runner import start_provider

from .conftest import BROWSER_TEST, log_in, log_out, official, register, shot, submit, visit, zh

pytestmark = BROWSER_TEST

PASSWORD = "Correct-horse-42"
ORG_NAME = "苏州示例高新技术产业开发区"
EMAIL = "verify-journey@example.cn"


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": TINY_PDF}


def test_a_registration_with_its_documents_is_verified_by_the_province(page, live_server):
    jiangsu = Province.objects.get(code="320000")
    suzhou = City.objects.get(code="320500")
    official("prov-js", Role.PROVINCE, province=jiangsu)
    code = credit_code(515151)

    register(page, name=ORG_NAME, code=code, applicant_type="provincial_park", province=jiangsu, city=suzhou,
             contact_name="周联络", email=EMAIL, password=PASSWORD)
    # The same answer whoever registers (SPEC §7); the link mailed finishes it, on the organisation's page.
    link = re.search(r"https?://\S+(/register/confirm/[\w-]+/)", deliver_mail()[-1].body).group(1)
    visit(page, link)
    submit(page, "main form button[type=submit]")
    assert page.url.endswith("/organisation/"), page.url
    assert Organisation.objects.get(credit_code=code).verification == Verification.AWAITING
    page.set_input_files("[name=authorisation]", files=[pdf("法人授权委托书.pdf")])
    page.set_input_files("[name=licence]", files=[pdf("营业执照.pdf")])
    submit(page, "main form button[type=submit]")
    assert page.url.endswith("/organisation/"), page.url
    assert Organisation.objects.get(credit_code=code).verification == Verification.PENDING
    shot(page, "organisation-registration")
    # Provisional: said up front, with who verifies.
    visit(page, "/applications/")
    assert page.locator("#verification").is_visible()
    shot(page, "registration-provisional")
    log_out(page)

    log_in(page, "prov-js")
    visit(page, "/review/organisations/")
    shot(page, "verification-queue")
    page.get_by_role("link", name=ORG_NAME).click()
    page.wait_for_url("**/review/organisations/*/")
    assert page.get_by_role("link", name="法人授权委托书.pdf").is_visible()
    shot(page, "verification-detail")
    submit(page, "form[action$='/verify/'] button")
    assert page.url.endswith("/review/organisations/"), page.url
    org = Organisation.objects.get(credit_code=code)
    assert (org.verification, org.verified_via) == (Verification.VERIFIED, VerifiedVia.BUREAU)
    log_out(page)

    log_in(page, EMAIL)
    visit(page, "/applications/")
    assert page.locator("#verification").count() == 0


@pytest.fixture
def provider(tmp_path, live_server):
    running = start_provider(tmp_path, redirect_uris=[f"{live_server.url}/accounts/platform/callback/"], users={
        "faren": {"password": PASSWORD, "claims": {"credit_code": credit_code(616161), "name": "吴法人",
                                                   "email": "faren-journey@example.cn", "org_name": ORG_NAME}}})
    yield running
    running.stop()


def test_a_legal_person_signs_in_through_the_identity_platform(page, live_server, settings, provider):
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    contact = make_applicant(ORG_NAME, "faren-journey", verified=False)
    Organisation.objects.filter(pk=contact.organisation_id).update(credit_code=credit_code(616161))

    visit(page, "/accounts/login/")
    shot(page, "login-with-platform")
    page.locator("#platform-sign-in").click()
    page.wait_for_url(f"{provider.base}/accounts/login/**")
    page.fill("[name=username]", "faren")
    page.fill("[name=password]", PASSWORD)
    with page.expect_navigation(url=f"{live_server.url}/**"):
        page.locator("button[type=submit]").click()
    page.wait_for_load_state()
    visit(page, "/applications/")
    assert zh("My applications") in page.content()
    assert page.locator("#verification").count() == 0
    org = Organisation.objects.get(pk=contact.organisation_id)
    assert (org.verification, org.verified_via) == (Verification.VERIFIED, VerifiedVia.PLATFORM)
