"""The filings' pages (issue 19.2): the base files its plan, a project and a training from its own page; the
supervising bureau checks them on the base's page; CNIPA marks an exemplary case, which the public page of cases
shows without anybody's personal data; the files go only to the base and the officials in scope."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bases.models import ConstructionPlan, FilingState, Project, PublicService
from navportal.demo.content import TINY_PDF
from navportal.models import Province
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def today(days=0):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


PROJECT = {"title": "集成电路产业规划类专利导航", "need": "摸清产业链专利布局", "client_kind": "authority",
           "client": "某市发展和改革委员会", "project_type": "industry", "service_body": "某专利导航服务机构",
           "funding": "30", "funding_source": "市级专项资金", "approved_on": today(-1)}


def test_the_base_files_and_the_province_checks_and_cnipa_marks_a_case(client, designated, reviewers, cnipa):
    base = designated[0]
    member = base.organisation.members.get()
    client.force_login(member)
    page = client.get(reverse("own_base")).content.decode()
    assert reverse("base_plan_edit", args=[base.pk]) in page and reverse("base_project_new", args=[base.pk]) in page

    response = client.post(reverse("base_plan_edit", args=[base.pk]), {"summary": "三项任务安排。"})
    assert response.status_code == 400 and "三项任务安排。" in response.content.decode()  # kept; the PDF asked for
    response = client.post(reverse("base_plan_edit", args=[base.pk]), {
        "summary": "三项任务安排。", "file": SimpleUploadedFile("建设方案.pdf", TINY_PDF, "application/pdf")})
    assert response.status_code == 302 and ConstructionPlan.objects.get(base=base).file_name == "建设方案.pdf"

    response = client.post(reverse("base_project_new", args=[base.pk]), {**PROJECT, "accepted_on": today()})
    assert response.status_code == 400  # accepted without running: said, and what was typed kept
    assert "摸清产业链专利布局" in response.content.decode()
    assert client.post(reverse("base_project_new", args=[base.pk]), PROJECT).status_code == 302
    project = Project.objects.get(base=base)
    assert client.post(reverse("base_service_new", args=[base.pk]), {
        "kind": "training", "title": "专利导航培训班", "held_on": today(), "participants": "80"}).status_code == 302

    client.force_login(reviewers["province_js"])
    page = client.get(reverse("base_detail", args=[base.pk])).content.decode()
    assert "集成电路产业规划类专利导航" in page and "专利导航培训班" in page and "建设方案.pdf" in page
    assert client.post(reverse("base_plan_check", args=[base.pk]), {"decision": "return"}).status_code == 400
    assert client.post(reverse("base_plan_check", args=[base.pk]), {"decision": "acknowledge"}).status_code == 302
    assert client.post(reverse("base_project_check", args=[base.pk, project.pk]),
                       {"decision": "acknowledge"}).status_code == 302
    service = PublicService.objects.get(base=base)
    assert client.post(reverse("base_service_check", args=[base.pk, service.pk]),
                       {"decision": "acknowledge"}).status_code == 302
    assert client.get(reverse("base_plan_file", args=[base.pk])).status_code == 200

    client.force_login(cnipa)
    assert client.post(reverse("base_project_exemplary", args=[base.pk, project.pk]),
                       {"exemplary": "1"}).status_code == 302
    assert {p.state for p in Project.objects.all()} == {FilingState.ACKNOWLEDGED}

    client.logout()
    cases = client.get(reverse("exemplary_cases")).content.decode()
    assert "集成电路产业规划类专利导航" in cases and base.name in cases
    assert "某市发展和改革委员会" not in cases  # the client is the base's business, not the public's


def test_the_files_and_pages_stay_in_scope(client, designated, reviewers):
    base, other = designated[0], designated[1]
    member = base.organisation.members.get()
    client.force_login(member)
    client.post(reverse("base_plan_edit", args=[base.pk]), {
        "summary": "x", "file": SimpleUploadedFile("建设方案.pdf", TINY_PDF, "application/pdf")})
    client.force_login(other.organisation.members.get())
    assert client.get(reverse("base_plan_file", args=[base.pk])).status_code == 404
    assert client.get(reverse("base_plan_edit", args=[base.pk])).status_code == 404
    client.force_login(make_user("prov-zj-pages", "province", province=Province.objects.get(code="330000")))
    assert client.get(reverse("base_plan_file", args=[base.pk])).status_code == 404
    assert client.post(reverse("base_plan_check", args=[base.pk]), {"decision": "acknowledge"}).status_code == 404
    assert ConstructionPlan.objects.get(base=base).state == FilingState.FILED
