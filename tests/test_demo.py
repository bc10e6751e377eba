"""The demo data of `make run`: loaded quietly, and every account it creates is listed in README.md."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

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
