"""The applicant's pages through the test client: what a user types is kept, refusals are named,
and nothing of another organisation can be reached."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.enums import AttachmentKind, State
from applications.models import Application, Attachment
from navportal.demo.content import TINY_PDF
from navportal.models import AuditEvent, Province
from navportal.privacy_rules import RULES_VERSION
from review.models import Call, ProvinceDeadline
from tests.conftest import PASSWORD, make_applicant, read_rows, version_of

# A real 1×1 PNG: the upload check reads its header (its declared pixels), so a made-up one is refused.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def draft(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    # The personal information rules acknowledged already (their own tests: tests/test_privacy_rules.py).
    Application.objects.filter(pk=application.pk).update(privacy_version=RULES_VERSION)
    return Application.objects.get(pk=application.pk)


def section_url(application, key):
    return reverse("application_section", args=[application.pk, key])


def test_pledge_comes_before_the_first_section(client, applicant, call):
    client.force_login(applicant)
    response = client.post(reverse("application_start", args=[call.pk]))
    application = Application.objects.get(organisation=applicant.organisation)
    assert response.url == reverse("application_tasks", args=[application.pk])
    assert client.get(section_url(application, "basic")).url == reverse("application_pledge", args=[application.pk])
    response = client.post(reverse("application_pledge", args=[application.pk]), {})
    assert response.status_code == 200 and "pledge" in response.context["form"].errors
    client.post(reverse("application_pledge", args=[application.pk]), {"pledge": "on"})
    assert client.get(section_url(application, "basic")).status_code == 200


def test_draft_save_through_the_page(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(section_url(draft, "plan"), {
        "lock_version": draft.lock_version, "plan_goals": "三年目标", "plan_demand": "", "plan_organisation": "",
        "plan_promotion": ""})
    assert response.status_code == 302
    assert Application.objects.get(pk=draft.pk).plan_goals == "三年目标"


def test_stale_tab_is_refused_and_its_text_stays_on_screen(english, client, applicant, draft):
    client.force_login(applicant)
    old = draft.lock_version
    client.post(section_url(draft, "plan"), {"lock_version": old, "plan_goals": "tab one"})
    response = client.post(section_url(draft, "plan"), {"lock_version": old, "plan_goals": "tab two text"})
    assert response.status_code == 400
    assert "tab two text" in response.content.decode()
    assert "another tab" in " ".join(str(m) for m in response.context["messages"])
    assert Application.objects.get(pk=draft.pk).plan_goals == "tab one"


def test_city_outside_the_province_is_named_and_input_kept(client, applicant, draft):
    client.force_login(applicant)
    from navportal.models import City
    hangzhou = City.objects.get(code="330100")
    response = client.post(section_url(draft, "basic"), {
        "lock_version": draft.lock_version, "name": draft.name, "applicant_type": draft.applicant_type,
        "affiliation": draft.affiliation, "province": draft.province_id, "city": hangzhou.pk,
        "address": "typed address 1", "industry_fields": "集成电路"})
    assert response.status_code == 400
    assert response.context["form"].errors["city"]
    assert "typed address 1" in response.content.decode()
    # The rest of the section is stored; the place is not, as a whole (never a city of another province).
    stored = Application.objects.get(pk=draft.pk)
    assert (stored.address, stored.province_id, stored.city_id) == ("typed address 1", draft.province_id,
                                                                     draft.city_id)
    assert set(response.context["form"].errors) == {"city", "province"}


def test_upload_kept_when_another_field_is_wrong(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(section_url(draft, "claims"), {
        "lock_version": draft.lock_version, "exempt_category": "protection_centre",
        "exempt_document_date": "not a date", "exempt_document_number": "国知发〔2020〕1号",
        "exemption_document": SimpleUploadedFile("认定文件.png", PNG, "image/png")})
    assert response.status_code == 400
    assert response.context["form"].errors["exempt_document_date"]
    attachment = Attachment.objects.get(application=draft, kind=AttachmentKind.EXEMPTION_DOCUMENT)
    assert (attachment.original_name, attachment.content_type) == ("认定文件.png", "image/png")
    # The page re-renders with the new version, so the corrected save is accepted.
    assert response.context["lock_version"] == version_of(draft)
    body = response.content.decode()
    assert "国知发〔2020〕1号" in body and "认定文件.png" in body


@pytest.mark.parametrize("name, content, message", [
    ("evil.pdf", b"MZ\x90\x00 this is an executable", "not a valid"),
    ("page.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR<html><script>alert(1)</script>IEND", "not a valid"),
    ("drawing.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a valid"),
    ("broken.pdf", b"%PDF-1.4 truncated", "not a valid"),
    ("photo.jpg", TINY_PDF, None),  # a real PDF with a .jpg name is still a PDF: accepted by content
])
def test_uploads_are_checked_by_content(english, client, applicant, draft, name, content, message):
    client.force_login(applicant)
    response = client.post(section_url(draft, "claims"), {
        "lock_version": draft.lock_version, "exemption_document": SimpleUploadedFile(name, content, "image/png")})
    stored = Attachment.objects.filter(application=draft).first()
    if message:
        assert response.status_code == 400
        assert message in str(response.context["uploads"].errors["exemption_document"])
        assert stored is None
    else:
        assert stored.content_type == "application/pdf"


def test_sealed_scan_must_be_a_pdf(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(section_url(draft, "declaration"), {
        "lock_version": draft.lock_version, "sealed_scan": SimpleUploadedFile("scan.png", PNG, "image/png")})
    assert response.status_code == 400
    assert not Attachment.objects.filter(application=draft).exists()


def test_upload_size_limit_has_a_clear_message(english, client, applicant, draft, settings):
    settings.UPLOAD_MAX_BYTES = 100
    client.force_login(applicant)
    response = client.post(section_url(draft, "claims"), {
        "lock_version": draft.lock_version, "exemption_document": SimpleUploadedFile("big.pdf", TINY_PDF + b" " * 200)})
    assert "at most 100" in str(response.context["uploads"].errors["exemption_document"])


def test_rows_are_added_edited_and_removed(client, applicant, draft):
    client.force_login(applicant)
    data = {"lock_version": draft.lock_version, "department_name": "运营部", "staff-TOTAL_FORMS": "3",
            "staff-INITIAL_FORMS": "0", "staff-MIN_NUM_FORMS": "0", "staff-MAX_NUM_FORMS": "200"}
    for i, name in enumerate(["甲", "乙", ""]):
        data[f"staff-{i}-name"] = name
        data[f"staff-{i}-years"] = "3" if name else ""
    assert client.post(section_url(draft, "department"), data).status_code == 302
    assert read_rows(draft.staff, "name", flat=True) == ["甲", "乙"]
    data.update({"lock_version": version_of(draft), "staff-0-name": "甲改", "staff-1-DELETE": "on"})
    assert client.post(section_url(draft, "department"), data).status_code == 302
    assert read_rows(draft.staff, "name", flat=True) == ["甲改"]


def test_task_list_shows_status_per_section_and_problems_after_a_failed_submit(client, applicant, draft):
    client.force_login(applicant)
    client.post(section_url(draft, "plan"), {"lock_version": draft.lock_version, "plan_goals": "a",
                                             "plan_demand": "b", "plan_organisation": "c", "plan_promotion": "d"})
    client.post(section_url(draft, "conditions"), {"lock_version": version_of(draft), "funding_source": "x"})
    response = client.get(reverse("application_tasks", args=[draft.pk]))
    statuses = {t["section"].key: t["status"] for t in response.context["tasks"]}
    assert statuses == {"basic": "not_started", "department": "not_started", "mechanism": "not_started",
                        "conditions": "in_progress", "plan": "complete", "claims": "not_started",
                        "declaration": "not_started"}
    assert response.context["problems"] == []
    response = client.post(reverse("application_submit", args=[draft.pk]), follow=True)
    problems = response.context["problems"]
    assert problems and all(p.section != "plan" for p in problems)
    statuses = {t["section"].key: t["status"] for t in response.context["tasks"]}
    assert statuses["plan"] == "complete" and statuses["basic"] == "needs_attention"
    body = response.content.decode()
    assert f'{section_url(draft, "department")}#field-staff' in body
    assert Application.objects.get(pk=draft.pk).state == State.DRAFT


def test_a_flagged_section_needs_attention_until_it_is_saved_again(client, applicant, reviewers, submitted):
    from review import services as review_services

    application = submitted(applicant)
    review_services.application_return(actor=reviewers["province_js"], application_id=application.pk,
                                       reason="请核实地址。", sections=["basic"])
    client.force_login(applicant)

    def statuses():
        response = client.get(reverse("application_tasks", args=[application.pk]))
        return {t["section"].key: t["status"] for t in response.context["tasks"]}

    # Nothing the eligibility check finds is wrong with it: the reviewer's flag alone marks it.
    assert statuses() == {**dict.fromkeys(statuses(), "complete"), "basic": "needs_attention"}
    values = {f: getattr(Application.objects.get(pk=application.pk), f) for f in ("name", "address")}
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="basic",
                                      values=values, lock_version=version_of(application),
                                      privacy_version=RULES_VERSION)
    assert set(statuses().values()) == {"complete"}
    assert Application.objects.get(pk=application.pk).flagged_sections == []


def test_print_view_carries_the_check_code(client, applicant, complete):
    application = complete(applicant)
    client.force_login(applicant)
    response = client.get(reverse("application_print", args=[application.pk]))
    scan = application.attachments.get(kind=AttachmentKind.SEALED_SCAN)
    assert scan.content_fingerprint in response.content.decode()
    assert response.context["content"].fingerprint == scan.content_fingerprint


@pytest.mark.parametrize("name", ["application_tasks", "application_print", "application_pledge"])
def test_other_organisations_get_404(client, applicant, outsider, submitted, name):
    application = submitted(applicant)
    client.force_login(outsider)
    assert client.get(reverse(name, args=[application.pk])).status_code == 404


@pytest.mark.parametrize("name", ["application_submit", "application_withdraw", "application_reopen"])
def test_state_changes_refuse_get_and_outsiders(client, applicant, outsider, submitted, name):
    application = submitted(applicant)
    client.force_login(applicant)
    assert client.get(reverse(name, args=[application.pk])).status_code == 405
    client.force_login(outsider)
    assert client.post(reverse(name, args=[application.pk])).status_code == 404
    assert Application.objects.get(pk=application.pk).state == State.PROVINCE_REVIEW


def test_section_post_by_outsider_is_404_and_changes_nothing(client, outsider, draft):
    client.force_login(outsider)
    response = client.post(section_url(draft, "plan"), {"lock_version": draft.lock_version, "plan_goals": "x"})
    assert response.status_code == 404
    assert Application.objects.get(pk=draft.pk).plan_goals == ""


def test_attachment_download_only_within_scope(client, applicant, outsider, reviewers, submitted):
    application = submitted(applicant)
    url = reverse("attachment_download", args=[application.pk, AttachmentKind.SEALED_SCAN])
    client.force_login(applicant)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == TINY_PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    for user, expected in [(outsider, 404), (reviewers["province_js"], 200), (reviewers["province_zj"], 404),
                           (reviewers["city_suzhou"], 404), (reviewers["ministry_moe"], 404),
                           (reviewers["national"], 200)]:
        client.force_login(user)
        assert client.get(url).status_code == expected, user


def test_login_and_logout(client, applicant):
    response = client.post(reverse("login"), {"username": applicant.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("application_list")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("application_list")).status_code == 302


@pytest.mark.parametrize("page", ["tasks", "department", "mechanism", "print", "review"])
def test_detail_pages_keep_their_query_count_with_more_rows(client, applicant, reviewers, complete, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(rows):
        owner = make_applicant(f"示例·园区{rows}", f"owner{rows}")  # submitted applications are never deleted
        application = complete(owner, staff=rows, services_n=rows)
        if page == "review":
            assert services.application_submit(actor=owner, application_id=application.pk) == []
        user = reviewers["province_js"] if page == "review" else owner
        client.force_login(user)
        url = {"tasks": reverse("application_tasks", args=[application.pk]),
               "department": section_url(application, "department"),
               "mechanism": section_url(application, "mechanism"),
               "print": reverse("application_print", args=[application.pk]),
               "review": reverse("review_application", args=[application.pk])}[page]
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few, many = count(5), count(15)
    assert few == many <= 15


def test_a_refused_id_is_recorded_as_denied_access(client, applicant, outsider, submitted):
    from navportal.models import AuditEvent
    application = submitted(applicant)
    client.force_login(outsider)
    assert client.get(reverse("application_tasks", args=[application.pk])).status_code == 404
    assert client.get(reverse("application_tasks", args=[999999])).status_code == 404  # no such thing: no record
    [event] = AuditEvent.objects.filter(action="access_denied")
    assert (event.actor, event.result) == (outsider, "denied")
    assert f"applications.application#{application.pk}" in event.note


def test_a_second_submit_is_a_polite_no_op(client, applicant, complete):
    application = complete(applicant)
    client.force_login(applicant)
    url = reverse("application_submit", args=[application.pk])
    first = client.post(url, follow=True)
    assert [m.level_tag for m in first.context["messages"]] == ["success"]
    second = client.post(url, follow=True)           # a second tab, or a retried request
    assert [m.level_tag for m in second.context["messages"]] == ["info"]
    assert Application.objects.get(pk=application.pk).state == State.PROVINCE_REVIEW
    assert AuditEvent.objects.filter(action="application_submit").count() == 1


def test_selects_ask_to_choose_instead_of_dashes(client, applicant, draft):
    assert "---------" not in client.get(reverse("register")).content.decode()
    client.force_login(applicant)
    services.application_pledge(actor=applicant, application_id=draft.pk)
    # The rows' selects too (client kind, navigation type, full- or part-time), in the rows shown and in the
    # template a new row is made from.
    for key in ("basic", "department", "mechanism"):
        body = client.get(section_url(draft, key)).content.decode()
        assert "---------" not in body and "请选择" in body, key
    assert "---------" not in client.get(section_url(draft, "claims")).content.decode()



# --- The applicant's own deadline: the province's, if it set one -------------------------------------------

def provincial_deadline(call, code, **delta):
    return ProvinceDeadline.objects.create(call=call, province=Province.objects.get(code=code),
                                           deadline=timezone.now() + datetime.timedelta(**delta)).deadline


def test_a_call_past_the_provinces_own_deadline_is_not_offered_nor_started(english, client, applicant, call):
    """Regression: the list offered calls by the call's dates only, and starting one ignored the province's
    earlier deadline — the applicant filled a draft it could never submit."""
    provincial_deadline(call, "320000", hours=-1)
    client.force_login(applicant)
    assert client.get(reverse("application_list")).context["open_calls"] == []
    response = client.post(reverse("application_start", args=[call.pk]), follow=True)
    assert "has passed" in " ".join(str(m) for m in response.context["messages"])
    assert not Application.objects.exists()


def test_the_list_shows_the_applicants_own_deadline(client, applicant, call):
    own = provincial_deadline(call, "320000", days=3)
    client.force_login(applicant)
    [(offered, window)] = client.get(reverse("application_list")).context["open_calls"]
    assert (offered, window.closes_at) == (call, own)
    response = client.post(reverse("application_start", args=[call.pk]))
    application = Application.objects.get(organisation=applicant.organisation)
    assert response.url == reverse("application_tasks", args=[application.pk])
    assert client.get(response.url).context["deadline"] == own


def test_a_ministry_unit_ignores_its_provinces_deadline(client, ministry_unit, call):
    provincial_deadline(call, "110000", hours=-1)  # Beijing's, where the unit sits
    client.force_login(ministry_unit)
    [(offered, window)] = client.get(reverse("application_list")).context["open_calls"]
    assert (offered, window.closes_at) == (call, call.deadline)
    response = client.post(reverse("application_start", args=[call.pk]))
    assert Application.objects.filter(organisation=ministry_unit.organisation).exists()
    assert client.get(response.url).context["deadline"] == call.deadline


def test_the_list_of_calls_costs_the_same_with_more_calls(client, applicant, call, django_assert_num_queries):
    client.force_login(applicant)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(reverse("application_list")).context["open_calls"]) == 1
    now = timezone.now()
    for n in range(2):
        other = Call.objects.create(title=f"批次{n}", document_number=f"测试〔2026〕{n + 2}号",
                                    opens_at=now - datetime.timedelta(days=1), deadline=now + datetime.timedelta(days=9))
        provincial_deadline(other, "320000", days=n + 1)
    with django_assert_num_queries(len(one)):
        assert len(client.get(reverse("application_list")).context["open_calls"]) == 3
