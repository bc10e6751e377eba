"""An objection counts only once its e-mail address is confirmed (SPEC §7; review.national.objection_submit and
objection_confirm): until then nobody but the sender is mailed, CNIPA sees nothing, it is in no list or count; an
unconfirmed one expires, and never counts if confirmed after the period. Files are bounded per objection and per
client address and day."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from navportal.demo.content import TINY_PDF
from navportal.errors import PortalError
from navportal.models import Message
from review import national, previews
from review.models import Objection
from tests.conftest import confirmation_link
from tests.review.test_national import handed_in, person  # noqa: F401 - fixtures
from tests.review.test_public import cnipa, form_data, object_url, open_notice, public, shift  # noqa: F401
from tests.mail_helpers import deliver_mail, drain_mail


def test_an_objection_sent_counts_for_nothing_until_its_address_is_confirmed(open_notice, cnipa, public):
    notice, entries = open_notice
    drain_mail()  # the notice's own mails: this test looks at the objection's
    messages = Message.objects.count()
    assert public.post(object_url(entries[0]), form_data()).status_code == 302
    objection = Objection.objects.get()
    assert (objection.confirmed_at, objection.reference) == (None, None)
    # One mail, to the address typed, with the link; nobody else told.
    assert [m.to for m in deliver_mail()] == [["zhao@example.cn"]]
    assert "Confirm your objection" in deliver_mail()[0].subject
    assert Message.objects.count() == messages
    # CNIPA does not see it: not on the notice's page, not as a page of its own, not in the final list's check.
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(cnipa)
    assert staff.get(reverse("notice_manage", args=[notice.call_id])).context["objections"] == []
    assert staff.get(reverse("objection_detail", args=[objection.pk])).status_code == 404
    with pytest.raises(PortalError):
        national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="dismissed", note="x")
    plan = previews.final_plan(notice, document_number="1号", document_date=timezone.localdate(),
                               now=timezone.now() + datetime.timedelta(days=30))
    assert "objections" not in {refusal.code for refusal in plan.refusals}
    # The link: a GET changes nothing (a mail scanner opening it), the POST confirms, a second POST is no second effect.
    link = confirmation_link(deliver_mail()[0])
    assert public.get(link).status_code == 200
    assert Objection.objects.get().confirmed_at is None
    response = public.post(link, follow=True)
    objection = Objection.objects.get()
    assert objection.confirmed_at is not None and objection.reference in response.content.decode()
    assert Message.objects.filter(recipient=cnipa, subject__contains=entries[0].name).count() == 1
    assert public.post(link).status_code == 302
    assert Message.objects.filter(recipient=cnipa, subject__contains=entries[0].name).count() == 1
    assert Objection.objects.confirmed().count() == 1
    assert staff.get(reverse("objection_detail", args=[objection.pk])).status_code == 200


def test_a_link_that_expired_or_came_after_the_period_does_not_count(open_notice):
    notice, entries = open_notice
    now = timezone.now()
    late = national.objection_submit(**person(entries[0]), now=now)
    with pytest.raises(PortalError) as caught:
        national.objection_confirm(token=late.confirmation_token,
                                   now=now + datetime.timedelta(hours=national.OBJECTION_CONFIRM_HOURS, seconds=1))
    assert caught.value.code == "expired"
    # Sent on the last day, confirmed after the period ended (within its hours): refused, never counted.
    shift(notice, -5, 0)
    last_evening = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(23, 0)))
    sent = national.objection_submit(**person(entries[1]), now=last_evening)
    with pytest.raises(PortalError) as caught:
        national.objection_confirm(token=sent.confirmation_token, now=last_evening + datetime.timedelta(hours=2))
    assert caught.value.code == "period"
    with pytest.raises(PortalError) as caught:
        national.objection_confirm(token="not-a-token")
    assert caught.value.code == "not_found"
    assert not Objection.objects.confirmed().exists()


def test_expired_unconfirmed_objections_are_purged_with_their_files(open_notice, django_capture_on_commit_callbacks):
    _notice, entries = open_notice
    now = timezone.now()
    old = national.objection_submit(**person(entries[0], kind="organisation", signature=""),
                                    letter=SimpleUploadedFile("函.pdf", TINY_PDF, "application/pdf"))
    fresh = national.objection_submit(**person(entries[1]))
    storage, name = old.letter.storage, old.letter.name
    assert storage.exists(name)
    Objection.objects.filter(pk=old.pk).update(confirm_by=now - datetime.timedelta(hours=6))
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the deletion is committed
        call_command("purge_objections", stdout=open("/dev/null", "w"))
    assert list(Objection.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not storage.exists(name)


def test_the_service_checks_the_phone_format_too(open_notice):
    _notice, entries = open_notice
    with pytest.raises(PortalError) as caught:
        national.objection_submit(**person(entries[0], phone="12345"))
    assert caught.value.code == "invalid"


def test_files_are_bounded_per_objection_and_per_address_and_day(open_notice, settings, monkeypatch):
    _notice, entries = open_notice
    settings.UPLOAD_MAX_BYTES = 30 * 1024 * 1024
    big = TINY_PDF[:-6] + b" " * (11 * 1024 * 1024) + TINY_PDF[-6:]
    with pytest.raises(PortalError) as caught:
        national.objection_submit(**person(entries[0], kind="organisation", signature=""), ip="203.0.113.9",
                                  letter=SimpleUploadedFile("a.pdf", big), evidence=SimpleUploadedFile("b.pdf", big))
    assert caught.value.code == "file"
    assert not Objection.objects.exists()
    # Per address and day: the files already stored today from that address count.
    monkeypatch.setattr(national, "OBJECTION_FILES_PER_ADDRESS_DAY", len(TINY_PDF) * 2)
    for _ in range(2):
        national.objection_submit(**person(entries[0]), ip="203.0.113.9",
                                  evidence=SimpleUploadedFile("e.pdf", TINY_PDF))
    with pytest.raises(PortalError) as caught:
        national.objection_submit(**person(entries[0]), ip="203.0.113.9", evidence=SimpleUploadedFile("e.pdf", TINY_PDF))
    assert caught.value.code == "file_quota"
    national.objection_submit(**person(entries[0]), ip="203.0.113.10", evidence=SimpleUploadedFile("e.pdf", TINY_PDF))
    national.objection_submit(**person(entries[0]), ip="203.0.113.9")  # without files: still accepted
    response = Client(REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="en").post(object_url(entries[1]), form_data(
        evidence=SimpleUploadedFile("e.pdf", TINY_PDF)))
    assert response.status_code == 400
    assert "at most" in response.content.decode() and "a day can be stored" in response.content.decode()
