import pytest
from django.urls import reverse

from applications.models import Organisation
from navportal.demo.content import credit_code
from navportal.models import AuditEvent, City, Ministry, Province, Role, User


def form(**overrides):
    data = {"name": "示例·新园区", "credit_code": credit_code(7), "applicant_type": "provincial_park",
            "affiliation": "city", "province": Province.objects.get(code="320000").pk,
            "city": City.objects.get(code="320500").pk, "contact_name": "王联络", "email": "Wang@Example.cn",
            "password1": "Navigate-2026", "password2": "Navigate-2026"}
    return {**data, **overrides}


@pytest.mark.django_db
def test_registration_creates_organisation_and_account_and_logs_in(client):
    response = client.post(reverse("register"), form())
    assert response.url == reverse("application_list")
    org = Organisation.objects.get()
    user = User.objects.get(organisation=org)
    assert (org.credit_code, user.username, user.role) == (credit_code(7), "wang@example.cn", Role.APPLICANT)
    assert AuditEvent.objects.filter(action="organisation_register", object_id=str(org.pk)).count() == 1
    assert client.get(reverse("application_list")).status_code == 200


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
def test_credit_code_is_registered_once(client):
    """A second registration of a code is a transfer request (tests/applications/test_verification.py): without
    its two documents it is refused, and nothing is created."""
    client.post(reverse("register"), form())
    client.logout()
    response = client.post(reverse("register"), form(email="other@example.cn"))
    assert response.status_code == 409
    assert Organisation.objects.count() == 1 and not User.objects.filter(username="other@example.cn").exists()


@pytest.mark.django_db
def test_ministry_unit_registers_with_its_ministry(client):
    moe = Ministry.objects.get(code="moe")
    client.post(reverse("register"), form(affiliation="ministry", ministry=moe.pk, applicant_type="institution"))
    assert Organisation.objects.get().ministry == moe


@pytest.mark.django_db
def test_password_reset_sends_a_mail(client, mailoutbox):
    client.post(reverse("register"), form())
    client.logout()
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
