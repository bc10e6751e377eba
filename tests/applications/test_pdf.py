"""The form as a PDF (issue 13): the print view laid out on the server, with the check code, and the PDF of every
submitted version laid out from its page frozen at the submission, so the sealed scan can be compared with the exact
document — at every download alike, keeping nothing (issue 18: a GET changes nothing). Each PDF is read back with
pypdf: its text, and the fonts it embeds (a Chinese text without a CJK font would print as empty boxes)."""

import io

import pytest
import weasyprint
from django.urls import reverse
from django.utils.translation import gettext
from pypdf import PdfReader

from applications import services
from applications.enums import State
from applications.models import Application, ApplicationVersion
from applications.selectors import ApplicationContent, content_fingerprint
from navportal.privacy_rules import RULES_VERSION
from review import services as review_services
from tests.conftest import resealed, version_of

NAME = "示例·苏州园区"  # the applicant fixture's organisation
TITLE = "国家级专利导航服务基地"


def pdf_of(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert body.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(body))


def text_of(reader):
    return "".join(page.extract_text() for page in reader.pages)


def fonts_of(reader):
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_the_print_view_as_a_pdf_has_the_name_and_the_check_code_in_a_cjk_font(client, applicant, complete):
    application = complete(applicant)
    fingerprint = ApplicationContent(application).fingerprint
    client.force_login(applicant)
    page = client.get(reverse("application_print", args=[application.pk])).content.decode()
    url = reverse("application_print_pdf", args=[application.pk])
    assert f'href="{url}"' in page
    assert f'href="{url}"' in client.get(reverse("application_tasks", args=[application.pk])).content.decode()

    reader = pdf_of(client.get(url))
    text = text_of(reader)
    assert NAME in text and TITLE in text and "李联络" in text
    assert text.count(fingerprint) == 2 + len(reader.pages)  # the cover, the last page, every page's foot
    assert any("CJK" in font for font in fonts_of(reader)), fonts_of(reader)
    # No toolbar in the document: only the form.
    assert gettext("Print on A4, sign, stamp with the official seal, scan as a PDF and upload it in section 7.") \
        not in text


def test_the_pdf_of_a_draft_is_the_owners_alone(client, applicant, outsider, reviewers, complete):
    application = complete(applicant)
    url = reverse("application_print_pdf", args=[application.pk])
    for user in (outsider, reviewers["province_js"], reviewers["national"]):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_a_submission_freezes_its_document_and_each_download_lays_it_out_alike(client, applicant, complete):
    """The submission freezes the page as submitted (no layout: it would hold up the submission); each download
    lays the PDF out from it, the same document every time, and keeps nothing."""
    application = complete(applicant)
    fingerprint = ApplicationContent(application).fingerprint
    assert services.application_submit(actor=applicant, application_id=application.pk) == []
    version = ApplicationVersion.objects.get(application=application)
    assert NAME in version.print_html and fingerprint in version.print_html and not version.pdf
    client.force_login(applicant)
    url = reverse("application_version_pdf", args=[application.pk, 1])
    text = text_of(pdf_of(client.get(url)))
    version.refresh_from_db()
    assert (version.pdf.name, version.pdf_failed_at) == ("", None)
    assert text_of(pdf_of(client.get(url))) == text
    assert NAME in text and fingerprint in text and content_fingerprint(version.data) == fingerprint


def test_the_kept_pdf_is_the_version_as_submitted_not_as_edited_since(
        client, applicant, reviewers, complete, english):
    """The PDF of version 1 is laid out from the page frozen at its submission: after a return and an edit, it
    still shows version 1's content and check code."""
    application = complete(applicant)
    first = ApplicationContent(application).fingerprint
    assert services.application_submit(actor=applicant, application_id=application.pk) == []
    review_services.application_return(actor=reviewers["province_js"], application_id=application.pk,
                                       reason="请补充材料", sections=["plan"])
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="plan",
                                      values={"plan_goals": "修改后的建设目标"}, lock_version=version_of(application),
                                      privacy_version=RULES_VERSION)
    edited = ApplicationContent(Application.objects.get(pk=application.pk)).fingerprint
    assert edited != first

    client.force_login(applicant)
    text = text_of(pdf_of(client.get(reverse("application_version_pdf", args=[application.pk, 1]))))
    assert first in text and edited not in text and "修改后的建设目标" not in text


def test_a_failed_layout_is_said_plainly_and_the_next_download_lays_it_out(client, applicant, complete, monkeypatch):
    application = complete(applicant)
    assert services.application_submit(actor=applicant, application_id=application.pk) == []
    client.force_login(applicant)
    url = reverse("application_version_pdf", args=[application.pk, 1])

    def broken(*args, **kwargs):
        raise OSError("no pango")

    with monkeypatch.context() as patched:
        patched.setattr(weasyprint.HTML, "write_pdf", broken)
        response = client.get(url, follow=True)
    assert response.redirect_chain[0][0] == reverse("application_tasks", args=[application.pk])
    assert "提交本身不受影响" in response.content.decode() or "not affected" in response.content.decode()
    assert Application.objects.get(pk=application.pk).state == State.PROVINCE_REVIEW
    version = ApplicationVersion.objects.get(application=application)
    assert (version.pdf.name, version.pdf_failed_at) == ("", None)  # nothing written by the failed download

    assert NAME in text_of(pdf_of(client.get(url)))


def test_a_versions_pdf_is_downloaded_within_scope_only(client, applicant, outsider, reviewers, submitted):
    application = submitted(applicant)
    url = reverse("application_version_pdf", args=[application.pk, 1])
    client.force_login(applicant)
    assert f'href="{url}"' in client.get(reverse("application_tasks", args=[application.pk])).content.decode()
    assert NAME in text_of(pdf_of(client.get(url)))
    assert client.get(reverse("application_version_pdf", args=[application.pk, 2])).status_code == 404
    for user, expected in [(outsider, 404), (reviewers["province_js"], 200), (reviewers["province_zj"], 404),
                           (reviewers["city_suzhou"], 404), (reviewers["ministry_moe"], 404),
                           (reviewers["national"], 200)]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected, user
        if expected == 200:
            assert NAME in text_of(pdf_of(response))
    client.force_login(reviewers["province_js"])
    page = client.get(reverse("review_application", args=[application.pk])).content.decode()
    assert f'href="{url}"' in page


def test_a_version_submitted_before_pdfs_were_kept_says_so(client, applicant, submitted, english):
    application = submitted(applicant)
    ApplicationVersion.objects.filter(application=application).update(print_html="")
    resealed(ApplicationVersion.objects.get(application=application))  # sealed so by migration 0015
    client.force_login(applicant)
    response = client.get(reverse("application_version_pdf", args=[application.pk, 1]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("application_tasks", args=[application.pk])
    assert "No PDF was kept for this version" in response.content.decode()


def test_a_pdf_kept_by_an_earlier_release_is_served_as_kept(client, applicant, submitted):
    """Versions whose PDF an earlier release kept at their first download: that file, while the seal verifies."""
    from django.core.files.base import ContentFile

    application = submitted(applicant)
    version = ApplicationVersion.objects.get(application=application)
    kept = b"%PDF-1.4\n% kept-by-an-earlier-release\n%%EOF"
    version.pdf.save("kept.pdf", ContentFile(kept))
    client.force_login(applicant)
    response = client.get(reverse("application_version_pdf", args=[application.pk, 1]))
    assert b"".join(response.streaming_content) == kept
