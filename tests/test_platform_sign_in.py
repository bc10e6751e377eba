"""Sign-in through a government identity platform by OpenID Connect (SPEC §10, issue 15.2–3), end to end against a
real provider: django-oauth-toolkit's, in a process of its own (tests/oidc_provider), reached over HTTP. The
portal's side runs in the Django test client; its callback fetches the token, the JWKS and the userinfo from the
provider over real HTTP. Nothing is mocked."""

import pytest
import requests
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from applications.enums import Verification, VerifiedVia
from applications.models import Organisation
from navportal.demo.content import credit_code
from navportal.models import AuditEvent, PlatformIdentity, Role, User
from tests.conftest import make_applicant, make_user
from tests.oidc_provider.runner import start_provider

PASSWORD = "platform-pw-4821"
KNOWN_CODE, NEW_CODE, TAKEN_CODE = credit_code(5001), credit_code(5002), credit_code(5003)
USERS = {
    # 法人 sign-ins: the claims carry the organisation's credit code.
    "faren-known": {"credit_code": KNOWN_CODE, "name": "王法人", "email": "known@example.cn", "org_name": "示例·已注册园区"},
    "faren-new": {"credit_code": NEW_CODE, "name": "李法人", "email": "newfaren@example.cn",
                  "org_name": "示例·平台新园区"},
    "faren-taken": {"credit_code": TAKEN_CODE, "name": "赵某", "email": "someone-else@example.cn"},
    # Officials: no credit code; matched by e-mail; one with a certificate-level login.
    "official": {"email": "prov-js@example.cn", "name": "省局审核员"},
    "official-cert": {"email": "cnipa@example.cn", "name": "国家局工作人员", "acr": "cert-ukey"},
    "official-unknown": {"email": "nobody@example.cn", "name": "无账户"},
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    running = start_provider(
        tmp_path_factory.mktemp("provider"), redirect_uris=["http://testserver/accounts/platform/callback/"],
        users={name: {"password": PASSWORD, "claims": claims} for name, claims in USERS.items()})
    yield running
    running.stop()


@pytest.fixture
def platform(settings, provider):
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    return provider


def sign_in(client, provider, username, **query):
    """The authorization-code flow: the portal sends the browser to the provider, the person signs in there, the
    provider sends the browser back with a code, and the portal's callback exchanges it (over HTTP)."""
    start = client.get(reverse("platform_login"), query)
    assert start.status_code == 302
    authorize = start["Location"]
    assert authorize.startswith(f"{provider.issuer}/authorize/?") and "code_challenge=" in authorize
    browser = requests.Session()
    browser.get(f"{provider.base}/accounts/login/", timeout=10)
    signed_in = browser.post(f"{provider.base}/accounts/login/", timeout=10, allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        "next": "/o/.well-known/openid-configuration"})
    assert signed_in.status_code == 302, signed_in.text[:500]
    back = browser.get(authorize, timeout=10, allow_redirects=False)
    assert back.status_code == 302, back.text[:500]
    callback = back.headers["Location"]
    assert callback.startswith("http://testserver/accounts/platform/callback/?code="), callback
    return client.get(callback.removeprefix("http://testserver"))


def signed_in_as(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


# --- Off by default ------------------------------------------------------------------------------------

def test_without_settings_there_is_no_button_and_no_route_answers(client, db):
    assert "platform-sign-in" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("platform_login")).status_code == 404
    assert client.get(reverse("platform_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_with_settings_the_login_page_offers_the_platform(client, db, platform):
    page = client.get(reverse("login")).content.decode()
    assert 'id="platform-sign-in"' in page and reverse("platform_login") in page


# --- 法人 sign-ins ---------------------------------------------------------------------------------------

def test_the_platform_vouches_for_a_registered_organisation_its_contact_is_signed_in_and_it_is_verified(
        client, db, platform):
    contact = make_applicant("示例·已注册园区", "known", verified=False)
    Organisation.objects.filter(pk=contact.organisation_id).update(credit_code=KNOWN_CODE)
    response = sign_in(client, platform, "faren-known")
    assert response.status_code == 302
    assert signed_in_as(client) == contact
    org = Organisation.objects.get(pk=contact.organisation_id)
    assert (org.verification, org.verified_via) == (Verification.VERIFIED, VerifiedVia.PLATFORM)
    identity = PlatformIdentity.objects.get()
    assert (identity.user, identity.issuer) == (contact, platform.issuer)
    assert AuditEvent.objects.filter(action="organisation_verify_platform", object_id=str(org.pk)).count() == 1
    assert AuditEvent.objects.filter(action="platform_login", actor=contact, result="success").count() == 1
    # The applicant can now reach its pages, as after a password sign-in.
    assert client.get(reverse("application_list")).status_code == 200
    # A second sign-in goes by the linked identity.
    client.logout()
    sign_in(client, platform, "faren-known")
    assert signed_in_as(client) == contact and PlatformIdentity.objects.count() == 1


def test_an_unknown_credit_code_leads_to_the_prefilled_registration_verified_on_completion(client, db, platform):
    response = sign_in(client, platform, "faren-new")
    assert response["Location"] == reverse("register")
    assert signed_in_as(client) is None
    form = client.get(reverse("register")).context["form"]
    assert (form["name"].value(), form["credit_code"].value(), form["contact_name"].value(), form["email"].value()) \
        == ("示例·平台新园区", NEW_CODE, "李法人", "newfaren@example.cn")
    jiangsu = form.fields["province"].queryset.get(code="320000")
    response = client.post(reverse("register"), {
        "name": "示例·平台新园区", "credit_code": credit_code(9999),  # the code is the platform's: this is ignored
        "applicant_type": "provincial_park", "affiliation": "city", "province": jiangsu.pk,
        "city": jiangsu.cities.get(code="320500").pk, "contact_name": "李法人", "email": "newfaren@example.cn",
        "password1": "Navigate-2026", "password2": "Navigate-2026", "privacy": "on"})
    assert response.status_code == 302
    org = Organisation.objects.get()
    assert (org.credit_code, org.verification, org.verified_via) == (NEW_CODE, Verification.VERIFIED,
                                                                     VerifiedVia.PLATFORM)
    user = signed_in_as(client)
    assert (user.organisation, user.role) == (org, Role.APPLICANT)
    assert PlatformIdentity.objects.get().user == user
    assert "platform_registration" not in client.session


def test_a_code_registered_by_another_contact_is_not_taken_over(english, db, platform):
    owner = make_applicant("示例·别人的园区", "owner")
    Organisation.objects.filter(pk=owner.organisation_id).update(credit_code=TAKEN_CODE)
    response = sign_in(english, platform, "faren-taken")
    assert response["Location"] == reverse("login")
    assert signed_in_as(english) is None
    page = english.get(reverse("login")).content.decode()
    assert "registered with another contact person" in page
    assert not PlatformIdentity.objects.exists()
    assert AuditEvent.objects.filter(action="platform_login", result="failure").count() == 1


# --- Officials --------------------------------------------------------------------------------------------

def test_officials_do_not_sign_in_through_the_platform_unless_allowed(client, db, platform):
    official = make_user("prov-js", Role.PROVINCE, province=_jiangsu())
    sign_in(client, platform, "official")
    assert signed_in_as(client) is None
    assert not PlatformIdentity.objects.exists()
    assert official.platform_identities.count() == 0


def test_an_allowed_official_is_matched_by_a_claim_and_still_types_the_code(client, db, settings, platform):
    settings.OIDC_OFFICIALS = True
    official = make_user("prov-js", Role.PROVINCE, province=_jiangsu())
    sign_in(client, platform, "official")
    assert signed_in_as(client) == official
    assert PlatformIdentity.objects.get().user == official
    # The second factor still applies: every page but the code's own sends there.
    response = client.get(reverse("review_queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_setup"))


def test_a_certificate_level_login_is_the_officials_second_factor(client, db, settings, platform):
    settings.OIDC_OFFICIALS = True
    settings.OIDC_CERTIFICATE_ACR = ["cert-ukey"]
    cnipa = make_user("cnipa", Role.NATIONAL)
    sign_in(client, platform, "official-cert")
    assert signed_in_as(client) == cnipa
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(reverse("review_queue")).status_code == 200
    assert "certificate-level" in AuditEvent.objects.get(action="platform_login", actor=cnipa).note


def test_the_certificate_level_is_the_configured_one_only(client, db, settings, platform):
    settings.OIDC_OFFICIALS = True
    settings.OIDC_CERTIFICATE_ACR = ["another-level"]
    make_user("cnipa", Role.NATIONAL)
    sign_in(client, platform, "official-cert")
    assert client.get(reverse("review_queue")).status_code == 302


def test_no_official_is_ever_created(client, db, settings, platform):
    settings.OIDC_OFFICIALS = True
    before = User.objects.count()
    sign_in(client, platform, "official-unknown")
    assert signed_in_as(client) is None
    assert User.objects.count() == before


def test_a_forged_callback_signs_nobody_in(client, db, platform):
    client.get(reverse("platform_login"))
    response = client.get(reverse("platform_callback"), {"code": "forged", "state": "not-the-sessions"})
    assert response.status_code == 400
    assert signed_in_as(client) is None


def _jiangsu():
    from navportal.models import Province
    return Province.objects.get(code="320000")
