"""Each decision tells the applicant and the next actor: an in-portal message and one e-mail each."""

import pytest

from navportal.models import Message
from review import services


@pytest.fixture
def at_city(city_institution, submitted):
    return submitted(city_institution)


def inbox(user):
    return list(Message.objects.filter(recipient=user).values_list("subject", flat=True))


@pytest.mark.parametrize("decide, applicant_told, reviewer", [
    (lambda r, a: services.application_city_consent(actor=r["city_nanjing"], application_id=a.pk), 1, "province_js"),
    (lambda r, a: services.application_city_decline(actor=r["city_nanjing"], application_id=a.pk, reason="否"), 1,
     None),
    (lambda r, a: services.application_return(actor=r["city_nanjing"], application_id=a.pk, reason="补"), 1, None),
])
def test_city_decisions_notify(reviewers, at_city, city_institution, mailoutbox, django_capture_on_commit_callbacks,
                               decide, applicant_told, reviewer):
    before = len(inbox(city_institution))
    mailoutbox.clear()  # the submission's own mails
    with django_capture_on_commit_callbacks(execute=True):
        decide(reviewers, at_city)
    assert len(inbox(city_institution)) - before == applicant_told
    recipients = sorted(m.to[0] for m in mailoutbox)
    expected = sorted([city_institution.email] + ([reviewers[reviewer].email] if reviewer else []))
    assert recipients == expected  # one e-mail each, never two about one decision


def test_hand_in_tells_cnipa_and_the_applicant(reviewers, applicant, submitted, mailoutbox,
                                               django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from navportal.demo.content import TINY_PDF
    from review.models import Package
    application = submitted(applicant)
    province = reviewers["province_js"]
    services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    package = Package.objects.get()
    services.package_attach_letter(actor=province, package_id=package.pk, upload=SimpleUploadedFile("l.pdf", TINY_PDF))
    mailoutbox.clear()  # the submission's and the recommendation's own mails
    with django_capture_on_commit_callbacks(execute=True):
        services.package_submit(actor=province, package_id=package.pk)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([applicant.email, reviewers["national"].email])


def test_each_recipient_reads_the_mail_in_their_own_language(reviewers, at_city, city_institution, mailoutbox):
    """The city consents (in Chinese, the portal's default): the province's reviewer, who chose English, reads the
    "on your desk" mail and message in English; the applicant reads Chinese. So does a withdrawal's desk."""
    province = reviewers["province_js"]
    province.language = "en"
    province.save(update_fields=["language"])
    mailoutbox.clear()
    services.application_city_consent(actor=reviewers["city_nanjing"], application_id=at_city.pk)
    mails = {m.to[0]: m for m in mailoutbox}
    assert f"The city bureau consented to {at_city.name}; it is on your desk." in mails[province.email].body
    assert "地市知识产权局已同意您的申请，申请已转至省级知识产权局。" in mails[city_institution.email].body
    # The message in the portal too: each in its reader's language.
    assert Message.objects.filter(recipient=province).latest("pk").body == (
        f"The city bureau consented to {at_city.name}; it is on your desk.")
    mailoutbox.clear()
    from applications import services as applicant_services
    applicant_services.application_withdraw(actor=city_institution, application_id=at_city.pk, reason="不再申报")
    (withdrawn,) = [m for m in mailoutbox if m.to == [province.email]]
    assert f"{at_city.name} withdrew its application; it has left your desk." in withdrawn.body



def test_a_reason_is_mailed_as_written_even_with_template_syntax(reviewers, at_city, city_institution, mailoutbox):
    """What a reviewer types reaches the applicant as typed: the outbox stores the mail already written, and never
    compiles it again as a template (which ate `{{ … }}` and failed the decision on a stray `{%`)."""
    reason = "请补充 {{ 证明 }} 与 {% 附件 %}，{# 见通知 #}"
    mailoutbox.clear()
    services.application_city_decline(actor=reviewers["city_nanjing"], application_id=at_city.pk, reason=reason)
    (mail,) = [m for m in mailoutbox if m.to == [city_institution.email]]
    assert reason in mail.body
