"""Verification of registrations and transfers of accounts (SPEC §10, issue 15.1): provisional until the first desk
verifies the documents; drafts before, submission after; a registered credit code is never taken over by a second
registration, which becomes a transfer request decided by the same bureau."""

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from applications import organisations, services
from applications.enums import DocumentKind, State, TransferStatus, Verification, VerifiedVia
from applications.models import Application, Organisation, OrganisationDocument, OrganisationTransfer
from navportal.demo.content import TINY_PDF, credit_code
from navportal.errors import PortalError
from navportal.models import AuditEvent, City, Message, Province, Role, User
from navportal.identifiers import users_by_email
from tests.conftest import PASSWORD, fill, make_applicant, make_user, user_by_email

pytestmark = pytest.mark.django_db

LETTER = "委托书-7d1e.pdf"
LICENCE = "执照-93ab.pdf"


def pdf(name):
    return SimpleUploadedFile(name, TINY_PDF, "application/pdf")


def documents(letter=LETTER, licence=LICENCE):
    return {DocumentKind.AUTHORISATION: (pdf(letter), "application/pdf"),
            DocumentKind.LICENCE: (pdf(licence), "application/pdf")}


def signs_in(username, password):
    """Whether the login form lets `username` in."""
    client = Client()
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def provisional(name="示例·待核园区", username=None, **org):
    return make_applicant(name, username, verified=False, **org)


def verification(user):
    return Organisation.objects.values_list("verification", flat=True).get(pk=user.organisation_id)


def form(**overrides):
    data = {"name": "示例·新园区", "credit_code": credit_code(7), "applicant_type": "provincial_park",
            "affiliation": "city", "province": Province.objects.get(code="320000").pk,
            "city": City.objects.get(code="320500").pk, "contact_name": "王联络", "email": "wang@example.cn",
            "password1": "Navigate-2026", "password2": "Navigate-2026", "privacy": "on"}
    return {**data, **overrides}


# --- Registration is provisional; documents make it wait at the first desk ---------------------------

def mailed_link(mailoutbox, kind):
    """The one link of `kind` ("confirm" or "transfer") in the last mail (read through the outbox's worker)."""
    links = re.findall(rf"https?://\S+(/register/{kind}/[\w-]+/)", mailoutbox[-1].body)
    assert len(links) == 1, mailoutbox[-1].body
    return links[0]


def test_a_registration_is_provisional_and_its_documents_go_to_the_first_desk(client, reviewers, mailoutbox):
    assert client.post(reverse("register"), form()).status_code == 200
    response = client.post(mailed_link(mailoutbox, "confirm"))
    assert response.url == reverse("organisation_own")
    org = Organisation.objects.get(credit_code=credit_code(7))
    assert (org.verification, org.verified_at, org.verified_via) == (Verification.AWAITING, None, "")
    mailoutbox.clear()
    # The documents are given on the organisation's page, once the registration is confirmed.
    response = client.post(reverse("organisation_own"), {"authorisation": pdf(LETTER), "licence": pdf(LICENCE)})
    assert response.url == reverse("organisation_own")
    org.refresh_from_db()
    # A provincial park in Suzhou: Jiangsu's provincial bureau receives its applications first, and verifies.
    assert (org.verification, org.verified_at, org.verified_via) == (Verification.PENDING, None, "")
    assert sorted(org.documents.values_list("kind", "original_name")) == [
        ("authorisation", LETTER), ("licence", LICENCE)]
    assert list(Message.objects.filter(subject__contains=org.name).values_list("recipient__username", flat=True)) \
        == ["prov-js"]
    assert [m.to for m in mailoutbox] == [["prov-js@example.cn"]]


def test_without_documents_it_awaits_them_and_says_so_up_front(english, applicant, call):
    user = provisional()
    english.force_login(user)
    page = english.get(reverse("application_list")).content.decode()
    assert "Registration not verified yet." in page
    assert "upload Sealed letter of authorisation" in page and "Jiangsu" in page
    application = services.application_start(actor=user, call=call)
    assert "Registration not verified yet." in english.get(
        reverse("application_tasks", args=[application.pk])).content.decode()


@pytest.mark.parametrize("kind, city, ministry, desk", [
    ({"applicant_type": "national_park", "affiliation": "city"}, "320500", None, "province_js"),
    ({"applicant_type": "institution", "affiliation": "province"}, "320100", None, "province_js"),
    ({"applicant_type": "institution", "affiliation": "city"}, "320100", None, "city_nanjing"),
    ({"applicant_type": "institution", "affiliation": "ministry"}, "110108", "moe", "ministry_moe"),
])
def test_the_first_desk_of_the_routing_rules_verifies(reviewers, kind, city, ministry, desk):
    user = provisional(city=city, ministry=ministry, **kind)
    organisations.organisation_documents_upload(actor=user, documents=documents())
    others = [key for key in reviewers if key != desk]
    for key in others:
        with pytest.raises(PortalError) as refused:
            organisations.organisation_verify(actor=reviewers[key], organisation_id=user.organisation_id)
        # Outside the scope: as if it did not exist; CNIPA (and a province for a city-routed one) sees, not decides.
        assert refused.value.code in ("not_found", "forbidden")
        assert verification(user) == Verification.PENDING
    organisations.organisation_verify(actor=reviewers[desk], organisation_id=user.organisation_id)
    org = Organisation.objects.get(pk=user.organisation_id)
    assert (org.verification, org.verified_via) == (Verification.VERIFIED, VerifiedVia.BUREAU)
    event = AuditEvent.objects.get(action="organisation_verify")
    assert (event.actor, event.from_state, event.to_state) == (reviewers[desk], "pending", "verified")


# --- Drafts before, submission after ---------------------------------------------------------------

def test_submission_waits_for_the_verification_and_names_what_is_missing_and_who_verifies(english, reviewers, call):
    user = provisional()
    application = fill(user, services.application_start(actor=user, call=call))
    with pytest.raises(PortalError) as refused:
        services.application_submit(actor=user, application_id=application.pk)
    assert refused.value.code == "unverified"
    message = str(refused.value.message)
    assert "Sealed letter of authorisation" in message and "business licence" in message
    assert "Jiangsu" in message and "Provincial reviewer" in message
    assert Application.objects.get(pk=application.pk).state == State.DRAFT

    organisations.organisation_documents_upload(actor=user, documents=documents())
    with pytest.raises(PortalError) as waiting:
        services.application_submit(actor=user, application_id=application.pk)
    assert "checking its documents" in str(waiting.value.message)

    organisations.organisation_verify(actor=reviewers["province_js"], organisation_id=user.organisation_id)
    assert services.application_submit(actor=user, application_id=application.pk) == []
    assert Application.objects.get(pk=application.pk).state == State.PROVINCE_REVIEW


def test_the_submit_button_says_why_it_did_not_submit(english, call):
    user = provisional()
    application = fill(user, services.application_start(actor=user, call=call))
    english.force_login(user)
    response = english.post(reverse("application_submit", args=[application.pk]), follow=True)
    assert "registration is provisional" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == State.DRAFT


# --- Refused, uploaded again -------------------------------------------------------------------------

def test_a_refusal_has_a_reason_the_applicant_reads_and_an_upload_sends_it_back(english, reviewers):
    user = provisional()
    organisations.organisation_documents_upload(actor=user, documents=documents())
    province = reviewers["province_js"]
    with pytest.raises(PortalError):
        organisations.organisation_refuse(actor=province, organisation_id=user.organisation_id, reason="  ")
    organisations.organisation_refuse(actor=province, organisation_id=user.organisation_id,
                                      reason="委托书未盖公章。")
    assert verification(user) == Verification.REFUSED
    english.force_login(user)
    page = english.get(reverse("organisation_own")).content.decode()
    assert "委托书未盖公章。" in page
    response = english.post(reverse("organisation_own"), {"authorisation": pdf("盖章委托书.pdf")})
    assert response.status_code == 302
    assert verification(user) == Verification.PENDING
    assert OrganisationDocument.objects.get(organisation_id=user.organisation_id,
                                            kind="authorisation").original_name == "盖章委托书.pdf"
    organisations.organisation_verify(actor=province, organisation_id=user.organisation_id)
    assert verification(user) == Verification.VERIFIED


def test_an_upload_that_is_not_a_document_is_refused_by_its_content(client):
    user = provisional()
    client.force_login(user)
    response = client.post(reverse("organisation_own"), {
        "authorisation": SimpleUploadedFile("letter.pdf", b"<html><script>alert(1)</script>", "application/pdf")})
    assert response.status_code == 400
    assert not OrganisationDocument.objects.exists()


# --- The bureau's pages ------------------------------------------------------------------------------

def test_the_bureau_verifies_from_its_queue_and_page(client, reviewers):
    user = provisional()
    organisations.organisation_documents_upload(actor=user, documents=documents())
    verified = make_applicant("示例·已核园区")
    province = reviewers["province_js"]
    client.force_login(province)
    queue = client.get(reverse("verification_queue"))
    assert [o.name for o in queue.context["page"]] == ["示例·待核园区"]
    assert [o.name for o in client.get(reverse("verification_queue"), {"show": "all"}).context["page"]] == [
        "示例·待核园区", "示例·已核园区"]
    page = client.get(reverse("verification_detail", args=[user.organisation_id])).content.decode()
    for document in OrganisationDocument.objects.filter(organisation_id=user.organisation_id):
        assert reverse("organisation_document", args=[document.pk]) in page
        download = client.get(reverse("organisation_document", args=[document.pk]))
        assert download["Content-Disposition"].startswith("attachment")
        assert b"".join(download.streaming_content) == TINY_PDF
    assert client.post(reverse("organisation_verify", args=[user.organisation_id])).status_code == 302
    assert verification(user) == Verification.VERIFIED
    assert verified.organisation.verification == Verification.VERIFIED
    # Zhejiang's bureau: no such organisation.
    client.force_login(reviewers["province_zj"])
    assert client.get(reverse("verification_detail", args=[user.organisation_id])).status_code == 404


# --- A second registration of a registered credit code ---------------------------------------------

def test_a_second_registration_becomes_a_transfer_request_and_takes_nothing_over(client, reviewers, mailoutbox):
    """The registration of a registered code answers as any other; the mail to its sender holds the link whose
    page takes the two documents and makes the transfer request, at the organisation's own bureau."""
    owner = make_applicant("示例·真园区", "owner", applicant_type="provincial_park")
    code = owner.organisation.credit_code
    mailoutbox.clear()
    response = client.post(reverse("register"), form(credit_code=code, name="示例·冒名园区", email="new@example.cn",
                                                     contact_name="新联络"))
    assert response.status_code == 200 and "applications/register_sent.html" in [t.name for t in response.templates]
    assert [m.to for m in mailoutbox] == [["new@example.cn"]]  # the owner is not told of a mere attempt
    link = mailed_link(mailoutbox, "transfer")
    assert not users_by_email("new@example.cn").exists() and not OrganisationTransfer.objects.exists()
    page = client.get(link)
    assert page.status_code == 200 and code in page.content.decode() and not OrganisationTransfer.objects.exists()
    mailoutbox.clear()
    response = client.post(link, {"authorisation": pdf(LETTER), "licence": pdf(LICENCE)})
    assert response.status_code == 200
    assert "applications/register_transfer.html" in [t.name for t in response.templates]
    assert organisations.desk_name(owner.organisation) in response.content.decode()
    assert "_auth_user_id" not in client.session  # not signed in: the account waits for the bureau
    org = Organisation.objects.get(credit_code=code)
    assert (org.name, list(org.members.filter(is_active=True))) == ("示例·真园区", [owner])
    requester = user_by_email("new@example.cn")
    assert (requester.is_active, requester.organisation_id, requester.role, requester.display_name) == (
        False, org.pk, Role.APPLICANT, "新联络")
    assert requester.check_password("Navigate-2026")  # the hash the pending registration kept
    transfer = OrganisationTransfer.objects.get()
    assert (transfer.status, transfer.requester) == (TransferStatus.PENDING, requester)
    assert sorted(transfer.documents.values_list("kind", "original_name")) == [
        ("authorisation", LETTER), ("licence", LICENCE)]
    # The current contact, the requester and the bureau (Jiangsu's province, the park's first desk) are told by mail.
    assert sorted(m.to[0] for m in mailoutbox) == ["new@example.cn", "owner@example.cn", "prov-js@example.cn"]
    assert not signs_in("new@example.cn", "Navigate-2026")
    # The bureau finds the request on the organisation's page; the link is spent.
    province = Client()
    province.force_login(reviewers["province_js"])
    assert "新联络" in province.get(reverse("verification_detail", args=[org.pk])).content.decode()
    assert client.post(link, {"authorisation": pdf(LETTER), "licence": pdf(LICENCE)}).status_code == 404

    # A second request while one waits: refused, by the service and by the database.
    with pytest.raises(PortalError) as second:
        organisations.organisation_transfer_request(credit_code=code, contact_name="又一人", email="third@example.cn",
                                                    password_hash=make_password(PASSWORD), documents=documents())
    assert second.value.code == "duplicate"
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationTransfer.objects.create(organisation=org, requester=owner)


def test_without_both_documents_a_transfer_request_is_refused(client, mailoutbox):
    owner = make_applicant("示例·真园区", "owner")
    client.post(reverse("register"), form(credit_code=owner.organisation.credit_code, email="new@example.cn"))
    link = mailed_link(mailoutbox, "transfer")
    response = client.post(link, {"authorisation": pdf(LETTER)})
    assert response.status_code == 400 and response.context["form"].errors
    assert not OrganisationTransfer.objects.exists() and not users_by_email("new@example.cn").exists()
    # The link still serves: the request is made once both are there.
    assert client.post(link, {"authorisation": pdf(LETTER), "licence": pdf(LICENCE)}).status_code == 200
    assert OrganisationTransfer.objects.filter(requester=user_by_email("new@example.cn")).count() == 1


@pytest.mark.parametrize("approve", [True, False])
def test_the_bureau_decides_the_transfer_with_a_reason_audited_and_the_old_contact_told(
        client, reviewers, mailoutbox, approve):
    owner = make_applicant("示例·真园区", "owner", applicant_type="provincial_park")
    org = owner.organisation
    OrganisationDocument.objects.create(organisation=org, kind="authorisation", file="organisations/x/old.pdf",
                                        original_name="旧委托书.pdf", content_type="application/pdf", size=1,
                                        uploaded_by=owner)
    transfer = organisations.organisation_transfer_request(
        credit_code=org.credit_code, contact_name="新联络", email="new@example.cn",
        password_hash=make_password(PASSWORD), documents=documents())
    mailoutbox.clear()
    owner_client = client
    owner_client.force_login(owner)
    province = reviewers["province_js"]
    with pytest.raises(PortalError):  # the reason is required
        organisations.organisation_transfer_decide(actor=province, organisation_id=org.pk, approve=approve, reason="")
    with pytest.raises(PortalError):  # Suzhou's city bureau does not receive this park's applications first
        organisations.organisation_transfer_decide(actor=reviewers["city_suzhou"], organisation_id=org.pk,
                                                   approve=approve, reason="x")
    organisations.organisation_transfer_decide(actor=province, organisation_id=org.pk, approve=approve,
                                               reason="新委托书核实无误。" if approve else "委托书无公章。")
    transfer.refresh_from_db()
    owner.refresh_from_db()
    requester = user_by_email("new@example.cn")
    assert transfer.status == (TransferStatus.APPROVED if approve else TransferStatus.REFUSED)
    assert (transfer.decided_by, bool(transfer.reason)) == (province, True)
    assert (owner.is_active, requester.is_active) == (not approve, approve)
    event = AuditEvent.objects.get(action=f"organisation_transfer_{'approve' if approve else 'refuse'}")
    assert (event.actor, event.object_id, event.from_state) == (province, str(org.pk), "pending")
    assert "owner@example.cn" in [m.to[0] for m in mailoutbox]
    assert any(("委托书" in m.body) for m in mailoutbox if m.to == ["owner@example.cn"])
    current = sorted(OrganisationDocument.objects.filter(organisation=org, transfer__isnull=True)
                     .values_list("original_name", flat=True))
    if approve:
        assert current == [LETTER, LICENCE]
        assert Organisation.objects.get(pk=org.pk).verification == Verification.VERIFIED
        # The former contact's session has ended; the new contact signs in and holds the organisation.
        assert owner_client.get(reverse("application_list")).status_code == 302
        assert signs_in("new@example.cn", PASSWORD)
    else:
        assert current == ["旧委托书.pdf"]
        assert owner_client.get(reverse("application_list")).status_code == 200


# --- The database's last line ------------------------------------------------------------------------

@pytest.mark.parametrize("values", [
    {"verification": "vouched"},
    {"verification": "verified"},                                    # no time, no way
    {"verification": "refused"},                                     # no reason
    {"verification": "pending", "verified_via": "bureau"},
])
def test_the_database_refuses_an_unknown_or_inconsistent_verification(values):
    org = make_applicant("示例·约束园区").organisation
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=org.pk).update(**{"verified_at": None, "verified_via": "", **values})


def test_the_data_migration_verified_the_organisations_registered_before():
    from importlib import import_module
    from django.apps import apps as global_apps
    migration = import_module("applications.migrations.0013_organisation_verification")
    org = provisional().organisation
    migration.verify_existing(global_apps, None)
    org.refresh_from_db()
    assert (org.verification, org.verified_via) == (Verification.VERIFIED, VerifiedVia.LEGACY)
