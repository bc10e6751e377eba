"""The previews before the irreversible acts (review.previews), through the pages: what is shown is what is
done, nothing happens before the confirmation, a plan that changed in between is refused and shown anew, and
refusals are said on the preview, before any click that does something. Pages in English."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications.enums import State
from applications.models import Application
from navportal.demo.content import TINY_PDF
from navportal.models import Message
from review import national, services
from review.models import Notice, Objection, Package, PackageStatus, RegistryEntry
from tests.conftest import make_applicant, object_confirmed, resealed
from tests.review.test_national import during, handed_in, pass_all, person, publish  # noqa: F401 - fixtures


@pytest.fixture
def as_user():
    def _as(user):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client
    return _as


def text_of(response):
    return response.content.decode()


# --- Publishing ----------------------------------------------------------------------------------

def test_publish_preview_shows_the_list_dates_and_messages_then_publishes_exactly_that(as_user, reviewers, handed_in,
                                                                                       call):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    client = as_user(cnipa)
    url = reverse("notice_publish", args=[call.pk])
    typed = {"text": "现将拟确定名单予以公示。", "contact": "电话 010-0000"}
    preview = client.post(url, typed)
    assert preview.status_code == 200 and not Notice.objects.exists()
    plan, page = preview.context["plan"], text_of(preview)
    # The exact list with names, provinces and fields; the dates as the calendar computes them; who is told.
    assert [row.name for row in plan.rows] == [a.name for a in handed_in]
    for application in handed_in:
        assert application.name in page
    assert "江苏省" in page and handed_in[0].industry_fields in page
    assert f"{plan.facts['starts_on']:%Y-%m-%d} — {plan.facts['ends_on']:%Y-%m-%d}" in page
    assert len(plan.sends) == 4 and "On public notice" in page
    assert Application.objects.filter(state=State.ON_NOTICE).count() == 0

    response = client.post(url, {**typed, "confirmed": plan.digest})
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.starts_on, notice.ends_on) == (plan.facts["starts_on"], plan.facts["ends_on"])
    assert list(notice.entries.order_by("number").values_list("name", flat=True)) == [r.name for r in plan.rows]


def test_a_list_changed_after_the_preview_is_refused_and_the_new_preview_shown(as_user, reviewers, handed_in, call):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in[:3])
    client = as_user(cnipa)
    url = reverse("notice_publish", args=[call.pk])
    typed = {"text": "公示", "contact": "电话"}
    # The preview refuses while one is still under re-check: said in plain words, no confirmation offered.
    preview = client.post(url, typed)
    assert "not re-checked yet" in text_of(preview) and 'id="preview-confirm"' not in text_of(preview)
    stale = preview.context["plan"].digest
    pass_all(cnipa, handed_in[3:])  # meanwhile the fourth passes: the list grows
    response = client.post(url, {**typed, "confirmed": stale})
    assert response.status_code == 409 and not Notice.objects.exists()
    assert "changed after you opened the preview" in text_of(response)
    assert len(response.context["plan"].rows) == 4 and 'id="preview-confirm"' in text_of(response)
    # Confirming the new preview publishes it.
    assert client.post(url, {**typed, "confirmed": response.context["plan"].digest}).status_code == 302
    assert Notice.objects.get().entries.count() == 4


def test_the_dates_are_part_of_what_is_confirmed(as_user, reviewers, handed_in, call, time_machine):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    client = as_user(cnipa)
    url = reverse("notice_publish", args=[call.pk])
    time_machine.move_to(timezone.make_aware(datetime.datetime(2026, 9, 25, 23, 59)))  # Friday before 国庆
    digest = client.post(url, {"text": "公示", "contact": "电话"}).context["plan"].digest
    time_machine.move_to(timezone.make_aware(datetime.datetime(2026, 9, 26, 0, 1)))  # the next day: other dates
    response = client.post(url, {"text": "公示", "contact": "电话", "confirmed": digest})
    assert response.status_code == 409 and not Notice.objects.exists()


# --- The final list ------------------------------------------------------------------------------

def test_final_preview_lists_the_bases_the_document_and_the_titles_retired(as_user, reviewers, handed_in, call):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    entries = list(notice.entries.order_by("number"))
    objection = object_confirmed(**person(entries[0]), now=during(notice))
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="异议成立")
    Notice.objects.filter(pk=notice.pk).update(starts_on=timezone.localdate() - datetime.timedelta(days=9),
                                               ends_on=timezone.localdate() - datetime.timedelta(days=2))
    resealed(notice)  # the calendar moved on (navportal.seals)
    zone = RegistryEntry.objects.create(kind="experimental_zone", name="示例·原实验区", document_number="国知发〔2013〕1号",
                                        designated_on=datetime.date(2013, 1, 1))
    client = as_user(cnipa)
    url = reverse("notice_final", args=[call.pk])
    typed = {"document_number": "国知办发运字〔2026〕9号", "document_date": str(timezone.localdate())}
    preview = client.post(url, typed)
    plan, page = preview.context["plan"], text_of(preview)
    assert [row.name for row in plan.rows] == [e.name for e in entries[1:]]
    assert [row.name for row in plan.facts["removed"]] == [entries[0].name]
    assert "国知办发运字〔2026〕9号" in page and "示例·原实验区" in page and "Designated a national-level" in page
    assert Notice.objects.get().confirmed_at is None and RegistryEntry.objects.get().retired_on is None

    assert client.post(url, {**typed, "confirmed": plan.digest}).status_code == 302
    assert set(Application.objects.filter(state=State.DESIGNATED).values_list("name", flat=True)) == {
        e.name for e in entries[1:]}
    zone.refresh_from_db()
    assert zone.retired_by == "国知办发运字〔2026〕9号"


def test_final_preview_says_why_not_yet(as_user, reviewers, handed_in, call):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    publish(cnipa, call)
    response = as_user(cnipa).post(reverse("notice_final", args=[call.pk]), {
        "document_number": "国知办发运字〔2026〕9号", "document_date": str(timezone.localdate())})
    assert response.status_code == 200 and "The notice period ends on" in text_of(response)
    assert 'id="preview-confirm"' not in text_of(response)


# --- Handing in a package ------------------------------------------------------------------------

@pytest.fixture
def ready_package(reviewers, submitted):
    province = reviewers["province_js"]
    apps = [submitted(make_applicant(f"示例·预览园区{i}", f"pv{i}")) for i in range(2)]
    for application in apps:
        services.application_recommend(actor=province, application_id=application.pk, opinion=f"同意推荐{application.pk}")
    package = Package.objects.get(province=province.province)
    services.package_attach_letter(actor=province, package_id=package.pk,
                                   upload=SimpleUploadedFile("推荐函.pdf", TINY_PDF))
    return package, apps


def test_hand_in_preview_shows_ranking_quota_letter_and_messages_then_hands_in(as_user, reviewers, ready_package):
    package, apps = ready_package
    client = as_user(reviewers["province_js"])
    url = reverse("package_submit", args=[package.pk])
    preview = client.post(url)
    plan, page = preview.context["plan"], text_of(preview)
    assert [(row.number, row.name) for row in plan.rows] == [(1, apps[0].name), (2, apps[1].name)]
    assert "2 of 3 counted against the quota" in page and "推荐函.pdf" in page
    assert "CNIPA staff" in page and "Recommended to CNIPA" in page and plan.rows[0].extra["city"] in page
    assert Package.objects.get().status == PackageStatus.OPEN and not Message.objects.filter(
        subject__startswith="Recommendation package").exists()

    assert client.post(url, {"confirmed": plan.digest}).status_code == 302
    assert Package.objects.get().status == PackageStatus.SUBMITTED
    assert set(Application.objects.values_list("state", flat=True)) == {State.NATIONAL_REVIEW}


def test_a_ranking_changed_after_the_preview_is_refused(as_user, reviewers, ready_package):
    package, apps = ready_package
    province = reviewers["province_js"]
    client = as_user(province)
    url = reverse("package_submit", args=[package.pk])
    digest = client.post(url).context["plan"].digest
    services.package_move(actor=province, package_id=package.pk,
                          recommendation_id=package.recommendations.get(rank=2).pk, steps=-1)
    response = client.post(url, {"confirmed": digest})
    assert response.status_code == 409 and Package.objects.get().status == PackageStatus.OPEN
    assert [row.name for row in response.context["plan"].rows] == [apps[1].name, apps[0].name]


def test_hand_in_preview_names_what_is_missing(as_user, reviewers, ready_package):
    package, _apps = ready_package
    Package.objects.filter(pk=package.pk).update(letter="")
    response = as_user(reviewers["province_js"]).post(reverse("package_submit", args=[package.pk]))
    assert "Upload the sealed recommendation letter" in text_of(response)
    assert 'id="preview-confirm"' not in text_of(response)


# --- Upholding an objection ----------------------------------------------------------------------

def test_upholding_is_previewed_then_the_base_leaves_the_list(as_user, reviewers, handed_in, call):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    entry = notice.entries.order_by("number").first()
    objection = object_confirmed(**person(entry), now=during(notice))
    client = as_user(cnipa)
    url = reverse("objection_decide", args=[objection.pk])
    preview = client.post(url, {"decision": "upheld", "note": "经核实，异议成立。"})
    plan, page = preview.context["plan"], text_of(preview)
    assert preview.status_code == 200 and Objection.objects.get().decision == "pending"
    assert [row.name for row in plan.rows] == [entry.name] and "wang@example.cn" in page
    assert "Not designated" in page and objection.reference in page
    assert client.post(url, {"decision": "upheld", "note": "经核实，异议成立。", "confirmed": plan.digest}
                       ).status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at is not None and Objection.objects.get().decision == "upheld"
    assert Application.objects.get(pk=entry.application_id).state == State.NOT_DESIGNATED


def test_dismissing_needs_no_preview(as_user, reviewers, handed_in, call):
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    objection = object_confirmed(**person(notice.entries.first()), now=during(notice))
    response = as_user(cnipa).post(reverse("objection_decide", args=[objection.pk]),
                                   {"decision": "dismissed", "note": "不成立"})
    assert response.status_code == 302 and Objection.objects.get().decision == "dismissed"
