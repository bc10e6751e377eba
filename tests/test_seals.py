"""The HMAC-SM3 seals of important business data (SPEC §11; navportal.seals): each submitted version and each
published list is sealed by the function that makes or changes it; the pages and exports verify the seal on every
request; a change by SQL — an attacker with the database but not the key — is seen and refused; a rotation re-seals
under the new key but never over a broken seal. Run on SQLite and PostgreSQL alike.

Tampering is done on columns that stay in clear whatever else is encrypted at rest (numbers, references, dates,
the seal itself), by raw SQL, as such an attacker would."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationVersion
from applications.selectors import verified_versions
from navportal import fields, seals
from navportal.errors import PortalError
from navportal.models import AuditEvent
from review import national
from review.models import Notice, NoticeEntry
from tests.conftest import object_confirmed
from tests.review.test_national import during, handed_in, pass_all, person, publish  # noqa: F401 - fixtures

OLD, NEW = "old:" + "22" * 32, "new:" + "11" * 32
INTACT_LINE = "Integrity verified (HMAC-SM3)"
ALARM = 'data-seal="broken"'


def sql(model, assignment, pk, *params):
    """An UPDATE by raw SQL, past every service and model method."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {assignment} WHERE id = %s", [*params, pk])


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def cnipa(reviewers):
    return reviewers["national"]


@pytest.fixture
def version(applicant, submitted):
    application = submitted(applicant)
    return ApplicationVersion.objects.get(application=application)


@pytest.fixture
def on_notice(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    return fresh(notice), list(notice.entries.order_by("number"))


def close_period(notice):
    """The calendar moves past the period (by SQL, as the other tests of the notice do), and the seal with it:
    standing for the notice having been published two weeks ago."""
    today = timezone.localdate()
    Notice.objects.filter(pk=notice.pk).update(published_at=timezone.now() - datetime.timedelta(days=14),
                                               starts_on=today - datetime.timedelta(days=12),
                                               ends_on=today - datetime.timedelta(days=5))
    return seals.seal_saved(fresh(notice))


# --- Canonical content -----------------------------------------------------------------------------

def test_canonical_bytes_do_not_depend_on_key_order_time_zone_or_a_round_trip():
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    at = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=shanghai)
    a = seals.canonical({"b": [1, ("x", "名")], "a": {"y": 1, "x": None}, "at": at, "on": datetime.date(2026, 3, 2)})
    b = seals.canonical({"on": "2026-03-02", "at": at.astimezone(datetime.timezone.utc), "a": {"x": None, "y": 1},
                         "b": [1, ["x", "名"]]})
    assert a == b == ('{"a":{"x":null,"y":1},"at":"2026-03-02T02:00:00.000000+00:00","b":[1,["x","名"]],'
                      '"on":"2026-03-02"}').encode()
    with pytest.raises(TypeError):
        seals.canonical({"x": object()})


def test_a_verdict_names_the_key_and_tells_broken_from_unknown(settings):
    settings.NAVPORTAL_KEYS = OLD
    key_id, mac = seals.mac({"n": 1})
    assert (key_id, len(mac)) == ("old", 64)
    assert seals.verdict({"n": 1}, mac, "old") == seals.Verdict("intact", "old")
    assert seals.verdict({"n": 2}, mac, "old") == seals.Verdict("broken", "old")
    assert seals.verdict({"n": 1}, "", "") == seals.Verdict("broken", "")
    settings.NAVPORTAL_KEYS = NEW
    assert seals.verdict({"n": 1}, mac, "old") == seals.Verdict("unknown_key", "old")


# --- Application versions ----------------------------------------------------------------------------

def test_a_submitted_version_is_sealed_in_its_transaction_and_verifies(version):
    version = fresh(version)  # as the database gives it back (jsonb reorders keys; times come back in UTC)
    assert version.seal and version.seal_key_id == seals.keyring().current_id
    assert version.verify() == seals.Verdict("intact", version.seal_key_id)
    assert version.print_html and version.data["credit_code"]


@pytest.mark.parametrize("assignment, value", [
    ("reference = %s", "SB-2026-999999"),
    ("number = %s", 7),
    ("submitted_at = %s", datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)),
    ("seal = %s", "0" * 64),
])
def test_a_version_changed_by_sql_is_refused_and_the_pages_raise_the_alarm(
        client, applicant, reviewers, version, english, assignment, value):
    application = version.application
    sql(ApplicationVersion, assignment, version.pk, value)
    assert fresh(version).verify().broken
    number = fresh(version).number
    # The PDF is not laid out, nor is a kept one served.
    client.force_login(applicant)
    response = client.get(reverse("application_version_pdf", args=[application.pk, number]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("application_tasks", args=[application.pk])
    page = response.content.decode()
    assert "This version cannot be offered: it does not match its integrity seal" in page
    assert ALARM in page and 'data-seal="intact"' not in page
    assert reverse("application_version_pdf", args=[application.pk, number]) not in page
    assert not fresh(version).pdf
    # The reviewer's page: the alarm above everything, the version not offered.
    client.force_login(reviewers["province_js"])
    page = client.get(reverse("review_application", args=[application.pk])).content.decode()
    assert ALARM in page and "Integrity check failed" in page
    assert reverse("application_version_pdf", args=[application.pk, number]) not in page


def test_a_version_changed_by_sql_after_its_verdict_was_kept_raises_the_alarm_at_once(
        client, reviewers, version, english):
    """The verdict is kept under the version's content epoch, which the database moves with any UPDATE of the row
    (migration applications/0016); while it stands, the page reads no version's content."""
    application = version.application
    client.force_login(reviewers["province_js"])
    url = reverse("review_application", args=[application.pk])
    assert ALARM not in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert ALARM not in client.get(url).content.decode()
    assert not [q for q in queries if '"applications_applicationversion"."print_html"' in q["sql"]]
    before = ApplicationVersion.objects.values_list("content_epoch", flat=True).get(pk=version.pk)
    sql(ApplicationVersion, "reference = %s", version.pk, "SB-2026-999999")
    assert ApplicationVersion.objects.values_list("content_epoch", flat=True).get(pk=version.pk) > before
    page = client.get(url).content.decode()
    assert ALARM in page and "Integrity check failed" in page


def test_a_kept_pdf_is_not_served_once_its_version_was_changed(client, applicant, version, english):
    """A PDF an earlier release kept at the version's first download (today each download lays it out afresh)."""
    from django.core.files.base import ContentFile

    application = version.application
    version.pdf.save("kept.pdf", ContentFile(b"%PDF-1.4\n% kept\n%%EOF"))
    client.force_login(applicant)
    url = reverse("application_version_pdf", args=[application.pk, 1])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-1.4\n% kept")
    tasks = client.get(reverse("application_tasks", args=[application.pk])).content.decode()
    assert INTACT_LINE in tasks and ALARM not in tasks
    sql(ApplicationVersion, "seal = %s", version.pk, "f" * 64)
    response = client.get(url)
    assert response.status_code == 302 and response.url == reverse("application_tasks", args=[application.pk])


def test_the_comparison_raises_the_alarm_when_a_compared_version_was_changed(client, reviewers, city_institution,
                                                                           complete, english):
    from applications import services as applicant_services
    from review import services
    from tests.conftest import attach_scan, fill

    application = complete(city_institution)
    applicant_services.application_submit(actor=city_institution, application_id=application.pk)
    services.application_return(actor=reviewers["city_nanjing"], application_id=application.pk, reason="改")
    fill(city_institution, fresh(application), values={"plan_goals": "新目标"}, scan=False)
    attach_scan(city_institution, application)
    assert applicant_services.application_submit(actor=city_institution, application_id=application.pk) == []
    client.force_login(reviewers["city_nanjing"])
    url = reverse("review_application", args=[application.pk])
    page = client.get(url).content.decode()
    assert page.count('data-seal="intact"') == 2 and ALARM not in page and "新目标" in page
    first = ApplicationVersion.objects.get(application=application, number=1)
    sql(ApplicationVersion, "reference = %s", first.pk, "SB-2026-888888")
    page = client.get(url).content.decode()  # the comparison was cached: the verdict never is
    assert page.count('data-seal="intact"') == 1 and ALARM in page
    assert [v.verdict.status for v in verified_versions(application)] == ["broken", "intact"]


# --- Published lists ---------------------------------------------------------------------------------

def test_a_published_notice_is_sealed_with_its_list_and_the_public_page_says_so(client, on_notice, call, english):
    notice, entries = on_notice
    assert notice.seal and notice.verify().intact and len(entries) == 4
    page = client.get(reverse("notice_detail", args=[call.pk])).content.decode()
    assert INTACT_LINE in page and ALARM not in page


@pytest.mark.parametrize("tamper", ["entry name", "entry number", "entry removed", "notice date", "seal"])
def test_a_list_changed_by_sql_raises_the_alarm_even_on_a_cached_page_and_is_not_exported(
        client, cnipa, on_notice, call, english, tamper):
    notice, entries = on_notice
    url = reverse("notice_detail", args=[call.pk])
    assert INTACT_LINE in client.get(url).content.decode()  # the page's fragment is now cached
    if tamper == "entry name":
        sql(NoticeEntry, "name = %s", entries[1].pk, "冒名顶替的基地")
    elif tamper == "entry number":
        sql(NoticeEntry, "number = %s", entries[1].pk, 99)
    elif tamper == "entry removed":
        sql(NoticeEntry, "removed_at = %s", entries[1].pk, timezone.now())
    elif tamper == "notice date":
        sql(Notice, "ends_on = %s", notice.pk, notice.ends_on + datetime.timedelta(days=30))
    else:
        sql(Notice, "seal = %s", notice.pk, "0" * 64)
    assert fresh(notice).version == notice.version  # nothing moved the cache's key
    page = client.get(url).content.decode()
    assert ALARM in page and INTACT_LINE not in page
    client.force_login(cnipa)
    response = client.get(reverse("notice_export", args=[call.pk, "proposed"]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("notice_manage", args=[call.pk])
    page = response.content.decode()
    assert "The list cannot be exported: it does not match its integrity seal" in page and ALARM in page
    assert not AuditEvent.objects.filter(action="proposed_list_export").exists()


def epoch(notice):
    return Notice.objects.values_list("content_epoch", flat=True).get(pk=notice.pk)


def test_the_database_moves_the_content_epoch_with_any_change_of_the_notice_or_its_entries(on_notice):
    """The triggers of migration review/0011, whoever writes: an entry changed, added or deleted, the notice's row
    changed — and an UPDATE that sets the counter itself does not set it back."""
    notice, entries = on_notice
    seen = [epoch(notice)]

    def moved():
        seen.append(epoch(notice))
        return seen[-1] > seen[-2]

    sql(NoticeEntry, "name = %s", entries[1].pk, "冒名顶替的基地")
    assert moved()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM review_noticeentry WHERE id = %s", [entries[3].pk])
    assert moved()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO review_noticeentry (notice_id, application_id, number, name, province_name, "
                       "industry) VALUES (%s, %s, 9, %s, %s, %s)",
                       [notice.pk, entries[3].application_id, "冒名顶替的基地", "江苏省", "新材料"])
    assert moved()
    sql(Notice, "text = %s", notice.pk, "改过的公示")
    assert moved()
    sql(Notice, "content_epoch = %s", notice.pk, seen[0])
    assert moved()


def test_the_public_page_verifies_the_list_again_only_when_its_content_epoch_moved(
        client, on_notice, call, english, django_assert_num_queries):
    notice, entries = on_notice
    url = reverse("notice_detail", args=[call.pk])
    assert INTACT_LINE in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert INTACT_LINE in client.get(url).content.decode()
    assert not [query for query in queries if "review_noticeentry" in query["sql"]]
    sql(NoticeEntry, "industry = %s", entries[0].pk, "改过的产业")
    with CaptureQueriesContext(connection) as queries:
        assert ALARM in client.get(url).content.decode()
    assert [query for query in queries if "review_noticeentry" in query["sql"]]


def test_a_change_past_the_triggers_shows_once_the_kept_verdict_expires(client, on_notice, call, english):
    """A writer who disables the triggers (the database's owner can) keeps the old verdict on the public page for
    at most seals.VERDICT_SECONDS; exports and decisions verify afresh all the same."""
    notice, entries = on_notice
    url = reverse("notice_detail", args=[call.pk])
    assert INTACT_LINE in client.get(url).content.decode()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check pending on the table
            cursor.execute("ALTER TABLE review_noticeentry DISABLE TRIGGER review_notice_epoch_entries")
        else:
            cursor.execute("DROP TRIGGER review_notice_epoch_entries_update")
    sql(NoticeEntry, "name = %s", entries[1].pk, "冒名顶替的基地")
    assert INTACT_LINE in client.get(url).content.decode()
    assert not fresh(notice).verify().intact
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=seals.VERDICT_SECONDS + 1)):
        page = client.get(url).content.decode()
    assert ALARM in page and INTACT_LINE not in page


def test_an_upheld_objection_and_the_final_confirmation_renew_the_seal(client, cnipa, on_notice, call, english):
    notice, entries = on_notice
    objection = object_confirmed(**person(entries[0]), now=during(notice))
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="异议成立。")
    assert fresh(entries[0]).removed_at is not None
    renewed = fresh(notice)
    assert renewed.seal != notice.seal and renewed.verify().intact
    notice = close_period(renewed)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办发运字〔2026〕9号",
                           document_date=timezone.localdate())
    final = fresh(notice)
    assert final.is_final and final.seal != notice.seal and final.verify().intact
    bases = client.get(reverse("bases")).content.decode()
    assert INTACT_LINE in bases and ALARM not in bases
    client.force_login(cnipa)
    response = client.get(reverse("notice_export", args=[call.pk, "final"]))
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    # Changed afterwards by SQL: the final list's page raises the alarm, naming the list, and is not exported.
    sql(NoticeEntry, "name = %s", entries[2].pk, "冒名顶替的基地")
    bases = client.get(reverse("bases")).content.decode()
    assert ALARM in bases and f"{call.title}: " in bases and INTACT_LINE not in bases
    assert client.get(reverse("notice_export", args=[call.pk, "final"])).status_code == 302


def test_confirming_the_dates_renews_the_seal(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    notice = fresh(publish(cnipa, call))
    national.notice_confirm_dates(actor=cnipa, notice_id=notice.pk, starts_on=notice.starts_on,
                                  ends_on=notice.ends_on + datetime.timedelta(days=7))
    assert fresh(notice).seal != notice.seal and fresh(notice).verify().intact


def test_a_list_changed_by_sql_is_not_changed_further(cnipa, on_notice):
    """A decision on a list found changed outside the portal is refused, in CNIPA's words: renewing the seal over the
    change would make it look genuine. Putting back what was published makes the seal verify again."""
    notice, entries = on_notice
    sql(NoticeEntry, "name = %s", entries[1].pk, "冒名顶替的基地")
    objection = object_confirmed(**person(entries[0]), now=during(notice))
    with pytest.raises(PortalError, match="已在系统之外被改动"):
        national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="异议成立。")
    assert fresh(entries[0]).removed_at is None and fresh(notice).seal == notice.seal

    sql(NoticeEntry, "name = %s", entries[1].pk, entries[1].name)
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="异议成立。")
    assert fresh(entries[0]).removed_at is not None and fresh(notice).verify().intact


# --- Rotation ----------------------------------------------------------------------------------------

@pytest.fixture
def old_key(settings):
    """Everything the test makes is sealed under the key "old" (asked for first, before the data's fixtures)."""
    settings.NAVPORTAL_KEYS = OLD
    return settings


def test_reseal_moves_every_seal_to_the_new_key_and_refuses_a_broken_one(old_key, applicant, outsider, submitted,
                                                                        cnipa, handed_in, call):
    settings = old_key
    submitted(outsider)  # one more version, to be changed
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    versions = list(ApplicationVersion.objects.order_by("pk"))
    assert {v.seal_key_id for v in versions} == {"old"} and fresh(notice).seal_key_id == "old"
    changed = versions[0]
    sql(ApplicationVersion, "reference = %s", changed.pk, "SB-2026-777777")

    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    result = seals.reseal(batch=2)  # several batches
    assert dict(result) == {"applications.ApplicationVersion": len(versions) - 1, "review.Notice": 1}
    assert result.broken == {"applications.ApplicationVersion": [changed.pk]}
    assert fresh(changed).seal_key_id == "old"  # refused: never made to look genuine
    again = seals.reseal()
    assert dict(again) == {"applications.ApplicationVersion": 0, "review.Notice": 0}
    assert again.broken == result.broken

    assert fields.reencrypt()["applications.ApplicationVersion"] == len(versions)  # the content, encrypted too
    settings.NAVPORTAL_KEYS = NEW  # the old key is removed once the rotation is done
    verdicts = {v.pk: v.verify() for v in ApplicationVersion.objects.all()}
    assert verdicts.pop(changed.pk) == seals.Verdict("unknown_key", "old")
    assert set(verdicts.values()) == {seals.Verdict("intact", "new")}
    assert fresh(notice).verify() == seals.Verdict("intact", "new")


def test_seal_all_seals_rows_made_before_seals_as_the_migrations_do(old_key, on_notice):
    settings = old_key
    notice, entries = on_notice
    version = ApplicationVersion.objects.get(application=entries[0].application_id)
    ApplicationVersion.objects.update(seal="", seal_key_id="")
    Notice.objects.update(seal="", seal_key_id="")
    assert fresh(version).verify().broken and fresh(notice).verify().broken
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"  # the content was encrypted under the old key, which still reads
    assert seals.seal_all(ApplicationVersion) == ApplicationVersion.objects.count()
    assert seals.seal_all(Notice) == 1
    assert fresh(version).verify() == seals.Verdict("intact", "new")
    assert fresh(notice).verify() == seals.Verdict("intact", "new")


def test_the_generated_world_is_sealed(db):
    import io

    from django.core.management import call_command

    call_command("generate_national", "--applications", "12", "--past", "4", "--not-production",
                 stdout=io.StringIO())
    assert ApplicationVersion.objects.exists() and Notice.objects.exists()
    assert all(version.verify().intact for version in ApplicationVersion.objects.all())
    assert all(notice.verify().intact for notice in Notice.objects.all())
