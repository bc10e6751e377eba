"""The review pages through the test client: decisions, the package page, the summary sheet."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from applications.enums import Affiliation, ApplicantType, State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from review import services
from review.models import Package
from tests.conftest import make_applicant


@pytest.fixture
def province(reviewers):
    return reviewers["province_js"]


def test_decision_forms_follow_permissions(client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    client.force_login(reviewers["city_nanjing"])
    response = client.get(reverse("review_application", args=[application.pk]))
    assert sorted(response.context["decisions"]) == ["city_consent", "city_decline", "return"]
    client.force_login(reviewers["province_js"])  # visible to the province, but not its desk yet
    response = client.get(reverse("review_application", args=[application.pk]))
    assert response.context["decisions"] == {}


def test_decline_without_reason_keeps_the_form_and_changes_nothing(client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    client.force_login(reviewers["city_nanjing"])
    response = client.post(reverse("review_decide", args=[application.pk, "city_decline"]),
                           {"city_decline-reason": ""})
    assert response.status_code == 400
    assert response.context["decisions"]["city_decline"].errors
    assert Application.objects.get(pk=application.pk).state == State.CITY_REVIEW


def test_consent_through_the_page(client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    client.force_login(reviewers["city_nanjing"])
    response = client.post(reverse("review_decide", args=[application.pk, "city_consent"]), {"city_consent-note": ""})
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).state == State.PROVINCE_REVIEW


@pytest.mark.parametrize("name, args", [
    ("review_decide", ["city_consent"]), ("review_decide", ["recommend"]), ("review_claim", ["exemption"])])
def test_decisions_outside_scope_are_404_and_refuse_get(client, reviewers, applicant, submitted, name, args):
    application = submitted(applicant)
    url = reverse(name, args=[application.pk, *args])
    client.force_login(reviewers["province_zj"])
    assert client.post(url, {}).status_code == 404
    client.force_login(reviewers["province_js"])
    assert client.get(url).status_code == 405


def test_recommend_at_the_limit_shows_the_refusal(english, client, province, submitted):
    apps = [submitted(make_applicant(f"示例·园区{i}", f"p{i}")) for i in range(4)]
    client.force_login(province)
    for application in apps[:3]:
        client.post(reverse("review_decide", args=[application.pk, "recommend"]), {"recommend-opinion": "同意"})
    response = client.post(reverse("review_decide", args=[apps[3].pk, "recommend"]),
                           {"recommend-opinion": "同意推荐该园区"})
    assert response.status_code == 409
    assert "quota" in " ".join(str(m) for m in response.context["messages"])
    assert "同意推荐该园区" in response.content.decode()


def test_the_package_page_before_any_recommendation_makes_no_package(english, client, province, submitted, call):
    """Opening the package page shows it as it will be — the quota, what waits at the desk — without a row
    (a GET changes nothing, issue 18); the first recommendation makes the package, with its quota slots."""
    application = submitted(make_applicant("示例·园区", "p0"))
    client.force_login(province)
    response = client.get(reverse("package_current"))
    page = response.content.decode()
    assert (response.status_code, Package.objects.count()) == (200, 0)
    assert "0 / 3" in page and application.name in page and "made with your first recommendation" in page
    assert reverse("review_application", args=[application.pk]) in page
    client.post(reverse("review_decide", args=[application.pk, "recommend"]), {"recommend-opinion": "同意"})
    package = Package.objects.get()
    assert (package.quota, package.slots.count(), package.recommendations.count()) == (3, 3, 1)
    assert client.get(reverse("package_current")).url == reverse("package_detail", args=[package.pk])


def test_package_page_meter_and_moves(client, province, submitted, call):
    apps = [submitted(make_applicant(f"示例·园区{i}", f"p{i}")) for i in range(3)]
    for application in apps:
        services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    package = Package.objects.get()
    client.force_login(province)
    response = client.get(reverse("package_current"))
    assert response.url == reverse("package_detail", args=[package.pk])
    response = client.get(response.url)
    assert (response.context["counted"], response.context["exempt"]) == (3, 0)
    assert "3 / 3" in response.content.decode()
    last = package.recommendations.get(rank=3)
    response = client.post(reverse("package_move", args=[package.pk, last.pk, "up"]))
    assert package.recommendations.get(pk=last.pk).rank == 2
    # Back to the button just pressed, which the page's script focuses again for the keyboard user.
    assert response.url == reverse("package_detail", args=[package.pk]) + f"#move-{last.pk}-up"
    order = list(package.recommendations.order_by("-rank").values_list("pk", flat=True))
    client.post(reverse("package_rank", args=[package.pk]), {"order": ",".join(map(str, order))})
    assert list(package.recommendations.order_by("rank").values_list("pk", flat=True)) == order


def test_package_of_another_province_is_404(client, reviewers, province, submitted):
    application = submitted(make_applicant("示例·园区", "p0"))
    services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    package = Package.objects.get()
    for user in (reviewers["province_zj"], reviewers["ministry_moe"], reviewers["city_suzhou"]):
        client.force_login(user)
        for url in (reverse("package_detail", args=[package.pk]), reverse("package_export", args=[package.pk])):
            assert client.get(url).status_code == 404
        assert client.post(reverse("package_submit", args=[package.pk])).status_code == 404
    client.force_login(reviewers["national"])
    assert client.get(reverse("package_detail", args=[package.pk])).status_code == 200


def test_package_page_query_count_is_constant(client, province, submitted):
    def count(n):
        for i in range(n):
            application = submitted(make_applicant(f"示例·园区{n}{i}", f"p{n}{i}"))
            services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
        client.force_login(province)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("package_detail", args=[Package.objects.get().pk])).status_code == 200
        return len(queries)
    one = count(1)
    three = count(2)
    assert one == three <= 20


def test_letter_must_be_a_pdf(client, province, submitted):
    application = submitted(make_applicant("示例·园区", "p0"))
    services.application_recommend(actor=province, application_id=application.pk, opinion="同意")
    package = Package.objects.get()
    client.force_login(province)
    response = client.post(reverse("package_letter", args=[package.pk]),
                           {"letter": SimpleUploadedFile("letter.pdf", b"<html>not a pdf</html>")})
    assert response.status_code == 400 and not Package.objects.get().letter
    client.post(reverse("package_letter", args=[package.pk]), {"letter": SimpleUploadedFile("推荐函.pdf", TINY_PDF)})
    package.refresh_from_db()
    assert package.letter_name == "推荐函.pdf"
    response = client.get(reverse("package_letter_download", args=[package.pk]))
    assert b"".join(response.streaming_content) == TINY_PDF


def test_summary_sheet_cell_by_cell(client, province, complete, call):
    evil = make_applicant("=HYPERLINK(\"http://x\",\"点我\")", "evil")
    application = complete(evil, values={"contact_mobile": "13900000000", "industry_fields": "+集成电路"})
    from applications import services as applicant_services
    assert applicant_services.application_submit(actor=evil, application_id=application.pk) == []
    services.application_recommend(actor=province, application_id=application.pk, opinion="@同意推荐", score=88)
    package = Package.objects.get()
    client.force_login(province)
    response = client.get(reverse("package_export", args=[package.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "推荐汇总表"
    assert sheet.freeze_panes == "A3"
    headers = [c.value for c in sheet[2]]
    assert headers == ["序号", "推荐排序", "申报主体名称", "统一社会信用代码", "主体类型", "隶属关系", "所在地市", "重点产业领域",
                       "是否占用名额", "免占名额类别及认定文件", "是否地方专利导航服务基地(优先推荐)及文号", "专利导航人员数",
                       "服务次数", "联系人", "联系电话", "推荐意见", "备注"]
    row = [c.value for c in sheet[3]]
    with translation.override("zh-hans"):
        kind, affiliation = str(ApplicantType.NATIONAL_PARK.label), str(Affiliation.CITY.label)
    assert row == [1, 1, "=HYPERLINK(\"http://x\",\"点我\")", evil.organisation.credit_code, kind, affiliation,
                   "苏州市", "+集成电路", "是", None, "否", 5, 5, "李联络", "13900000000", "@同意推荐", "评分 88.0"]
    assert sheet["C3"].data_type == "s" and sheet["H3"].data_type == "s" and sheet["P3"].data_type == "s"
    assert sheet.column_dimensions["C"].width == 30
    footer = {r[0].value: r[1].value for r in sheet.iter_rows(min_row=5) if r[0].value}
    assert footer["推荐单位"] == "江苏省" and footer["填报人"] == "prov-js"
    assert footer["日期"].date() == timezone.localdate()


def test_claim_matching_the_registry_is_shown_pre_verified(client, reviewers, applicant, submitted):
    import datetime
    from review.models import RegistryEntry
    application = submitted(applicant)
    Application.objects.filter(pk=application.pk).update(exempt_category="protection_centre")
    RegistryEntry.objects.create(kind="protection_centre", name=application.name, document_number="国知发〔2020〕5号",
                                 designated_on=datetime.date(2020, 1, 1))
    for who, shown in (("province_js", True), ("national", True)):
        client.force_login(reviewers[who])
        response = client.get(reverse("review_application", args=[application.pk]))
        assert (response.context["registry"]["exemption"] is not None) == shown
        assert "国知发〔2020〕5号" in response.content.decode()


def test_the_detail_page_refuses_outside_the_scope_as_the_scoped_query_did_and_records_it(
        client, reviewers, applicant, submitted, complete):
    """The page reads the application by its id (a compiled query) and holds it against the scope's rules on the
    row (applications.selectors.in_scope): another province's reviewer and a draft get the same 404, recorded as a
    refused access; an id that names nothing is not recorded."""
    from navportal.models import AuditEvent

    application = submitted(applicant)  # Jiangsu
    draft = complete(make_applicant("示例·草稿园区", "draft-park"))
    client.force_login(reviewers["province_js"])
    assert client.get(reverse("review_application", args=[application.pk])).status_code == 200
    assert client.get(reverse("review_application", args=[draft.pk])).status_code == 404
    client.force_login(reviewers["province_zj"])
    assert client.get(reverse("review_application", args=[application.pk])).status_code == 404
    assert client.get(reverse("review_application", args=[999999])).status_code == 404
    notes = sorted(AuditEvent.objects.filter(action="access_denied").values_list("actor__username", "note"))
    assert [(actor, note.split()[0]) for actor, note in notes] == [
        ("prov-js", f"applications.application#{draft.pk}"), ("prov-zj", f"applications.application#{application.pk}")]


def test_every_decision_has_its_label_and_kind_of_button():
    from review.views import DECISIONS

    assert all(decision.label and decision.done for decision in DECISIONS.values())
    assert {action for action, decision in DECISIONS.items() if decision.forward} == {
        "city_consent", "recommend", "recheck_pass", "unit_resubmit"}


def test_a_decisions_confirmation_is_in_the_reviewers_language(client, reviewers, city_institution, submitted,
                                                                english):
    """The words after a decision are read in the language of the request, not in the one active when the
    module was first imported (in production, that of the first request a server answers): each decision's words
    are read when shown."""
    from django.contrib.messages import get_messages
    from django.urls import reverse
    from django.utils import translation

    from review.views import DECISIONS

    for decision in DECISIONS.values():
        with translation.override("zh-hans"):
            chinese = (str(decision.done), str(decision.label))
        with translation.override("en"):
            assert (str(decision.done), str(decision.label)) != chinese

    application = submitted(city_institution)  # Nanjing: at the city's desk
    client.force_login(reviewers["city_nanjing"])
    response = client.post(reverse("review_decide", args=[application.pk, "city_consent"]),
                           {"city_consent-note": "同意"})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Consented; the application is now with the province."]
