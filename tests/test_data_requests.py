"""Access and correction (个人信息保护法 Art. 44–46, portal.data_requests): an applicant's contact person downloads
everything held about the organisation's people and asks the bureau holding a submitted application for a
correction; an objector asks CNIPA by the reference number and address of their objection. Every step audited, each
answer reaching the requester."""

import json

import pytest
from django.urls import reverse

from applications import services
from applications.enums import State
from applications.models import Application
from navportal.errors import PortalError
from navportal.models import AuditEvent, Message, Role
from portal import data_requests
from portal.models import DataRequest
from tests.conftest import make_applicant, object_confirmed
from tests.review.test_national import cnipa, during, handed_in, on_notice, person  # noqa: F401 - fixtures


@pytest.fixture
def at_province(applicant, submitted):
    return submitted(applicant)  # a Suzhou park: straight to the Jiangsu bureau


@pytest.mark.django_db
def test_the_export_holds_every_person_of_the_organisation_and_nobody_elses(client, applicant, at_province, complete,
                                                                            outsider):
    draft_of_other = complete(outsider, values={"contact_name": "外单位联系人", "contact_mobile": "13700001111"})
    client.force_login(applicant)
    response = client.get(reverse("personal_data_export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    data = json.loads(response.content)
    [application] = data["applications"]
    assert application["id"] == at_province.pk and application["people"]["contact_name"] == at_province.contact_name
    assert [row["name"] for row in application["staff"]] == [m.name for m in at_province.staff.all()]
    [version] = application["submitted_versions"]
    assert version["people"]["contact_mobile"] == at_province.contact_mobile and len(version["staff"]) == 5
    assert [account["email"] for account in data["accounts"]] == [applicant.email]
    for private in ("外单位联系人", "13700001111"):  # the other organisation's contact person
        assert private not in response.content.decode()
    assert str(draft_of_other.pk) not in [str(a["id"]) for a in data["applications"]]
    [line] = AuditEvent.objects.filter(action="personal_data_export")
    assert (line.actor_id, line.object_id) == (applicant.pk, str(applicant.organisation_id))


@pytest.mark.django_db
def test_a_correction_goes_to_the_bureau_holding_the_application_and_its_answer_comes_back(
        client, applicant, at_province, reviewers, mailoutbox, english):
    client.force_login(applicant)
    page = client.get(reverse("personal_data")).content.decode()
    assert at_province.name in page and 'name="text"' in page
    response = client.post(reverse("personal_data"), {"application": at_province.pk, "text": "联系人手机号码有误"})
    assert response.status_code == 302
    request = DataRequest.objects.get()
    assert (request.holder_role, request.holder_id, request.requested_by) == (
        Role.PROVINCE, at_province.province_id, applicant)
    province = reviewers["province_js"]
    assert Message.objects.filter(recipient=province, link="/review/data-requests/").exists()
    assert not Message.objects.filter(recipient=reviewers["province_zj"], link="/review/data-requests/").exists()

    # Only the bureau holding it sees and answers it.
    client.force_login(reviewers["province_zj"])
    assert "联系人手机号码有误" not in client.get(reverse("data_requests")).content.decode()
    assert client.post(reverse("data_request_answer", args=[request.pk]), {"answer": "x"}).status_code == 404
    client.force_login(province)
    assert "联系人手机号码有误" in client.get(reverse("data_requests")).content.decode()
    response = client.post(reverse("data_request_answer", args=[request.pk]), {"answer": "已退回申请人修改。"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.answer == "已退回申请人修改。" and request.answered_by == province
    assert Message.objects.filter(recipient=applicant, link="/organisation/personal-data/").exists()
    with pytest.raises(PortalError) as exc:
        data_requests.data_request_answer(actor=province, request_id=request.pk, answer="again")
    assert exc.value.code == "state"
    assert list(AuditEvent.objects.filter(action__startswith="data_request").order_by("pk").values_list(
        "action", "actor")) == [("data_request", applicant.pk), ("data_request_answer", province.pk)]
    client.force_login(applicant)
    assert "已退回申请人修改。" in client.get(reverse("personal_data")).content.decode()


@pytest.mark.django_db
def test_a_draft_is_corrected_on_its_form_and_another_organisations_application_is_not_found(
        applicant, complete, outsider, submitted):
    draft = complete(applicant)
    other = submitted(outsider)
    with pytest.raises(PortalError) as exc:
        data_requests.correction_request(actor=applicant, application_id=draft.pk, text="改")
    assert exc.value.code == "state"
    with pytest.raises(PortalError) as exc:
        data_requests.correction_request(actor=applicant, application_id=other.pk, text="改")
    assert exc.value.code == "not_found" and not DataRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("state, role", [(State.CITY_REVIEW, Role.CITY), (State.PROVINCE_REVIEW, Role.PROVINCE),
                                         (State.NATIONAL_REVIEW, Role.NATIONAL), (State.DESIGNATED, Role.NATIONAL),
                                         (State.NOT_RECOMMENDED, Role.PROVINCE)])
def test_the_holder_follows_the_application(state, role):
    application = Application(state=state, route="province", city_id=1, province_id=2, ministry_id=None)
    assert data_requests.holder(application)[0] == role


@pytest.mark.django_db
def test_an_objectors_request_reaches_cnipa_only_with_the_reference_and_address_of_the_objection(
        client, on_notice, cnipa, mailoutbox, english):
    notice, entries = on_notice
    objection = object_confirmed(**person(entries[0]), now=during(notice))
    path = reverse("objector_data_request")
    for reference, email in ((objection.reference, "other@example.cn"), ("SB-0000-000000", objection.email)):
        response = client.post(path, {"reference": reference, "email": email, "kind": "access"})
        assert response.status_code == 200 and "If an objection with this reference number" in \
            response.content.decode()
    assert not DataRequest.objects.exists()  # the same page, and nothing made
    client.post(path, {"reference": objection.reference.lower(), "email": objection.email.upper(), "kind": "access"})
    request = DataRequest.objects.get()
    assert (request.objection, request.holder_role, request.requested_by) == (objection, Role.NATIONAL, None)
    mailoutbox.clear()
    data_requests.data_request_answer(actor=cnipa, request_id=request.pk, answer="现将所存信息告知如下。")
    [mail] = [m for m in mailoutbox if m.to == [objection.email]]
    assert "现将所存信息告知如下。" in mail.body and objection.phone in mail.body and objection.name in mail.body


@pytest.mark.django_db
def test_an_objectors_correction_needs_its_text(on_notice, cnipa):
    notice, entries = on_notice
    objection = object_confirmed(**person(entries[0]), now=during(notice))
    with pytest.raises(PortalError) as exc:
        data_requests.objector_request(reference=objection.reference, email=objection.email, kind="correction",
                                       text=" ")
    assert exc.value.code == "required" and not DataRequest.objects.exists()


@pytest.mark.django_db
def test_the_open_count_on_the_queue_is_the_bureaus_unanswered_requests(client, reviewers, applicant, at_province,
                                                                       english):
    """The count on the review queue (a query compiled once per role) counts what requests_for_user holds
    unanswered, for every kind of bureau; an official without a place holds none."""
    from navportal.models import User

    province, cnipa_user = reviewers["province_js"], reviewers["national"]
    DataRequest.objects.create(kind="correction", application=at_province, requested_by=applicant, text="改",
                               holder_role=Role.PROVINCE, holder_id=province.province_id)
    DataRequest.objects.create(kind="correction", application=at_province, requested_by=applicant, text="再改",
                               holder_role=Role.PROVINCE, holder_id=reviewers["province_zj"].province_id)
    DataRequest.objects.create(kind="correction", application=at_province, requested_by=applicant, text="已答",
                               holder_role=Role.NATIONAL, answered_at="2026-11-01T00:00:00Z", answer="已答复")
    for user in reviewers.values():
        expected = data_requests.requests_for_user(user).filter(answered_at__isnull=True).count()
        assert data_requests.open_requests_count(user) == expected, user.username
    assert data_requests.open_requests_count(province) == 1
    assert data_requests.open_requests_count(cnipa_user) == 0
    nowhere = User(role=Role.CITY, username="nowhere")
    assert data_requests.open_requests_count(nowhere) == 0
    client.force_login(province)
    assert "Requests about personal information (1 open)" in client.get(reverse("review_queue")).content.decode()
