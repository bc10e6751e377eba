import pytest
from django.urls import reverse

from applications import services
from applications.models import Application


@pytest.mark.parametrize("field", ["province", "city", "name", "applicant_type", "affiliation"])
def test_identity_fields_cannot_be_emptied_even_in_a_draft(client, applicant, call, field):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    application.refresh_from_db()
    data = {"lock_version": application.lock_version, "name": application.name,
            "applicant_type": application.applicant_type, "affiliation": application.affiliation,
            "province": application.province_id, "city": application.city_id, "address": "kept"}
    data[field] = ""
    before = Application.objects.filter(pk=application.pk).values(field, "city").get()
    client.force_login(applicant)
    response = client.post(reverse("application_section", args=[application.pk, "basic"]), data)
    assert response.status_code == 400
    # Province and city are stored only together: the other one of the pair is named as not stored too.
    partner = {"province": "city", "city": "province"}.get(field)
    assert set(response.context["form"].errors) == {field, partner} - {None}
    stored = Application.objects.filter(pk=application.pk).values(field, "city", "address").get()
    assert stored == {**before, "address": "kept"}  # the rest of the section is stored
