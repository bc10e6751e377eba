"""The demo data of `make run`: loaded quietly, and every account it creates is listed in README.md."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from navportal.identifiers import account_for
from navportal.models import Role, User
from navportal.privacy_rules import RULES_VERSION

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the e-mails go out on commit
def test_loading_the_demo_prints_no_raw_e_mails(settings, capsys):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as in development
    call_command("load_demo")
    printed = capsys.readouterr()
    assert "MIME-Version" not in printed.out + printed.err
    assert "Content-Transfer-Encoding" not in printed.out + printed.err
    assert "notifications are in the demo accounts' messages" in printed.out
    assert "Demo data ready." in printed.out


def test_every_demo_account_is_listed_in_the_readme(settings, db):
    settings.DEBUG = True
    call_command("load_demo")
    readme = README.read_text()
    listed = set(re.findall(r"`([a-z0-9@.\-]+)`", readme))
    # Applicants by the address they sign in with (their user names are opaque), the others by user name; the
    # provincial reviewers are listed as a range (`prov-11` … `prov-65`, `prov-66`).
    users = list(User.objects.all())
    names = [user.email if user.role == Role.APPLICANT else user.username for user in users]
    missing = [name for name in names if name not in listed and not re.fullmatch(r"prov-\d\d", name)]
    assert missing == []
    assert all(user.username.startswith("contact-") for user in users if user.role == Role.APPLICANT)
    assert [account_for(name) for name in names] == users  # each name signs its account in


def test_the_demo_shows_a_call_on_public_notice_with_objections(settings, db):
    """A second demo call is on notice today, with a dismissed and an undecided objection."""
    from django.test import Client
    from django.utils import timezone

    from review import deadlines
    from review.models import Notice, Objection

    settings.DEBUG = True
    call_command("load_demo")
    notice = Notice.objects.select_related("call").get(call__document_number="示例〔2026〕2号")
    assert deadlines.notice_is_open(notice, timezone.now())
    assert notice.call.deadline < notice.published_at
    assert notice.entries.count() == 3
    assert sorted(Objection.objects.filter(entry__notice=notice).values_list("decision", flat=True)) == [
        "dismissed", "pending"]
    page = Client().get(f"/notice/{notice.call_id}/").content.decode()
    assert "示例·扬州国家高新技术产业开发区" in page


def test_the_demo_contacts_acknowledged_the_rules_as_registration_does_and_officials_did_not(settings, db):
    """An applicant's account keeps the version of the personal information rules its registration acknowledged;
    officials' and administrators' accounts, made by the administrators, carry none (no form asks them)."""
    settings.DEBUG = True
    call_command("load_demo")
    accounts = {(user.role == Role.APPLICANT, user.privacy_version, user.privacy_acknowledged_at is not None)
                for user in User.objects.all()}
    assert accounts == {(True, RULES_VERSION, True), (False, "", False)}
    park = account_for("park@example.cn")
    assert park.privacy_acknowledged_at <= park.organisation.applications.get().privacy_acknowledged_at


def test_the_demo_holds_the_bases_of_an_earlier_confirmed_list(settings, db):
    """The 2025 call's list was confirmed by document: five bases in three provinces, of which one in Jiangsu missed
    its 2025 report and must rectify (base@example.cn answers it) and another, graded unqualified, was revoked by
    document. Loading again adds nothing, and the call on notice stays the newest."""
    import datetime

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from bases.models import Base
    from bases.selectors import bases_for_user
    from review.models import Call, Notice

    settings.DEBUG = True
    call_command("load_demo")
    call_command("load_demo")
    today = timezone.localdate()
    bases = {base.name: base for base in Base.objects.select_related("province", "entry__notice__call")}
    assert {name: (base.province.name, base.status) for name, base in bases.items()} == {
        "示例·盐城经济技术开发区": ("江苏省", "rectifying"), "示例·镇江高新技术产业开发区": ("江苏省", "active"),
        "示例·连云港经济技术开发区": ("江苏省", "revoked"), "示例·宁波国家高新技术产业开发区": ("浙江省", "active"),
        "示例·佛山国家高新技术产业开发区": ("广东省", "active")}
    assert {(base.entry.notice.call.document_number, base.document_number, base.designated_on)
            for base in bases.values()} == {("示例〔2025〕1号", "国知办发运字〔2025〕36号（示例）", datetime.date(2025, 10, 20))}

    rectifying, revoked = bases["示例·盐城经济技术开发区"], bases["示例·连云港经济技术开发区"]
    (rectification,) = rectifying.rectifications.all()
    assert (rectification.reason, rectification.is_open, rectification.answered_at, rectification.opened_by.username) \
        == ("missed_report", True, None, "cnipa")
    assert today + datetime.timedelta(days=14) <= rectification.deadline <= today + datetime.timedelta(days=42)
    assert (revoked.revoked_document, revoked.revoked_on, list(revoked.rectifications.values_list(
        "reason", "outcome"))) == (f"国知办发运字〔{today.year}〕87号（示例）", today, [("unqualified", "revoked")])
    # The province account of the demo supervises the three in Jiangsu.
    assert sorted(bases_for_user(User.objects.get(username="prov-32")).values_list("name", flat=True)) == sorted(
        ["示例·盐城经济技术开发区", "示例·镇江高新技术产业开发区", "示例·连云港经济技术开发区"])

    # The base's contact signs in as base@example.cn: the banner on its applications, the rectification to answer.
    contact = account_for("base@example.cn")
    assert contact.organisation_id == rectifying.organisation_id
    client = Client()
    client.force_login(contact)
    assert 'id="designated"' in client.get(reverse("application_list")).content.decode()
    own = client.get(reverse("own_base")).content.decode()
    assert reverse("rectification_answer", args=[rectifying.pk]) in own and rectification.detail in own

    # The public list shows each one's status, and the revoking document; the history reads as 2025.
    public = Client().get(reverse("bases")).content.decode()
    assert all(name in public for name in bases)
    assert all(label in public for label in ("在建", "整改中", "已撤销", revoked.revoked_document))
    notice = rectifying.entry.notice
    assert timezone.localdate(notice.published_at) == datetime.date(2025, 9, 15) and notice.verify().intact
    on_notice = Notice.objects.get(call__document_number="示例〔2026〕2号")
    assert Client().get(reverse("notice_current"))["Location"] == f"/notice/{on_notice.call_id}/"
    assert Call.objects.order_by("-opens_at").first().document_number == "示例〔2026〕1号"


def test_the_demo_follows_the_bases_through_their_first_year(settings, db):
    """Issue 19's done-when, in the demo: a base designated in 2025 with its plan, two projects with results, its
    report reviewed by its province and received, the assessment with computed and scored indicators published —
    an unqualified base rectified (佛山) and another revoked (连云港); this year's reporting open."""
    from decimal import Decimal

    from bases.models import AnnualReport, AssessmentResult, Base, FilingState, Indicator, ReportingPeriod

    settings.DEBUG = True
    call_command("load_demo")
    zhenjiang = Base.objects.get(name="示例·镇江高新技术产业开发区")
    assert zhenjiang.plan.state == FilingState.ACKNOWLEDGED
    assert sum(p.in_use for p in zhenjiang.projects.all()) == 2
    report = AnnualReport.objects.get(base=zhenjiang, period__year=2025)
    assert (report.state, report.opinion, report.figures["results_in_use"]) == ("received", "经审核，同意报送。（示例）", 2)
    assert {i.kind for i in Indicator.objects.filter(scheme__period__year=2025)} == {"computed", "scored"}
    grades = dict(AssessmentResult.objects.values_list("base__name", "grade"))
    assert grades["示例·镇江高新技术产业开发区"] == "excellent"
    assert grades["示例·佛山国家高新技术产业开发区"] == grades["示例·连云港经济技术开发区"] == "unqualified"
    foshan = Base.objects.get(name="示例·佛山国家高新技术产业开发区")
    assert (foshan.status, list(foshan.rectifications.values_list("outcome", flat=True))) == ("active", ["closed"])
    assert AssessmentResult.objects.get(base=zhenjiang).total >= Decimal(90)
    assert ReportingPeriod.objects.filter(deadline__gt=timezone.now()).count() == 1
