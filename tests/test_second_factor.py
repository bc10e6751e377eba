"""The second factor (navportal/second_factor.py): after the password, every official and administrator
enrols an authenticator app once (QR code or typed key) and then types its code at each sign-in; applicants
never do. Signed in through the real forms here: tests/conftest.py's force_login passes the factor for
everyone else's tests."""

import base64
import datetime
import io
import re
import time
from urllib.parse import quote

import pytest
import segno
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from navportal.models import ADMIN_ROLES, OFFICIAL_ROLES, AuditEvent, City, Ministry, Province, Role, User
from tests.conftest import PASSWORD, make_user, totp_code

SETUP, VERIFY = "/accounts/second-factor/setup/", "/accounts/second-factor/"
SCOPES = {Role.CITY: lambda: {"city": City.objects.get(code="320100")},
          Role.PROVINCE: lambda: {"province": Province.objects.get(code="320000")},
          Role.MINISTRY: lambda: {"ministry": Ministry.objects.get(code="moe")}}


def official_of(role=Role.CITY, username="city-nanjing"):
    return make_user(username, role, **SCOPES.get(role, dict)())


@pytest.fixture
def official(db):
    return official_of()


@pytest.fixture
def enrolled(official):
    """An official whose authenticator app is set up (a confirmed device)."""
    TOTPDevice.objects.create(user=official, name="TOTP", confirmed=True)
    return official


def english_client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return response


def wrong_code(device):
    """Six digits the device does not accept now (none of the codes of the steps within its tolerance)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    valid = set()
    for offset in range(-device.tolerance - 1, device.tolerance + 2):
        totp.time = time.time() + offset * device.step
        valid.add(str(totp.token()).zfill(device.digits))
    return next(code for code in ("000000", "111111", "123456", "999999") if code not in valid)


def verified(client):
    return DEVICE_ID_SESSION_KEY in client.session


def otp_events(user, action):
    return list(AuditEvent.objects.filter(actor=user, action=action).order_by("id").values_list("result", flat=True))


@pytest.mark.parametrize("role", [*OFFICIAL_ROLES, *ADMIN_ROLES])
def test_every_official_and_administrator_is_sent_to_set_up_after_the_password(db, role):
    user = official_of(role, f"user-{role}")
    client = Client()
    response = client.get(sign_in(client, user)["Location"])
    assert (response.status_code, response["Location"]) == (302, f"{SETUP}?next=%2F")
    assert not verified(client)


def test_an_enrolled_official_is_sent_to_the_code_not_to_set_up(enrolled):
    client = Client()
    sign_in(client, enrolled)
    assert client.get(reverse("review_queue"))["Location"] == f"{VERIFY}?next=%2Freview%2F"
    assert client.get(SETUP)["Location"] == VERIFY + "?next=%2F"


def test_applicants_are_never_asked(applicant):
    client = Client()
    assert sign_in(client, applicant)["Location"] == "/"
    assert client.get("/")["Location"] == reverse("application_list")
    assert client.get(reverse("application_list")).status_code == 200
    assert (client.get(SETUP).status_code, client.get(VERIFY).status_code) == (404, 404)
    assert client.post(VERIFY, {"code": "123456"}).status_code == 404
    assert not TOTPDevice.objects.filter(user=applicant).exists()


def test_set_up_shows_a_qr_code_and_the_key_of_one_pending_device(official):
    client = english_client()
    sign_in(client, official)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=official)
    assert not device.confirmed
    secret = base64.b32encode(device.bin_key).decode()
    # The key, in groups of four for typing.
    shown = re.search(r'class="otp-secret[^"]*">([A-Z2-7 ]+)<', page).group(1)
    assert (shown.replace(" ", ""), shown.split(" ")[0]) == (secret, secret[:4])
    # The QR code is an <img> of an SVG data: URI (the Content-Security-Policy allows those, and no inline
    # script): the app's otpauth:// address with this key, the portal as issuer and the user's name.
    assert device.config_url == (f"otpauth://totp/navportal%3A{official.username}?secret={secret}"
                                 "&algorithm=SHA1&digits=6&period=30&issuer=navportal")
    src = re.search(r'<img class="otp-qr[^"]*" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    svg = base64.b64decode(src).decode()
    assert svg.startswith("<svg") and "<script" not in svg.lower() and " on" not in svg.lower()
    expected = io.BytesIO()
    segno.make(device.config_url, error="m").save(expected, kind="svg", scale=5, border=4, xmldecl=False,
                                                  dark="#000", light="#fff")
    assert svg == expected.getvalue().decode()
    assert "<svg" not in page and "<script>" not in page
    # Reloading shows the same key and makes no second device.
    assert client.get(SETUP).content.decode().count(shown) == 1
    assert TOTPDevice.objects.filter(user=official).count() == 1


def test_a_new_session_renews_the_pending_key(official):
    """A key seen by whoever signed in earlier with the password and left is no use once the official enrols."""
    first, second = Client(), Client()
    sign_in(first, official)
    first.get(SETUP)
    seen = TOTPDevice.objects.get(user=official).key
    sign_in(second, official)
    second.get(SETUP)
    device = TOTPDevice.objects.get(user=official)
    assert device.key != seen and not device.confirmed


def test_a_wrong_code_is_refused_with_a_message_and_audited(official):
    client = english_client()
    sign_in(client, official)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=official)
    response = client.post(SETUP, {"code": wrong_code(device), "next": "/review/"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert response.context["form"].errors["code"] == [
        "That code is not right. Type the 6 digits your app shows now; after 4 more wrong codes you will be "
        "signed out."]
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed and not verified(client)
    assert client.get(reverse("review_queue"))["Location"].startswith(SETUP)
    assert otp_events(official, "otp_setup") == ["failure"]
    # Not six digits: said so, and not counted as a guess.
    response = client.post(SETUP, {"code": "12345a"})
    assert "Type the 6 digits" in response.content.decode()
    assert otp_events(official, "otp_setup") == ["failure"]


def test_a_wrong_code_at_sign_in_is_refused_and_audited(enrolled):
    client = english_client()
    sign_in(client, enrolled)
    device = TOTPDevice.objects.get(user=enrolled)
    response = client.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    assert not verified(client)
    assert otp_events(enrolled, "otp_verify") == ["failure"]


def test_the_right_code_confirms_the_device_and_lets_the_official_in(official):
    client = english_client()
    sign_in(client, official)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=official)
    response = client.post(SETUP, {"code": totp_code(device), "next": "/review/?state="})
    assert (response.status_code, response["Location"]) == (302, "/review/?state=")
    assert TOTPDevice.objects.get(pk=device.pk).confirmed and verified(client)
    assert otp_events(official, "otp_setup") == ["success"]
    event = AuditEvent.objects.get(actor=official, action="otp_setup")
    assert (event.object_type, event.object_id) == ("otp_totp.totpdevice", str(device.pk))
    page = client.get(reverse("review_queue"))
    assert page.status_code == 200
    assert "Your authenticator app is set up" in page.content.decode()
    # Set up once: the page now only sends the official on.
    assert client.get(SETUP)["Location"] == "/"


def test_next_time_the_official_types_a_code_and_each_code_counts_once(official):
    client = Client()
    sign_in(client, official)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=official)
    client.post(SETUP, {"code": totp_code(device)})
    client.post(reverse("logout"))

    again = english_client()
    sign_in(again, official)
    assert again.get("/")["Location"] == f"{VERIFY}?next=%2F"
    device.refresh_from_db()
    used = str(hotp(device.bin_key, device.last_t)).zfill(6)
    response = again.post(VERIFY, {"code": used})
    assert response.status_code == 200 and not verified(again), "a code already used must be refused"
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # past the delay
    response = again.post(VERIFY, {"code": totp_code(device), "next": "/messages/"})
    assert (response.status_code, response["Location"]) == (302, "/messages/")
    assert verified(again)
    assert again.get(reverse("messages")).status_code == 200
    assert otp_events(official, "otp_verify") == ["failure", "success"]
    assert TOTPDevice.objects.filter(user=official).count() == 1


def test_a_right_code_typed_while_throttled_is_refused_with_the_wait(enrolled):
    client = english_client()
    sign_in(client, enrolled)
    device = TOTPDevice.objects.get(user=enrolled)
    client.post(VERIFY, {"code": wrong_code(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now())
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert "Too many wrong codes: wait 1 second" in response.content.decode()
    assert not verified(client)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=2))
    client.post(VERIFY, {"code": totp_code(device)})
    assert verified(client)


PAGES = ["/", "/review/", "/messages/", "/accounts/password/", "/audit/", "/review/dashboard/", "/applications/",
         "/accounts/login/", "/no-such-page/"]


def test_an_unverified_official_reaches_no_page_but_can_log_out(enrolled, call):
    client = Client()
    sign_in(client, enrolled)
    for path in PAGES:
        response = client.get(path)
        assert (path, response.status_code, response["Location"]) == (path, 302, f"{VERIFY}?next={quote(path, '')}")
    # Nor can it change anything.
    response = client.post(reverse("call_create"), {"title": "x"})
    assert response["Location"] == f"{VERIFY}?next={quote(reverse('call_create'), '')}"
    # What remains: the language, the password reset, logging out.
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("review_queue"))["Location"].startswith(reverse("login"))
    assert otp_events(enrolled, "logout") == ["success"]


def test_five_wrong_codes_end_the_session(enrolled):
    client = english_client()
    sign_in(client, enrolled)
    device = TOTPDevice.objects.get(user=enrolled)
    for n in range(4):
        response = client.post(VERIFY, {"code": wrong_code(device)})
        assert response.status_code == 200, n
    response = client.post(VERIFY, {"code": wrong_code(device)}, follow=True)
    assert response.redirect_chain == [(reverse("login"), 302)]
    assert "wrong 5 times in a row, so you have been signed out" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("review_queue"))["Location"].startswith(reverse("login"))
    assert otp_events(enrolled, "otp_verify") == ["failure"] * 5
    assert otp_events(enrolled, "logout") == ["success"]


def test_wrong_codes_are_counted_in_a_row_only(enrolled):
    client = Client()
    sign_in(client, enrolled)
    device = TOTPDevice.objects.get(user=enrolled)
    for _ in range(4):
        client.post(VERIFY, {"code": wrong_code(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    client.post(VERIFY, {"code": totp_code(device)})
    assert verified(client) and "otp_wrong_codes" not in client.session


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "http://testserver.evil.example/", "javascript:alert(1)"])
def test_next_never_leads_off_the_site(official, target):
    client = Client()
    sign_in(client, official)
    response = client.get(SETUP, {"next": target})
    assert response.context["next"] == "/"
    assert '<input type="hidden" name="next" value="/">' in response.content.decode()
    device = TOTPDevice.objects.get(user=official)
    response = client.post(f"{SETUP}?next={quote(target)}", {"code": totp_code(device), "next": target})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert verified(client)


def test_an_expired_password_asks_for_the_second_factor_first_then_the_new_password(enrolled):
    """The password policy (navportal/security.py) and the second factor must not send each other round:
    who holds only the password cannot even change it."""
    User.objects.filter(pk=enrolled.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=91))
    client = Client()
    sign_in(client, enrolled)
    assert client.get("/review/")["Location"].startswith(VERIFY)
    assert client.get(reverse("password_change"))["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=enrolled)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/review/"})
    assert response["Location"] == "/review/"
    assert client.get("/review/")["Location"] == reverse("password_change")
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Renewed-pass-77", "new_password2": "Renewed-pass-77"})
    assert response["Location"] == reverse("password_change_done")
    assert client.get("/review/").status_code == 200

def test_no_menu_before_the_second_factor(enrolled):
    client = Client()
    sign_in(client, enrolled)
    body = client.get(VERIFY).content.decode()
    assert f'href="{reverse("review_queue")}"' not in body
    device = TOTPDevice.objects.get(user=enrolled)
    client.post(VERIFY, {"code": totp_code(device), "next": "/review/"})
    assert f'href="{reverse("review_queue")}"' in client.get("/review/").content.decode()


def passed_second_factor(enrolled):
    """A client signed in through the forms as `enrolled`, past the code: (client, device)."""
    client = english_client()
    sign_in(client, enrolled)
    device = TOTPDevice.objects.get(user=enrolled, confirmed=True)
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302 and verified(client)
    return client, device


def test_a_verified_session_costs_no_query_of_the_device(enrolled, django_assert_num_queries):
    """navportal.second_factor.OTPMiddleware: the user's own query says which device is confirmed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, _device = passed_second_factor(enrolled)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("messages")).status_code == 200
    assert not [query for query in queries if query["sql"].startswith('SELECT "otp_totp_totpdevice"')]


@pytest.mark.parametrize("change", ["deleted", "unconfirmed", "replaced"])
def test_a_session_whose_device_no_longer_holds_must_pass_again(enrolled, change):
    client, device = passed_second_factor(enrolled)
    if change == "deleted":
        device.delete()
    elif change == "unconfirmed":
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    else:
        TOTPDevice.objects.create(user=enrolled, name="TOTP", confirmed=True)
        device.delete()
    response = client.get(reverse("messages"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY if change == "replaced" else SETUP)
    assert not verified(client)


def test_a_verified_session_still_reaches_its_device(enrolled):
    """The device is read when a page uses it (here: django-otp's own is_verified and the device's name)."""
    from django.test import RequestFactory

    from navportal.second_factor import OTPMiddleware

    client, device = passed_second_factor(enrolled)
    request = RequestFactory().get("/")
    request.session = client.session
    from navportal.auth import ScopedModelBackend

    request.user = ScopedModelBackend().get_user(enrolled.pk)
    user = OTPMiddleware(lambda request: None)._verify_user_sync(request, request.user)
    assert user.is_verified() and user.otp_device.pk == device.pk and user.otp_device.name == "TOTP"
