import re

import pytest
from django.urls import reverse

from applications.models import Organisation, PendingRegistration
from navportal.demo.content import credit_code
from navportal.models import AuditEvent, City, Ministry, Province, Role, User


def form(**overrides):
    data = {"name": "示例·新园区", "credit_code": credit_code(7), "applicant_type": "provincial_park",
            "affiliation": "city", "province": Province.objects.get(code="320000").pk,
            "city": City.objects.get(code="320500").pk, "contact_name": "王联络", "email": "Wang@Example.cn",
            "password1": "Navigate-2026", "password2": "Navigate-2026"}
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
    assert response.url == reverse("application_list")
    org = Organisation.objects.get()
    user = User.objects.get(organisation=org)
    assert (org.credit_code, user.username, user.role) == (credit_code(7), "wang@example.cn", Role.APPLICANT)
    assert user.check_password("Navigate-2026")
    assert not PendingRegistration.objects.exists()
    assert AuditEvent.objects.filter(action="organisation_register", object_id=str(org.pk)).count() == 1
    assert client.get(reverse("application_list")).status_code == 200
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
    assert subjects == [(["new@example.cn"], "Finish registering your organisation"),
                        ([owner.email], "You already have an account on the portal"),
                        (["new@example.cn"], "This organisation is registered already"),
                        ([owner.email], "Someone tried to register your organisation again")]
    assert PendingRegistration.objects.count() == 1 and Organisation.objects.count() == 1


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
    services.organisation_register(email="a@example.cn", **values)
    with pytest.raises(PortalError) as exc:  # the form's check came too late: the database decides
        services.organisation_register(email="b@example.cn", **values)
    assert exc.value.code == "duplicate"
    assert Organisation.objects.count() == 1 and not User.objects.filter(username="b@example.cn").exists()
