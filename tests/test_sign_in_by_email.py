"""Accounts found by their e-mail address through its blind index (SPEC §11, navportal.identifiers): the address is
encrypted and no user name is one, yet people sign in, reset their password and are recognised at registration
by it as before; what a failed sign-in leaves behind (axes' rows, the audit trail) never holds a typed address."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import connection
from django.test import Client
from django.urls import reverse

from applications import services
from navportal import administration
from navportal.errors import PortalError
from navportal.fields import blind_index
from navportal.identifiers import account_for
from navportal.privacy import masked_email as masked
from navportal.models import AuditEvent, City, Province, Role, User
from navportal.demo.content import credit_code
from navportal.privacy_rules import RULES_VERSION
from tests.conftest import PASSWORD, make_user, pass_second_factor, user_by_email
from tests.test_accounts_security import sign_in

ADDRESS = "Li.Lianluo@Yuanqu-Test.cn"  # as registered; the index is of the lower case


def register(seed, email):
    city = City.objects.get(code="320500")
    return services.organisation_register(
        name=f"示例·邮箱园区{seed}", credit_code=credit_code(seed), applicant_type="provincial_park",
        affiliation="city", ministry=None, province=city.province, city=city, contact_name="李联络", email=email,
        password=PASSWORD, privacy_version=RULES_VERSION)


@pytest.fixture
def contact(db):
    """A contact registered through the service, with a distinctive address."""
    return register(8801, ADDRESS)


@pytest.fixture
def official(db):
    return make_user("prov-js", Role.PROVINCE, province=Province.objects.get(code="320000"))


def raw_user(pk):
    with connection.cursor() as cursor:
        cursor.execute('SELECT username, email, email_index FROM navportal_user WHERE id = %s', [pk])
        return cursor.fetchone()


def test_a_contact_gets_an_opaque_user_name_and_the_address_is_stored_encrypted(contact):
    username, email, index = raw_user(contact.pk)
    assert username.startswith("contact-") and len(username) == len("contact-") + 16 and "@" not in username
    assert email.startswith("sm4:") and "lianluo" not in email.lower()
    assert index == blind_index(ADDRESS.lower())
    assert User.objects.get(pk=contact.pk).email == ADDRESS.lower()  # the registration form's lower case
    assert user_by_email(ADDRESS.upper()) == contact


@pytest.mark.parametrize("typed", [ADDRESS, ADDRESS.lower(), f"  {ADDRESS.upper()} "])
def test_a_contact_signs_in_with_the_address_in_any_case(contact, typed):
    client = Client()
    response = sign_in(client, typed)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(contact.pk)


def test_a_contact_signs_in_with_the_opaque_user_name_too(contact):
    assert sign_in(Client(), contact.username).status_code == 302


def test_an_official_signs_in_by_user_name_or_by_address(official):
    for typed in ("prov-js", "prov-js@example.cn", "PROV-JS@example.cn"):
        client = Client()
        assert sign_in(client, typed).status_code == 302, typed
        assert client.session["_auth_user_id"] == str(official.pk)
        pass_second_factor(client, official)
        assert client.get(reverse("review_queue")).status_code == 200


def test_a_user_name_is_matched_as_django_matches_it_and_an_unknown_one_costs_a_hash(official, monkeypatch):
    assert account_for("prov-js") == official and account_for("PROV-JS") is None  # user names: exact
    assert account_for("nobody@example.cn") is None and account_for("") is None
    hashed = []
    monkeypatch.setattr(User, "set_password", lambda self, raw: hashed.append(raw))
    assert sign_in(Client(), "nobody@example.cn", "Some-Password-1").status_code == 200
    assert hashed == ["Some-Password-1"]  # the time of a known account's check, for an unknown one


def test_the_form_asks_for_a_user_name_or_an_address_in_both_languages(db):
    assert "User name or e-mail address" in Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    assert "用户名或电子邮箱" in Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("login")).content.decode()


def test_a_wrong_password_is_recorded_against_the_account_never_the_address(contact):
    assert sign_in(Client(), ADDRESS, "wrong-password").status_code == 200
    assert sign_in(Client(), "someone.else@yuanqu-test.cn", "wrong-password").status_code == 200
    failures = list(AuditEvent.objects.filter(action="login", result="failure").order_by("id")
                    .values_list("username", flat=True))
    assert failures == [contact.username, "s***@yuanqu-test.cn"]
    assert masked(" w.x@example.cn") == "w***@example.cn"
    stored = {*AccessAttempt.objects.values_list("username", flat=True),
              *AccessFailureLog.objects.values_list("username", flat=True)}
    assert stored == {contact.username, blind_index("someone.else@yuanqu-test.cn")}
    assert sign_in(Client(), ADDRESS).status_code == 302
    assert set(AccessLog.objects.values_list("username", flat=True)) == {contact.username}


def test_failures_by_address_and_by_user_name_count_together(official):
    """Five failures from one address lock the account there whichever identifier each one typed."""
    client = Client()
    for typed in ("prov-js@example.cn", "prov-js", "PROV-JS@EXAMPLE.CN", "prov-js"):
        assert sign_in(client, typed, "wrong-password").status_code == 200
    assert sign_in(client, "prov-js@example.cn", "wrong-password").status_code == 429  # the fifth
    assert sign_in(client, "prov-js").status_code == 429  # the right password, by either identifier
    assert sign_in(client, "prov-js@example.cn").status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"prov-js"}
    assert AuditEvent.objects.filter(action="lockout", username="prov-js").exists()
    assert sign_in(Client(), "prov-js@example.cn", ip="10.9.9.9").status_code == 302  # another address is not


def test_a_password_reset_by_address_reaches_the_account(contact, mailoutbox):
    mailoutbox.clear()
    response = Client().post(reverse("password_reset"), {"email": ADDRESS.upper()})
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[ADDRESS.lower()]]
    assert "/accounts/reset/" in mailoutbox[0].body
    mailoutbox.clear()
    Client().post(reverse("password_reset"), {"email": "unknown@yuanqu-test.cn"})
    assert list(mailoutbox) == []


def test_a_disabled_account_gets_no_reset_link(contact, mailoutbox):
    User.objects.filter(pk=contact.pk).update(is_active=False)
    mailoutbox.clear()
    Client().post(reverse("password_reset"), {"email": ADDRESS})
    assert list(mailoutbox) == []


def test_registering_a_known_address_in_another_case_is_told_to_its_owner(contact, english, mailoutbox):
    mailoutbox.clear()
    city = City.objects.get(code="320500")
    services.registration_request(
        name="示例·另一园区", credit_code=credit_code(8802), applicant_type="provincial_park", affiliation="city",
        ministry=None, province=city.province, city=city, contact_name="王某", email=ADDRESS.upper(),
        password="Navigate-2026", privacy_version=RULES_VERSION)
    assert [(m.to, m.subject) for m in mailoutbox] == [([ADDRESS.lower()],
                                                         "You already have an account on the portal")]
    with pytest.raises(PortalError) as refused:  # and the database refuses a second account of the address
        register(8803, ADDRESS.upper())
    assert refused.value.code == "duplicate"


def test_the_system_administrator_finds_an_account_by_its_whole_address(contact, client):
    client.force_login(make_user("sys-1", Role.SYSTEM_ADMIN))
    found = client.get(reverse("account_list"), {"q": ADDRESS.upper()}).context["page"].object_list
    assert [user.pk for user in found] == [contact.pk]
    assert ADDRESS.lower() in client.get(reverse("account_list"), {"q": ADDRESS}).content.decode()
    # A part of an address finds nothing by the address any more (it is encrypted); names still match in part.
    assert list(client.get(reverse("account_list"), {"q": "yuanqu-test"}).context["page"].object_list) == []
    assert [u.pk for u in client.get(reverse("account_list"), {"q": "contact-"}).context["page"].object_list] == [
        contact.pk]


def test_officials_user_names_hold_no_at_sign_and_addresses_stay_one_accounts(official):
    sysadmin = make_user("sys-1", Role.SYSTEM_ADMIN)
    city = City.objects.get(code="320100")
    with pytest.raises(PortalError) as refused:
        administration.account_request_create(actor=sysadmin, username="wang@nj", display_name="王",
                                              email="wang@nj.example.cn", role=Role.CITY, scope=city)
    assert refused.value.code == "invalid"
    with pytest.raises(PortalError) as refused:
        administration.account_request_create(actor=sysadmin, username="nj-wang", display_name="王",
                                              email="PROV-JS@example.cn", role=Role.CITY, scope=city)
    assert refused.value.code == "email_taken"
    with pytest.raises(PortalError) as refused:
        administration.new_account(username="nj-wang", display_name="王", email="prov-js@example.cn",
                                   role=Role.CITY, scope=city, by="test")
    assert refused.value.code == "email_taken"


def test_an_approved_change_of_address_moves_the_index_with_it(official):
    sysadmin, secadmin = make_user("sys-1", Role.SYSTEM_ADMIN), make_user("sec-1", Role.SECURITY_ADMIN)
    _user, asked = administration.account_update(actor=sysadmin, user_id=official.pk, display_name="prov-js",
                                                 email="new.js@example.cn", role=Role.PROVINCE,
                                                 scope=official.province)
    administration.account_request_approve(actor=secadmin, request_id=asked.pk, site_url="https://example.cn")
    assert user_by_email("new.js@example.cn") == official
    assert not User.objects.filter(email_index=blind_index("prov-js@example.cn")).exists()
    assert sign_in(Client(), "new.js@example.cn").status_code == 302
