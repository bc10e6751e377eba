"""Hostile input to every form of the bases after designation (bases/forms.py), each posted by the user who may use
it, and hostile text stored through the bases' services read back on every page and sheet that shows it.

Part 1 follows tests/test_hostile_input.py: random and hostile values (tests/hostile_strategies.py) posted through
the test client, and four properties: never a server error (the client raises the view's exception); a refused
request names a problem (a message or a field error); on a refused page every text typed is still there; an
accepted request stored the text as typed (stripped). Each example runs in a transaction rolled back afterwards
(rolled_back), so every example meets the same bases: the fixtures are made once per test, as there.

Part 2 stores script-looking and formula-looking text through the services — a project's title and need, a
rectification's detail and answer, a report's narratives and opinion, a score's reason, an indicator's name, a
revocation's document and reason — and reads it back: escaped on every page, a string cell in the results' sheet.

Between them, the regressions the search found: forms posted from a page opened before the state changed (each page
shows its form only in the state that accepts it), and hidden ids that are no id.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import event, example, given
from hypothesis import strategies as st
from openpyxl import load_workbook

from bases import assessment, filings, reports, services
from bases.forms import (
    AnswerForm, CheckForm, CloseForm, IndicatorForm, MissedForm, PeriodForm, PlanForm, ProjectForm, PublishForm,
    RectifyForm, ReportForm, ReviewForm, RevokeForm, ScoreForm, ServiceForm, ThresholdsForm,
)
from bases.models import (
    AnnualReport, AssessmentScheme, Base, BaseStatus, ConstructionPlan, FilingState, Indicator, Project,
    PublicService, Rectification, ReportingPeriod, ReportState, Score,
)
from bases.report_views import FIGURE_LABELS
from navportal.demo.content import TINY_PDF
from tests.bases.test_assessment import score_all
from tests.bases.test_filings import days_ago, pdf, project_values
from tests.bases.test_reports import NARRATIVE, hours
from tests.hostile_strategies import (
    FORMULAS, SCRIPT, assert_fits_columns, assert_refusal_explained, assert_stored_as_typed,
    form_strategies, hostile, hostile_choice, hostile_text, hostile_upload, page, post_data, rolled_back, sent,
    shows_error, shows_success, shows_typed, typed_keys, upload,
)
from tests.test_hostile_input import assert_escaped, assert_kept_as_text

pytestmark = pytest.mark.django_db


def member(base):
    return base.organisation.members.get()


def fresh(base):
    return Base.objects.get(pk=base.pk)


def in_days(n):
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def moment(delta_hours):
    return (timezone.localtime() + datetime.timedelta(hours=delta_hours)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def world(designated, reviewers, cnipa):
    """Every state a form of the bases is posted in. `filer` filed its plan, a project and a training (all waiting for
    Jiangsu's check) and a project Jiangsu checked (CNIPA may mark it exemplary); `rectifying` is under an open
    rectification; `fresh` has filed nothing; `reporter` submitted its report on this year's period, whose assessment
    has the standard indicators with every base scored (ready to publish). Last year's period closed a moment ago
    with no report: its missed bases may be put under rectification."""
    filer, rectifying, untouched, reporter = designated
    province = reviewers["province_js"]
    filings.plan_file(actor=member(filer), base_id=filer.pk, summary="三项任务。", upload=pdf())
    to_check = filings.project_save(actor=member(filer), base_id=filer.pk, values=project_values(title="待审项目"))
    checked = filings.project_save(actor=member(filer), base_id=filer.pk, values=project_values(title="已审项目"))
    filings.project_check(actor=province, base_id=filer.pk, project_id=checked.pk, acknowledge=True)
    service = filings.service_file(actor=member(filer), base_id=filer.pk, kind="training", title="专利导航培训",
                                   held_on=timezone.localdate(), participants=40)
    services.rectification_open(actor=cnipa, base_id=rectifying.pk, reason="finding", detail="未按建设方案开展需求对接。",
                                deadline=timezone.localdate() + datetime.timedelta(days=30))
    year = timezone.localdate().year
    period = reports.period_open(actor=cnipa, year=year, title="年度工作报告", opens_at=hours(-1), deadline=hours(48),
                                 review_deadline=hours(96))
    reports.report_save(actor=member(reporter), base_id=reporter.pk, period_id=period.pk, values=NARRATIVE)
    report = reports.report_submit(actor=member(reporter), base_id=reporter.pk, period_id=period.pk)
    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    score_all(cnipa, period, designated, {})
    now = timezone.now()
    past = reports.period_open(actor=cnipa, year=year - 1, title="上年度工作报告",
                               opens_at=now - datetime.timedelta(hours=2), deadline=now - datetime.timedelta(seconds=1),
                               review_deadline=now + datetime.timedelta(hours=1))
    return {"filer": filer, "rectifying": rectifying, "fresh": untouched, "reporter": reporter, "to_check": to_check,
            "checked": checked, "service": service, "period": period, "report": report, "past": past}


def judged(client, response, post, keys):
    """The checks every answer passes: a redirect (accepted; the page it leads to opens) or a refusal that names a
    problem and shows every text typed into `keys` again. True when accepted."""
    event(f"status {response.status_code}")
    assert response.status_code in (302, 400, 409), response.status_code
    if response.status_code == 302:
        assert client.get(response["Location"]).status_code == 200
        return True
    assert_refusal_explained(response, post, keys)
    return False


# --- CNIPA's dynamic management: rectify, close, revoke ------------------------------------------------------------

def management_state(base):
    base = fresh(base)
    return (base.status, base.lock_version, base.revoked_document, base.revoked_reason,
            list(base.rectifications.values_list("pk", "detail", "closed_at", "outcome_note")))


@pytest.mark.parametrize("which", ["rectify", "close", "revoke"])
@given(st.data())
@hostile(25)
def test_dynamic_management_forms_survive_hostile_input(client, cnipa, world, which, data):
    base = world["rectifying"] if which == "close" else world["fresh"]
    version = str(fresh(base).lock_version)
    form, url, baseline = {
        "rectify": (RectifyForm(), "base_rectify", {"reason": "finding", "detail": "需求对接不足。",
                                                    "deadline": in_days(30), "version": version}),
        "close": (CloseForm(), "base_rectification_close", {"note": "整改到位。"}),
        "revoke": (RevokeForm(), "base_revoke", {"document_number": "国知办发〔2027〕1号", "document_date": in_days(0),
                                                 "reason": "逾期未整改。", "confirm": "on", "version": version}),
    }[which]
    post = data.draw(post_data(form_strategies(form), baseline=baseline))
    client.force_login(cnipa)
    before = management_state(base)
    with rolled_back(client):
        response = client.post(reverse(url, args=[base.pk]), post)
        if judged(client, response, post, typed_keys(form)):
            after = fresh(base)
            if which == "rectify":
                assert after.status == BaseStatus.RECTIFYING
                assert_stored_as_typed(after.rectifications.get(), post, {"detail": "detail"})
            elif which == "close":
                assert after.status == BaseStatus.ACTIVE
                assert_stored_as_typed(after.rectifications.get(), post, {"note": "outcome_note"})
            else:
                assert after.status == BaseStatus.REVOKED
                assert_stored_as_typed(after, post, {"document_number": "revoked_document", "reason": "revoked_reason"})
            assert_fits_columns(after)
            assert Client().get(reverse("bases")).status_code == 200  # the public list shows the change
        else:
            assert management_state(base) == before


@given(st.data())
@hostile(25)
def test_rectification_answer_survives_hostile_input(client, world, data):
    base = world["rectifying"]
    post = data.draw(post_data(form_strategies(AnswerForm()), baseline={"answer": "已完成需求对接5项。"}))
    client.force_login(member(base))
    with rolled_back(client):
        response = client.post(reverse("rectification_answer", args=[base.pk]), post)
        rectification = Rectification.objects.get(base=base)
        if judged(client, response, post, typed_keys(AnswerForm())):
            assert rectification.answered_at is not None
            assert_stored_as_typed(rectification, post, {"answer": "answer"})
        else:
            assert rectification.answered_at is None and rectification.answer == ""


# --- The base's filings: plan, projects, services --------------------------------------------------------------------

@given(post=post_data(form_strategies(PlanForm()), baseline={"summary": "需求对接、组织管理、应用推广三项任务。"}),
       file=hostile_upload())
@example(post={"summary": SCRIPT}, file=("<img src=x onerror=alert(1)>.pdf", TINY_PDF))
@hostile(25)
def test_plan_form_survives_hostile_input(client, world, post, file):
    base = world["fresh"]
    if file is not None:
        post = {**post, "file": upload(*file)}
    client.force_login(member(base))
    with rolled_back(client):
        response = client.post(reverse("base_plan_edit", args=[base.pk]), post)
        if judged(client, response, post, typed_keys(PlanForm())):
            plan = ConstructionPlan.objects.get(base=base)
            assert_stored_as_typed(plan, post, {"summary": "summary"})
            assert_fits_columns(plan)
            assert file is not None and file[1] == TINY_PDF
        else:
            assert not ConstructionPlan.objects.filter(base=base).exists()


PROJECT = {"title": "集成电路产业规划类专利导航", "need": "摸清产业链专利布局", "client_kind": "authority",
           "client": "某市发展和改革委员会", "project_type": "industry", "service_body": "某专利导航服务机构",
           "funding": "30", "funding_source": "市级专项资金"}
PROJECT_TEXTS = {name: name for name in ("title", "need", "client", "service_body", "funding_source")}


def project_state(base):
    return list(Project.objects.filter(base=base).order_by("pk").values())


@given(edit=st.booleans(), accepted=st.booleans(), data=st.data())
@hostile(40)
def test_project_form_survives_hostile_input(client, world, edit, accepted, data):
    """A project filed or filed again changed, now and then as accepted with its evidence of use (hostile uploads)."""
    base, project = world["filer"], world["to_check"]
    stages = {"approved_on": days_ago(3).isoformat()}
    if accepted:
        stages.update({"started_on": days_ago(2).isoformat(), "accepted_on": days_ago(1).isoformat(),
                       "deliverables": ["report"]})
    post = data.draw(post_data(form_strategies(ProjectForm()), baseline={**PROJECT, **stages}))
    # Evidence of use comes once a project is accepted: sent with an earlier stage only now and then.
    evidence = data.draw(hostile_upload()) if accepted or data.draw(st.integers(0, 4)) == 0 else None
    if evidence is not None:
        post["evidence"] = upload(*evidence)
    url = reverse("base_project_edit", args=[base.pk, project.pk]) if edit else reverse("base_project_new",
                                                                                        args=[base.pk])
    client.force_login(member(base))
    before = project_state(base)
    with rolled_back(client):
        response = client.post(url, post)
        if judged(client, response, post, typed_keys(ProjectForm())):
            saved = Project.objects.get(pk=project.pk) if edit else Project.objects.latest("pk")
            assert saved.state == FilingState.FILED and (edit or saved.pk != project.pk)
            assert_stored_as_typed(saved, post, PROJECT_TEXTS)
            assert_fits_columns(saved)
        else:
            assert project_state(base) == before


@given(post=post_data(form_strategies(ServiceForm()), baseline={
    "kind": "training", "title": "专利导航实务培训", "held_on": "TODAY", "participants": "80",
    "description": "讲解专利导航指南。"}))
@hostile(25)
def test_service_form_survives_hostile_input(client, world, post):
    base = world["filer"]
    post = {key: in_days(0) if value == "TODAY" else value for key, value in post.items()}
    client.force_login(member(base))
    before = PublicService.objects.count()
    with rolled_back(client):
        response = client.post(reverse("base_service_new", args=[base.pk]), post)
        if judged(client, response, post, typed_keys(ServiceForm())):
            service = PublicService.objects.latest("pk")
            assert_stored_as_typed(service, post, {"title": "title", "description": "description"})
            assert_fits_columns(service)
        else:
            assert PublicService.objects.count() == before


# --- The supervising bureau's checks -------------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["plan", "project", "service"])
@given(post=post_data(form_strategies(CheckForm()), baseline={"decision": "return", "note": "缺少年度目标。"}))
@example(post={"decision": "return", "note": " "})  # a return gives its reasons (a service's used to say nothing)
@hostile(25)
def test_filing_checks_survive_hostile_input(client, reviewers, world, what, post):
    base = world["filer"]
    filing, url = {
        "plan": (ConstructionPlan.objects.filter(base=base), reverse("base_plan_check", args=[base.pk])),
        "project": (Project.objects.filter(pk=world["to_check"].pk),
                    reverse("base_project_check", args=[base.pk, world["to_check"].pk])),
        "service": (PublicService.objects.filter(pk=world["service"].pk),
                    reverse("base_service_check", args=[base.pk, world["service"].pk])),
    }[what]
    client.force_login(reviewers["province_js"])
    with rolled_back(client):
        response = client.post(url, post)
        checked = filing.get()
        if judged(client, response, post, typed_keys(CheckForm())):
            assert checked.state == (FilingState.ACKNOWLEDGED if sent(post, "decision") == "acknowledge"
                                     else FilingState.RETURNED)
            assert checked.check_note == (sent(post, "note") or "").strip()
        else:
            assert (checked.state, checked.check_note) == (FilingState.FILED, "")


@given(exemplary=st.one_of(st.sampled_from(("1", "0", "1", "")), hostile_text(),
                           st.lists(st.sampled_from(("1", "0")), min_size=2, max_size=2)),
       which=st.sampled_from(("checked", "to_check")))
@hostile(20)
def test_the_exemplary_toggle_survives_hostile_input(client, cnipa, world, exemplary, which):
    """The mark is set for "1" on a checked project, otherwise taken back or refused: always said, never a 500."""
    base, project = world["filer"], world[which]
    client.force_login(cnipa)
    with rolled_back(client):
        response = client.post(reverse("base_project_exemplary", args=[base.pk, project.pk]),
                               {"exemplary": exemplary}, follow=True)
        assert response.status_code == 200
        marked = Project.objects.get(pk=project.pk).exemplary_at is not None
        wanted = sent({"exemplary": exemplary}, "exemplary") == "1"
        assert marked == (wanted and which == "checked")
        assert shows_error(response) if wanted and which == "to_check" else shows_success(response)
        assert Client().get(reverse("exemplary_cases")).status_code == 200


# --- Annual reports ------------------------------------------------------------------------------------------------

@given(post=post_data(form_strategies(PeriodForm()), baseline={
    "year": "YEAR", "title": "年度工作报告", "opens_at": "OPENS", "deadline": "DEADLINE", "review_deadline": "REVIEW"}))
@hostile(30)
def test_period_form_survives_hostile_input(client, cnipa, world, post):
    moments = {"YEAR": str(timezone.localdate().year - 2), "OPENS": moment(-1), "DEADLINE": moment(48),
               "REVIEW": moment(96)}
    post = {key: moments.get(value, value) if isinstance(value, str) else value for key, value in post.items()}
    client.force_login(cnipa)
    before = ReportingPeriod.objects.count()
    with rolled_back(client):
        response = client.post(reverse("reporting_periods"), post)
        if judged(client, response, post, typed_keys(PeriodForm())):
            period = ReportingPeriod.objects.latest("pk")
            assert_stored_as_typed(period, post, {"title": "title"})
            assert_fits_columns(period)
            client.force_login(member(world["fresh"]))
            assert client.get(reverse("own_base")).status_code == 200
        else:
            assert ReportingPeriod.objects.count() == before


@given(post=post_data(form_strategies(ReportForm()), baseline=NARRATIVE), file=hostile_upload(),
       buttons=st.sampled_from(((), ("save",), ("submit",), ("save", "submit"))))
@hostile(30)
def test_report_form_survives_hostile_input(client, world, post, file, buttons):
    base, period = world["fresh"], world["period"]
    post = {**post, **dict.fromkeys(buttons, "")}
    if file is not None:
        post["file"] = upload(*file)
    client.force_login(member(base))
    with rolled_back(client):
        response = client.post(reverse("base_report", args=[base.pk, period.pk]), post)
        accepted = judged(client, response, post, typed_keys(ReportForm()))
        report = AnnualReport.objects.filter(base=base, period=period).first()
        if accepted:
            assert report.state == (ReportState.SUBMITTED if "submit" in buttons else ReportState.DRAFT)
        if report is not None:  # what was saved (a draft whose submission was refused, too) is what was typed
            assert_stored_as_typed(report, post, {name: name for name in reports.NARRATIVES})
            assert_fits_columns(report)


@given(post=post_data(form_strategies(ReviewForm()), baseline={"decision": "forward", "text": "同意报送。"}))
@hostile(25)
def test_report_review_survives_hostile_input(client, reviewers, world, post):
    report, period = world["report"], world["period"]
    client.force_login(reviewers["province_js"])
    with rolled_back(client):
        response = client.post(reverse("report_review", args=[period.pk, report.pk]), post)
        after = AnnualReport.objects.get(pk=report.pk)
        if judged(client, response, post, typed_keys(ReviewForm())):
            forward = sent(post, "decision") == "forward"
            assert after.state == (ReportState.FORWARDED if forward else ReportState.RETURNED)
            assert_stored_as_typed(after, post, {"text": "opinion" if forward else "return_reason"})
        else:
            assert (after.state, after.opinion, after.return_reason) == (ReportState.SUBMITTED, "", "")


@given(post=post_data(form_strategies(MissedForm()), baseline={"deadline": "LATER"}))
@example(post={"deadline": "2025-13-01"})
@hostile(20)
def test_missed_reports_form_survives_hostile_input(client, cnipa, world, post):
    past = world["past"]
    post = {key: in_days(30) if value == "LATER" else value for key, value in post.items()}
    client.force_login(cnipa)
    before = Rectification.objects.count()
    with rolled_back(client):
        response = client.post(reverse("missed_rectify", args=[past.pk]), post)
        if judged(client, response, post, typed_keys(MissedForm())):
            # The active bases without a report on the year were put under rectification (not the one under one).
            assert Rectification.objects.count() == before + 3
        else:
            assert Rectification.objects.count() == before


# --- The assessment ------------------------------------------------------------------------------------------------

THRESHOLDS = {"excellent": "85", "good": "70", "qualified": "40"}
INDICATOR = {"group": "guarantees", "name": "档案管理", "kind": "scored", "figure": "", "target": "", "points": "5"}


@st.composite
def setup_post(draw, indicator_ids):
    """CNIPA's setup forms: thresholds or an indicator (hostile or near-valid), the standard set, an indicator removed
    by a hostile id, or an action the page never sends."""
    known = st.sampled_from(("thresholds", "indicator") * 3 + ("standard", "remove"))
    action = draw(known if draw(st.integers(0, 5)) else hostile_text())
    if action == "thresholds":
        post = draw(post_data(form_strategies(ThresholdsForm()), baseline=THRESHOLDS))
    elif action == "indicator":
        post = draw(post_data(form_strategies(IndicatorForm(figures=FIGURE_LABELS.items())), baseline=INDICATOR))
    elif action == "remove":
        post = draw(post_data({"indicator": hostile_choice(*map(str, indicator_ids))}))
    else:
        post = draw(post_data({"indicator": hostile_text()}))
    post["action"] = action
    return post


def scheme_state(period):
    scheme = AssessmentScheme.objects.get(period=period)
    return (scheme.excellent, scheme.good, scheme.qualified, list(scheme.indicators.order_by("pk").values()))


@given(st.data())
@hostile(40)
def test_assessment_setup_survives_hostile_input(client, cnipa, world, data):
    period = world["period"]
    ids = list(Indicator.objects.filter(scheme__period=period).values_list("pk", flat=True))
    post = data.draw(setup_post(ids))
    action = post["action"]
    form = {"thresholds": ThresholdsForm(), "indicator": IndicatorForm(figures=FIGURE_LABELS.items())}.get(action)
    client.force_login(cnipa)
    before = scheme_state(period)
    with rolled_back(client):
        response = client.post(reverse("assessment_setup", args=[period.pk]), post)
        event(f"{action if action in ('thresholds', 'indicator', 'standard', 'remove') else 'unknown'}: "
              f"status {response.status_code}")
        if action not in ("thresholds", "indicator", "standard", "remove"):
            assert response.status_code == 404  # no page sends it
            return
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert_refusal_explained(response, post, typed_keys(form) if form else [])
            assert scheme_state(period) == before
            return
        followed = client.get(response["Location"])
        assert followed.status_code == 200
        if action == "thresholds":
            assert shows_success(followed)
            scheme = AssessmentScheme.objects.get(period=period)
            typed = ThresholdsForm({name: sent(post, name) for name in THRESHOLDS})
            assert typed.is_valid()
            assert (scheme.excellent, scheme.good, scheme.qualified) == tuple(
                typed.cleaned_data[name] for name in ("excellent", "good", "qualified"))
        elif action == "indicator":
            assert shows_success(followed)
            assert_stored_as_typed(Indicator.objects.latest("pk"), post, {"name": "name"})
        elif shows_success(followed):  # removed
            assert action == "remove" and len(scheme_state(period)[3]) == len(before[3]) - 1
        else:  # the standard set on an assessment with indicators, or no such indicator: said, nothing changed
            assert shows_error(followed) and scheme_state(period) == before


def test_removing_an_indicator_by_an_id_that_is_no_number_is_said_not_a_server_error(client, cnipa, world):
    period = world["period"]
    client.force_login(cnipa)
    before = scheme_state(period)
    response = client.post(reverse("assessment_setup", args=[period.pk]), {"action": "remove", "indicator": "abc"},
                           follow=True)
    assert response.status_code == 200 and shows_error(response)
    assert scheme_state(period) == before


def score_state(base):
    return sorted(Score.objects.filter(base=base).values_list("indicator_id", "points", "reason"))


@given(st.data())
@hostile(40)
def test_score_form_survives_hostile_input(client, cnipa, world, data):
    """The hidden indicator may be any indicator's id (a computed one's too), one since removed, or anything."""
    base, period = world["filer"], world["period"]
    indicators = Indicator.objects.filter(scheme__period=period)
    scored = list(indicators.filter(kind="scored").values_list("pk", flat=True))
    fields = {**form_strategies(ScoreForm()), "indicator": hostile_choice(
        *map(str, scored), *map(str, indicators.values_list("pk", flat=True)), str(max(scored) + 100))}
    post = data.draw(post_data(fields, baseline={"indicator": str(scored[0]), "points": "8.5",
                                                 "reason": "方案落实较好。"}))
    client.force_login(cnipa)
    before = score_state(base)
    with rolled_back(client):
        response = client.post(reverse("assessment_base", args=[period.pk, base.pk]), post)
        if judged(client, response, post, typed_keys(ScoreForm())):
            score = Score.objects.get(base=base, indicator_id=int(sent(post, "indicator")))
            assert_stored_as_typed(score, post, {"reason": "reason"})
            assert_fits_columns(score)
        else:
            assert score_state(base) == before


@given(post=post_data(form_strategies(PublishForm()), baseline={"rectify_by": "LATER", "confirm": "on"}))
@hostile(20)
def test_publish_form_survives_hostile_input(client, cnipa, reviewers, world, post):
    period = world["period"]
    post = {key: in_days(30) if value == "LATER" else value for key, value in post.items()}
    client.force_login(cnipa)
    with rolled_back(client):
        response = client.post(reverse("assessment_publish", args=[period.pk]), post)
        scheme = AssessmentScheme.objects.get(period=period)
        if judged(client, response, post, typed_keys(PublishForm())):
            assert scheme.published_at is not None and scheme.results.count() == 4
            assert client.get(reverse("assessment_export", args=[period.pk])).status_code == 200
            bureau = Client()
            bureau.force_login(reviewers["province_js"])
            assert bureau.get(reverse("assessment", args=[period.pk])).status_code == 200
        else:
            assert scheme.published_at is None


# --- Part 2: hostile text stored through the services, read back everywhere -------------------------------------

TITLE = '<script>alert("project")</script>'
NEED = '<img src=x onerror=alert("need")>'
DETAIL = '<script>alert("rectify")</script>'
ANSWER = '"><svg onload=alert("answer")>'
DEMAND = '<script>alert("demand")</script>'
ORGANISATION = '<iframe src="javascript:alert(\'organisation\')">'
PROMOTION = "</textarea><script>alert(\"promotion\")</script>"
OPINION = '<img src=x onerror=alert("opinion")>'
SCORE_REASON = '<script>alert("score")</script>'
INDICATOR_NAME = '<b onmouseover=alert("indicator")>档案管理</b>'
REVOKED_DOCUMENT = "<b>国知办发〔2027〕1号</b>"
REVOKED_REASON = '<script>alert("revoke")</script>'


@pytest.fixture
def hostile_bases(designated, reviewers, cnipa):
    """Script-looking text in every field of the bases a page shows, stored through the services: `filer`'s project
    (checked, an exemplary case), `rectifying`'s rectification (answered), `reporter`'s report (forwarded with an
    opinion), the year's assessment (an indicator named with markup, four named like formulas; `filer` scored with a
    script for a reason; published), and `revoked`'s revocation."""
    filer, rectifying, revoked, reporter = designated
    province = reviewers["province_js"]
    project = filings.project_save(actor=member(filer), base_id=filer.pk,
                                   values=project_values(title=TITLE, need=NEED))
    filings.project_check(actor=province, base_id=filer.pk, project_id=project.pk, acknowledge=True)
    filings.project_exemplary(actor=cnipa, base_id=filer.pk, project_id=project.pk, exemplary=True)
    services.rectification_open(actor=cnipa, base_id=rectifying.pk, reason="finding", detail=DETAIL,
                                deadline=timezone.localdate() + datetime.timedelta(days=30))
    services.rectification_answer(actor=member(rectifying), base_id=rectifying.pk, answer=ANSWER)
    period = reports.period_open(actor=cnipa, year=timezone.localdate().year, title="年度工作报告", opens_at=hours(-1),
                                 deadline=hours(48), review_deadline=hours(96))
    reports.report_save(actor=member(reporter), base_id=reporter.pk, period_id=period.pk, values={
        "demand_matching": DEMAND, "organisation": ORGANISATION, "promotion": PROMOTION})
    report = reports.report_submit(actor=member(reporter), base_id=reporter.pk, period_id=period.pk)
    reports.report_review(actor=province, report_id=report.pk, forward=True, text=OPINION)
    assessment.indicators_standard(actor=cnipa, period_id=period.pk)
    for name in (INDICATOR_NAME, *FORMULAS[:4]):
        assessment.indicator_add(actor=cnipa, period_id=period.pk, group="guarantees", name=name, kind="scored",
                                 points=Decimal(1))
    for base in designated:
        for indicator in Indicator.objects.filter(scheme__period=period, kind="scored"):
            assessment.score_save(actor=cnipa, period_id=period.pk, base_id=base.pk, indicator_id=indicator.pk,
                                  points=Decimal(1), reason=SCORE_REASON if base == filer else FORMULAS[0])
    assessment.assessment_publish(actor=cnipa, period_id=period.pk,
                                  rectify_by=timezone.localdate() + datetime.timedelta(days=60))
    services.base_revoke(actor=cnipa, base_id=revoked.pk, document_number=REVOKED_DOCUMENT,
                         document_date=timezone.localdate(), reason=REVOKED_REASON)
    return {"filer": filer, "rectifying": rectifying, "revoked": revoked, "reporter": reporter, "project": project,
            "period": period, "report": report}


def test_hostile_text_of_the_bases_is_escaped_on_every_page(client, reviewers, cnipa, hostile_bases):
    world = hostile_bases
    filer, rectifying, revoked, reporter = (world[k] for k in ("filer", "rectifying", "revoked", "reporter"))
    project, period, report = world["project"], world["period"], world["report"]

    client.force_login(cnipa)
    assert_escaped(client.get(reverse("base_detail", args=[filer.pk])), TITLE)
    assert_escaped(client.get(reverse("base_detail", args=[rectifying.pk])), DETAIL, ANSWER)
    assert_escaped(client.get(reverse("base_detail", args=[revoked.pk])), REVOKED_DOCUMENT, REVOKED_REASON)
    assert_escaped(client.get(reverse("base_list")), REVOKED_DOCUMENT)
    assert_escaped(client.get(reverse("base_project", args=[filer.pk, project.pk])), TITLE, NEED)
    assert_escaped(client.get(reverse("report_detail", args=[period.pk, report.pk])), DEMAND, ORGANISATION,
                   PROMOTION, OPINION)
    assert_escaped(client.get(reverse("assessment_base", args=[period.pk, filer.pk])), SCORE_REASON, INDICATOR_NAME)

    client.force_login(reviewers["province_js"])
    assert_escaped(client.get(reverse("base_project", args=[filer.pk, project.pk])), TITLE, NEED)
    assert_escaped(client.get(reverse("report_detail", args=[period.pk, report.pk])), DEMAND, OPINION)

    client.force_login(member(filer))
    assert_escaped(client.get(reverse("own_base")), TITLE, SCORE_REASON, INDICATOR_NAME)
    assert_escaped(client.get(reverse("base_project_edit", args=[filer.pk, project.pk])), TITLE, NEED)
    client.force_login(member(rectifying))
    assert_escaped(client.get(reverse("own_base")), DETAIL, ANSWER)
    assert_escaped(client.get(reverse("messages")), DETAIL)
    client.force_login(member(reporter))
    assert_escaped(client.get(reverse("base_report", args=[reporter.pk, period.pk])), DEMAND, ORGANISATION,
                   PROMOTION, OPINION)
    assert_escaped(client.get(reverse("messages")), OPINION)
    client.force_login(member(revoked))
    assert_escaped(client.get(reverse("own_base")), REVOKED_DOCUMENT, REVOKED_REASON)

    public = Client()
    assert_escaped(public.get(reverse("bases")), REVOKED_DOCUMENT)
    assert REVOKED_REASON not in page(public.get(reverse("bases")))
    assert_escaped(public.get(reverse("exemplary_cases")), TITLE, NEED)


def test_the_assessment_sheet_keeps_hostile_names_as_strings(client, reviewers, cnipa, hostile_bases):
    period = hostile_bases["period"]
    for user in (cnipa, reviewers["province_js"]):
        client.force_login(user)
        response = client.get(reverse("assessment_export", args=[period.pk]))
        assert response.status_code == 200
        assert_kept_as_text(load_workbook(io.BytesIO(response.content)), INDICATOR_NAME, *FORMULAS[:4])


# --- A page opened before the state changed --------------------------------------------------------------------------

TYPED = "页面打开后另一人已处理：此段文字须保留。"


def _stale_post(which, world, reviewers, cnipa):
    """Carry out `which` through its service (another official, another tab), then return (user, url, POST) of the
    same form as the page opened before would post it."""
    filer, rectifying, untouched = world["filer"], world["rectifying"], world["fresh"]
    period, report, province = world["period"], world["report"], reviewers["province_js"]
    later = timezone.localdate() + datetime.timedelta(days=30)
    if which == "plan_check":
        filings.plan_check(actor=province, base_id=filer.pk, acknowledge=True)
        return province, reverse("base_plan_check", args=[filer.pk]), {"decision": "return", "note": TYPED}
    if which == "project_check":
        project = world["to_check"]
        filings.project_check(actor=province, base_id=filer.pk, project_id=project.pk, acknowledge=True)
        return province, reverse("base_project_check", args=[filer.pk, project.pk]), {"decision": "return",
                                                                                        "note": TYPED}
    if which == "answer":
        services.rectification_answer(actor=member(rectifying), base_id=rectifying.pk, answer="已整改。")
        return member(rectifying), reverse("rectification_answer", args=[rectifying.pk]), {"answer": TYPED}
    if which == "close":
        services.rectification_close(actor=cnipa, base_id=rectifying.pk, note="整改到位。")
        return cnipa, reverse("base_rectification_close", args=[rectifying.pk]), {"note": TYPED}
    if which == "rectify":
        services.rectification_open(actor=cnipa, base_id=untouched.pk, reason="finding", detail="需求对接不足。",
                                    deadline=later)
        return cnipa, reverse("base_rectify", args=[untouched.pk]), {
            "reason": "finding", "detail": TYPED, "deadline": later.isoformat(),
            "version": str(fresh(untouched).lock_version)}
    if which == "revoke":
        services.base_revoke(actor=cnipa, base_id=untouched.pk, document_number="国知办发〔2027〕1号",
                             document_date=timezone.localdate(), reason="逾期未整改。")
        return cnipa, reverse("base_revoke", args=[untouched.pk]), {
            "document_number": "国知办发〔2027〕2号", "document_date": in_days(0), "reason": TYPED, "confirm": "on",
            "version": str(fresh(untouched).lock_version)}
    if which == "review":
        reports.report_review(actor=province, report_id=report.pk, forward=True, text="同意报送。")
        return province, reverse("report_review", args=[period.pk, report.pk]), {"decision": "return", "text": TYPED}
    if which == "report":
        reporter = world["reporter"]
        return member(reporter), reverse("base_report", args=[reporter.pk, period.pk]), {
            **NARRATIVE, "promotion": TYPED, "submit": ""}
    publish_now = {"rectify_by": in_days(30), "confirm": "on"}
    assessment.assessment_publish(actor=cnipa, period_id=period.pk, rectify_by=later)
    if which == "score":
        indicator = Indicator.objects.filter(scheme__period=period, kind="scored").first()
        return cnipa, reverse("assessment_base", args=[period.pk, filer.pk]), {
            "indicator": str(indicator.pk), "points": "5", "reason": TYPED}
    if which == "indicator":
        return cnipa, reverse("assessment_setup", args=[period.pk]), {**INDICATOR, "name": TYPED,
                                                                       "action": "indicator"}
    return cnipa, reverse("assessment_publish", args=[period.pk]), publish_now


@pytest.mark.parametrize("which", ["plan_check", "project_check", "answer", "close", "rectify", "revoke", "review",
                                   "report", "score", "indicator", "publish"])
def test_a_form_posted_from_a_page_opened_before_the_state_changed_says_why(client, reviewers, cnipa, world, which):
    """Regression, this used to fail for most: each page shows its form only in the state that accepts it, so a form
    posted from a page opened before another official (or another tab) acted came back at 400 without the form —
    no message, no field error, and the text typed gone."""
    user, url, post = _stale_post(which, world, reviewers, cnipa)
    client.force_login(user)
    response = client.post(url, post)
    assert response.status_code == 400
    assert shows_error(response), "refused without saying why"
    if which != "publish":
        assert shows_typed(response, TYPED), "the text typed is lost"


def test_a_score_for_an_indicator_id_beyond_any_is_refused_politely(client, cnipa, world):
    period, base = world["period"], world["filer"]
    client.force_login(cnipa)
    for indicator in ("99999999999999999999999", "1" * 19, "-1", " 5", "abc"):
        response = client.post(reverse("assessment_base", args=[period.pk, base.pk]),
                               {"indicator": indicator, "points": "5", "reason": TYPED})
        assert response.status_code in (302, 400), indicator
        if response.status_code == 400:
            assert shows_error(response) and shows_typed(response, TYPED), indicator
