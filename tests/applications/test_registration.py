import re

import pytest
from django.urls import reverse

from applications.enums import DocumentKind, TransferStatus, Verification
from applications.models import Organisation, OrganisationTransfer, PendingRegistration
from navportal.demo.content import credit_code
from navportal.identifiers import users_by_email
from navportal.models import AuditEvent, City, Ministry, Province, Role, User
from navportal.privacy_rules import RULES_VERSION


def form(**overrides):
    data = {"name": "示例·新园区", "credit_code": credit_code(7), "applicant_type": "provincial_park",
            "affiliation": "city", "province": Province.objects.get(code="320000").pk,
            "city": City.objects.get(code="320500").pk, "contact_name": "王联络", "email": "Wang@Example.cn",
            "password1": "Navigate-2026", "password2": "Navigate-2026", "privacy": "on"}
    return {**data, **overrides}


def mailed_link(message):
    links = re.findall(r"https?://\S+(/register/confirm/[\w-]+/)", message.body)
    assert len(links) == 1, message.body
    return links[0]


def register(client, mailoutbox, **overrides):
    """Register as a person does: the form, then the link mailed to the address, then its button."""
    response = client.post(reverse("register"), form(**overrides))
    assert response.status_code == 200 and "applications/register_sent.html" in [t.name for t in response.templates]
    return client.post(mailed_link(mailoutbox[-1]))


@pytest.mark.django_db
def test_registration_creates_organisation_and_account_once_the_address_is_confirmed(client, english, mailoutbox):
    response = client.post(reverse("register"), form())
    assert response.status_code == 200 and not Organisation.objects.exists() and not User.objects.exists()
    assert [m.to for m in mailoutbox] == [["wang@example.cn"]]
    link = mailed_link(mailoutbox[0])
    assert client.get(link).status_code == 200 and not Organisation.objects.exists()  # a GET creates nothing
    response = client.post(link)
    assert response.url == reverse("organisation_own")  # which asks for the documents
    org = Organisation.objects.get()
    assert org.verification == Verification.AWAITING and not org.is_verified
    user = User.objects.get(organisation=org)
    assert (org.credit_code, user.email, user.role) == (credit_code(7), "wang@example.cn", Role.APPLICANT)
    assert user.username.startswith("contact-")  # opaque: the address signs in (navportal.identifiers)
    assert user.check_password("Navigate-2026")
    assert not PendingRegistration.objects.exists()
    assert list(AuditEvent.objects.filter(action="organisation_register", object_id=str(org.pk)).values_list(
        "to_state", flat=True)) == [Verification.AWAITING]
    assert client.get(reverse("application_list")).status_code == 200
    page = client.get(reverse("organisation_own")).content.decode()
    assert "upload" in page.lower() and 'name="authorisation"' in page and 'name="licence"' in page
    client.logout()
    assert client.post(link).status_code == 404  # used once


def _page(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.django_db
def test_registration_answers_the_same_whether_or_not_the_address_or_the_code_exists(english, mailoutbox):
    """SPEC §7: nothing on the page tells an existing account or credit code; the owner is told by mail."""
    from django.test import Client
    register(Client(HTTP_ACCEPT_LANGUAGE="en"), mailoutbox)
    owner = User.objects.get()
    mailoutbox.clear()
    answers = {}
    for case, overrides in {"new": {"credit_code": credit_code(8), "email": "new@example.cn"},
                            "address known": {"credit_code": credit_code(9), "email": "new@example.cn"},
                            "code known": {"email": "new@example.cn"}}.items():
        if case == "address known":
            overrides["email"] = owner.email
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        response = client.post(reverse("register"), form(**overrides))
        answers[case] = (response.status_code, _page(response).replace(overrides["email"], "ADDRESS"))
    assert answers["new"] == answers["address known"] == answers["code known"]
    subjects = [(m.to, m.subject) for m in mailoutbox]
    # The organisation's contact is not mailed for a mere attempt: only once a transfer is actually requested.
    assert subjects == [(["new@example.cn"], "Finish registering your organisation"),
                        ([owner.email], "You already have an account on the portal"),
                        (["new@example.cn"], "This organisation is registered already")]
    assert "/register/transfer/" in mailoutbox[-1].body and "/register/confirm/" not in mailoutbox[-1].body
    assert PendingRegistration.objects.count() == 2 and Organisation.objects.count() == 1
    assert not OrganisationTransfer.objects.exists() and User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", [
    ({"credit_code": credit_code(7)[:-1] + ("0" if credit_code(7)[-1] != "0" else "1")}, "credit_code"),
    ({"credit_code": "1234"}, "credit_code"),
    ({"city": "330100"}, "city"),
    ({"affiliation": "ministry"}, "ministry"),
    ({"password2": "Different-2026"}, "password2"),
    ({"password1": "12345678", "password2": "12345678"}, "password1"),
    ({"email": "not-an-email"}, "email"),
])
def test_registration_names_each_problem_and_keeps_the_input(client, overrides, field):
    if overrides.get("city") == "330100":
        overrides["city"] = City.objects.get(code="330100").pk
    response = client.post(reverse("register"), form(**overrides))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert "示例·新园区" in response.content.decode()
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_credit_code_is_registered_once(client, english, mailoutbox):
    """Two pending registrations of one code (nobody can reserve a code by registering it): the first confirmed
    wins; the second link then says the code is taken."""
    client.post(reverse("register"), form())
    first = mailed_link(mailoutbox[-1])
    client.post(reverse("register"), form(email="other@example.cn"))
    second = mailed_link(mailoutbox[-1])
    assert client.post(first).status_code == 302
    client.logout()
    response = client.post(second)
    assert response.status_code == 409 and "registered a moment ago" in response.content.decode()
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_ministry_unit_registers_with_its_ministry(client, mailoutbox):
    moe = Ministry.objects.get(code="moe")
    register(client, mailoutbox, affiliation="ministry", ministry=moe.pk, applicant_type="institution")
    assert Organisation.objects.get().ministry == moe


@pytest.mark.django_db
def test_password_reset_sends_a_mail(client, english, mailoutbox):
    register(client, mailoutbox)
    client.logout()
    mailoutbox.clear()
    client.post(reverse("password_reset"), {"email": "wang@example.cn"})
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


@pytest.mark.django_db
def test_a_registration_racing_another_of_the_same_code_gets_a_message_not_an_error():
    from applications import services
    from navportal.errors import PortalError
    values = dict(name="示例", credit_code=credit_code(8), applicant_type="institution", affiliation="city",
                  ministry=None, province=Province.objects.get(code="320000"), city=City.objects.get(code="320500"),
                  contact_name="王", password="Navigate-2026")
    services.organisation_register(email="a@example.cn", **values, privacy_version=RULES_VERSION)
    with pytest.raises(PortalError) as exc:  # the form's check came too late: the database decides
        services.organisation_register(email="b@example.cn", **values, privacy_version=RULES_VERSION)
    assert exc.value.code == "duplicate"
    assert Organisation.objects.count() == 1 and not users_by_email("b@example.cn").exists()


@pytest.mark.django_db
def test_a_known_code_is_answered_by_mail_with_a_transfer_link_that_takes_the_documents(english, mailoutbox):
    """Issue 15 and SPEC §7 together: a registration of a registered code answers as any other; the mail to its
    sender holds a link (expiring as the new-registration link does) whose page takes the two documents and makes
    a pending transfer request at the organisation's bureau — the organisation's contacts are told then, once."""
    from django.test import Client
    from tests.applications.test_verification import LETTER, LICENCE, pdf
    owner_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    register(owner_client, mailoutbox)
    owner = User.objects.get()
    mailoutbox.clear()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("register"), form(email="taker@example.cn", contact_name="接管人"))
    assert response.status_code == 200 and "applications/register_sent.html" in [t.name for t in response.templates]
    [sent] = mailoutbox
    assert sent.to == ["taker@example.cn"] and credit_code(7) in sent.body
    [link] = re.findall(r"https?://\S+(/register/transfer/[\w-]+/)", sent.body)
    # The link is for a transfer only: the new-registration button refuses it, and the transfer page shows its form.
    assert client.post(link.replace("/transfer/", "/confirm/")).status_code == 404
    assert client.get(link).status_code == 200 and Organisation.objects.count() == 1
    mailoutbox.clear()
    response = client.post(link, {"authorisation": pdf(LETTER), "licence": pdf(LICENCE)})
    assert response.status_code == 200 and "applications/register_transfer.html" in [t.name for t in response.templates]
    transfer = OrganisationTransfer.objects.get()
    assert (transfer.organisation_id, transfer.status, transfer.requester.email, transfer.requester.is_active) == (
        owner.organisation_id, TransferStatus.PENDING, "taker@example.cn", False)
    assert transfer.requester.username.startswith("contact-")
    assert transfer.requester.privacy_version == RULES_VERSION  # the rules the registration form acknowledged
    assert sorted(transfer.documents.values_list("kind", flat=True)) == sorted(DocumentKind.values)
    # The bureau that verifies the park (Jiangsu's province: a provincial park) is the one the request is for.
    from applications import organisations
    assert organisations.first_desk_role(owner.organisation) == Role.PROVINCE
    assert [m.to for m in mailoutbox if "taker" not in m.to[0]] == [[owner.email]]  # no reviewer in this world
    assert not PendingRegistration.objects.exists()


@pytest.mark.django_db
def test_a_transfer_link_expires_as_the_registration_link_does(client, mailoutbox):
    import datetime

    from django.utils import timezone

    from applications.services import REGISTRATION_CONFIRM_HOURS
    register(client, mailoutbox)
    client.logout()
    mailoutbox.clear()
    client.post(reverse("register"), form(email="taker@example.cn"))
    [link] = re.findall(r"https?://\S+(/register/transfer/[\w-]+/)", mailoutbox[-1].body)
    pending = PendingRegistration.objects.get()
    assert pending.expires_at - pending.created_at == pytest.approx(
        datetime.timedelta(hours=REGISTRATION_CONFIRM_HOURS), abs=datetime.timedelta(seconds=5))
    PendingRegistration.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(link).status_code == 409
    assert not OrganisationTransfer.objects.exists() and not users_by_email("taker@example.cn").exists()
