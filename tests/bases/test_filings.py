"""The base's filings (issue 19.2): the construction plan filed once and checked by the supervising bureau, projects
filed with their GB/T 39551 type, stages and evidence of use, services and training — each check by the bureau in
scope, exemplary cases by CNIPA, everything through the one writer."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from bases import filings, services
from bases.models import ConstructionPlan, FilingState, Project
from navportal.demo.content import TINY_PDF
from navportal.errors import PortalError
from navportal.models import AuditEvent, Message

pytestmark = pytest.mark.django_db


def pdf(name="方案.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, "application/pdf")


def days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


def project_values(**overrides):
    return {"title": "新能源汽车产业规划类专利导航", "need": "支撑市级产业链规划", "client_kind": "authority",
            "client": "某市工业和信息化局", "project_type": "industry", "service_body": "某知识产权服务公司",
            "funding": "45.5", "funding_source": "市财政专项", "approved_on": days_ago(1), "tendered_on": None,
            "started_on": None, "accepted_on": None, "deliverables": [], **overrides}


@pytest.fixture
def base(designated):
    return designated[0]


@pytest.fixture
def member(base):
    return base.organisation.members.get()


def test_the_plan_is_filed_once_checked_by_its_province_and_filed_again_when_returned(base, member, reviewers):
    province = reviewers["province_js"]
    with pytest.raises(PortalError) as exc:
        filings.plan_file(actor=member, base_id=base.pk, summary="需求对接、组织管理、应用推广三项任务。")
    assert exc.value.code == "required"  # the PDF
    plan = filings.plan_file(actor=member, base_id=base.pk, summary="三项任务。", upload=pdf())
    assert plan.state == FilingState.FILED and plan.file.storage.exists(plan.file.name)
    assert Message.objects.filter(recipient=province, link=f"/review/bases/{base.pk}/",
                                  subject__contains=base.name).exists()
    with pytest.raises(PortalError) as exc:  # once
        filings.plan_file(actor=member, base_id=base.pk, summary="again", upload=pdf())
    assert exc.value.code == "state"
    with pytest.raises(PortalError):  # a return gives its reasons
        filings.plan_check(actor=province, base_id=base.pk, acknowledge=False, note="")
    filings.plan_check(actor=province, base_id=base.pk, acknowledge=False, note="缺少年度目标。")
    first_file = ConstructionPlan.objects.get(base=base).file.name
    plan = filings.plan_file(actor=member, base_id=base.pk, summary="三项任务，含年度目标。")  # the PDF kept
    assert (plan.state, plan.file.name, plan.check_note) == (FilingState.FILED, first_file, "")
    filings.plan_check(actor=province, base_id=base.pk, acknowledge=True)
    assert ConstructionPlan.objects.get(base=base).state == FilingState.ACKNOWLEDGED
    assert list(AuditEvent.objects.filter(action__startswith="base_plan").order_by("id").values_list(
        "action", "from_state", "to_state")) == [
        ("base_plan_file", "", "filed"), ("base_plan_check", "filed", "returned"),
        ("base_plan_file", "returned", "filed"), ("base_plan_check", "filed", "acknowledged")]


@pytest.mark.parametrize("who", ["prov_zj", "city_suzhou", "ministry_moe", "national"])
def test_only_the_supervising_bureau_checks(base, member, reviewers, who):
    filings.plan_file(actor=member, base_id=base.pk, summary="三项任务。", upload=pdf())
    actor = reviewers.get(who) or reviewers["province_js"]
    if who == "prov_zj":
        from navportal.models import Province
        from tests.conftest import make_user
        actor = make_user("prov-zj-filings", "province", province=Province.objects.get(code="330000"))
    with pytest.raises(PortalError) as exc:
        filings.plan_check(actor=actor, base_id=base.pk, acknowledge=True)
    assert exc.value.code in ("forbidden", "not_found")
    assert ConstructionPlan.objects.get(base=base).state == FilingState.FILED


def test_a_project_follows_its_stages_and_its_results_in_use_need_acceptance_and_evidence(base, member, reviewers,
                                                                                         cnipa):
    province = reviewers["province_js"]
    project = filings.project_save(actor=member, base_id=base.pk, values=project_values())
    assert (project.stage, project.funding, project.in_use) == ("approved", Decimal("45.50"), False)
    for bad in ({"tendered_on": days_ago(2)},                       # before its approval
                {"accepted_on": days_ago(0)},                       # accepted without running
                {"started_on": days_ago(0), "accepted_on": days_ago(0)},  # accepted without deliverables
                {"approved_on": timezone.localdate() + datetime.timedelta(days=1)},  # in the future
                {"project_type": "patent_search"}, {"client_kind": "someone"}, {"funding": "-1"}, {"title": " "}):
        with pytest.raises(PortalError):
            filings.project_save(actor=member, base_id=base.pk, project_id=project.pk, values=project_values(**bad))
    with pytest.raises(PortalError):  # evidence of use before acceptance
        filings.project_save(actor=member, base_id=base.pk, project_id=project.pk, values=project_values(),
                             evidence=pdf("证明.pdf"))
    filings.project_check(actor=province, base_id=base.pk, project_id=project.pk, acknowledge=True)
    filings.project_exemplary(actor=cnipa, base_id=base.pk, project_id=project.pk, exemplary=True)
    accepted = project_values(tendered_on=days_ago(1), started_on=days_ago(1), accepted_on=days_ago(0),
                              deliverables=["report", "database", "report"])
    project = filings.project_save(actor=member, base_id=base.pk, project_id=project.pk, values=accepted,
                                   evidence=pdf("成果应用证明.pdf"))
    # Changed: filed again, to be checked again, and no longer an exemplary case until CNIPA says so again.
    assert (project.stage, project.state, project.exemplary_at, project.deliverables) == (
        "accepted", FilingState.FILED, None, ["report", "database"])
    assert not project.in_use
    filings.project_check(actor=province, base_id=base.pk, project_id=project.pk, acknowledge=True)
    assert Project.objects.get(pk=project.pk).in_use


def test_exemplary_cases_are_cnipa_s_and_only_of_checked_projects(base, member, reviewers, cnipa):
    project = filings.project_save(actor=member, base_id=base.pk, values=project_values())
    with pytest.raises(PortalError) as exc:
        filings.project_exemplary(actor=cnipa, base_id=base.pk, project_id=project.pk, exemplary=True)
    assert exc.value.code == "state"
    filings.project_check(actor=reviewers["province_js"], base_id=base.pk, project_id=project.pk, acknowledge=True)
    with pytest.raises(PortalError) as exc:
        filings.project_exemplary(actor=reviewers["province_js"], base_id=base.pk, project_id=project.pk,
                                  exemplary=True)
    assert exc.value.code == "forbidden"
    with pytest.raises(IntegrityError), transaction.atomic():  # the database keeps it too
        Project.objects.filter(pk=project.pk).update(state=FilingState.FILED, exemplary_at=timezone.now())


def test_services_and_training_are_filed_and_checked(base, member, reviewers):
    with pytest.raises(PortalError):
        filings.service_file(actor=member, base_id=base.pk, kind="training", title="专利导航实务培训",
                             held_on=base.designated_on - datetime.timedelta(days=1), participants=60)
    with pytest.raises(PortalError):  # the service bounds the count, not only its form
        filings.service_file(actor=member, base_id=base.pk, kind="training", title="专利导航实务培训",
                             held_on=timezone.localdate(), participants=3_000_000_000)
    service = filings.service_file(actor=member, base_id=base.pk, kind="training", title="专利导航实务培训",
                                   held_on=timezone.localdate(), participants=60)
    filings.service_check(actor=reviewers["province_js"], base_id=base.pk, service_id=service.pk, acknowledge=True)
    service.refresh_from_db()
    assert service.state == FilingState.ACKNOWLEDGED


def test_a_revoked_base_files_nothing_more(base, member, cnipa):
    services.base_revoke(actor=cnipa, base_id=base.pk, document_number="国知办发〔2027〕1号",
                         document_date=timezone.localdate(), reason="撤销")
    with pytest.raises(PortalError) as exc:
        filings.project_save(actor=member, base_id=base.pk, values=project_values())
    assert exc.value.code == "state" and not Project.objects.exists()
    with pytest.raises(PortalError):
        filings.plan_file(actor=member, base_id=base.pk, summary="x", upload=pdf())
    assert not ConstructionPlan.objects.exists()


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_stored(base, member):
    with pytest.raises(PortalError) as exc:
        filings.plan_file(actor=member, base_id=base.pk, summary="x",
                          upload=SimpleUploadedFile("方案.pdf", b"<html>not a pdf</html>", "application/pdf"))
    assert exc.value.code == "file" and not ConstructionPlan.objects.exists()
