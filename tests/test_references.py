"""Reference numbers (受理编号): every submitted version and every accepted objection gets one, unique and readable,
shown to the applicant or objector on the confirmation page and in the mail, and to the officials where they see it.
(The race on PostgreSQL is in tests/test_concurrency.py.)"""

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationVersion
from navportal.references import reference_take
from review import services as review_services
from review.models import Objection
from tests.conftest import confirmation_link
from tests.review.test_national import handed_in, pass_all, publish  # noqa: F401 - fixtures
from tests.review.test_public import form_data, object_url, shift

REFERENCE = re.compile(r"\b(SB|YY)-(\d{4})-(\d{6})\b")


def references_in(text):
    return ["-".join(match) for match in REFERENCE.findall(text)]


def test_each_submission_gets_its_own_reference_shown_and_mailed(client, applicant, reviewers, complete, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    application = complete(applicant)
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("application_submit", args=[application.pk]), follow=True)
    year = timezone.localdate().year
    first = f"SB-{year}-000001"
    # The confirmation says it, the task list keeps it, the applicant's mail carries it.
    assert first in str(list(response.context["messages"])[0])
    assert references_in(response.content.decode()).count(first) == 2  # message and the list of versions
    mails = {mail.to[0]: mail.body for mail in mailoutbox}
    assert first in mails[applicant.email]
    # The province's desk sees the reference of the version before it.
    province = reviewers["province_js"]
    assert first in mails[province.email]
    client.force_login(province)
    assert first in client.get(reverse("review_application", args=[application.pk])).content.decode()

    # Returned and resubmitted: a new version, a new number; the desk now sees the new one.
    review_services.application_return(actor=province, application_id=application.pk, reason="请补充服务记录。")
    client.force_login(applicant)
    client.post(reverse("application_submit", args=[application.pk]))
    assert list(ApplicationVersion.objects.order_by("number").values_list("number", "reference")) == [
        (1, first), (2, f"SB-{year}-000002")]
    client.force_login(province)
    page = client.get(reverse("review_application", args=[application.pk])).content.decode()
    # The heading names the current one; the list of versions (each with its kept PDF) names both.
    heading, versions = page.split('class="reference-number"')[1:2], page.split("versions/1.pdf")[0][-400:]
    assert references_in(heading[0])[0] == f"SB-{year}-000002"
    assert first in versions and f"SB-{year}-000002" in page.split("versions/1.pdf")[1]


def test_a_refused_submission_takes_no_number(client, applicant, complete):
    application = complete(applicant, staff=2)  # too few staff: refused
    client.force_login(applicant)
    client.post(reverse("application_submit", args=[application.pk]))
    assert not ApplicationVersion.objects.exists()
    with transaction.atomic():  # the next submission is still the first
        assert reference_take("SB") == f"SB-{timezone.localdate().year}-000001"


def test_an_accepted_objection_gets_a_reference_shown_and_mailed(reviewers, handed_in, call, mailoutbox,  # noqa: F811
                                                                django_capture_on_commit_callbacks):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    notice = shift(publish(cnipa, call), -1, 5)
    entries = list(notice.entries.order_by("number"))
    public = Client(HTTP_ACCEPT_LANGUAGE="en")
    year = timezone.localdate().year
    for n, entry in enumerate(entries[:2], start=1):
        with django_capture_on_commit_callbacks(execute=True):
            response = public.post(object_url(entry), form_data(), follow=True)
        # Sent, not yet confirmed: no number yet; the mail holds the link that confirms it.
        assert references_in(response.content.decode()) == []
        with django_capture_on_commit_callbacks(execute=True):
            response = public.post(confirmation_link(mailoutbox[-1]), follow=True)  # the last mail: the link
        # The confirmation page shows this objector's number, and the mail repeats it.
        assert references_in(response.content.decode()) == [f"YY-{year}-{n:06d}"]
        to_objector = [m for m in mailoutbox if m.to == ["zhao@example.cn"]][-1]
        assert f"YY-{year}-{n:06d}" in to_objector.body
    # Another visitor's confirmation page shows no one else's number.
    assert references_in(Client().get(reverse("objection_done", args=[call.pk])).content.decode()) == []
    # CNIPA sees the number on the objection and in the notice's list of objections.
    objection = Objection.objects.get(reference=f"YY-{year}-000002")
    cnipa_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    cnipa_client.force_login(cnipa)
    assert f"YY-{year}-000002" in cnipa_client.get(reverse("objection_detail", args=[objection.pk])).content.decode()
    page = cnipa_client.get(reverse("notice_manage", args=[call.pk])).content.decode()
    assert references_in(page) == [f"YY-{year}-000001", f"YY-{year}-000002"]


def test_the_database_refuses_a_duplicate_reference(applicant, submitted):
    version = ApplicationVersion.objects.get(application=submitted(applicant))
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationVersion.objects.create(application=version.application, number=2, submitted_at=timezone.now(),
                                          submitted_by=applicant, data={}, reference=version.reference)


@pytest.mark.django_db
def test_numbers_count_per_series_and_year():
    with transaction.atomic():
        at = timezone.make_aware(timezone.datetime(2026, 12, 31, 23, 30))  # China time: still 2026
        assert [reference_take("SB", now=at), reference_take("SB", now=at), reference_take("YY", now=at)] == [
            "SB-2026-000001", "SB-2026-000002", "YY-2026-000001"]
        assert reference_take("SB", now=at + timezone.timedelta(hours=1)) == "SB-2027-000001"
