"""navportal.compiled.CompiledQuery: the signed-in user's query compiled once and run again with each user id gives
what the ORM gives — every field (the encrypted address decrypted), the unit, the annotations — and None for an
id that names no user."""

import pytest
from django.utils import timezone
from django.db import connection
from django.contrib.auth import get_user_model
from django.db.models.sql.compiler import SQLCompiler
from django_otp.plugins.otp_totp.models import TOTPDevice

from navportal.auth import ScopedModelBackend, confirmed_totp_id, unread_messages
from navportal.compiled import CompiledQuery
from navportal.models import Message

FIELDS = ["pk", "username", "email", "role", "province_id", "city_id", "ministry_id", "organisation_id",
          "display_name", "is_active", "password", "last_login", "language", "sessions_epoch"]


def orm_user(user_id):
    return get_user_model().objects.select_related("province", "city", "ministry", "organisation").annotate(
        unread_messages=unread_messages(), confirmed_totp_id=confirmed_totp_id()).get(pk=user_id)


def same_user(a, b):
    return ([getattr(a, name) for name in FIELDS] == [getattr(b, name) for name in FIELDS]
            and a.scope_label == b.scope_label and a.unread_messages == b.unread_messages
            and a.confirmed_totp_id == b.confirmed_totp_id)


def test_the_compiled_user_is_the_orm_user_for_every_kind_of_scope(reviewers, applicant):
    users = [*reviewers.values(), applicant]
    Message.objects.create(recipient=applicant, subject="s", body="b")
    Message.objects.create(recipient=reviewers["province_js"], subject="s", body="b")
    TOTPDevice.objects.create(user=reviewers["province_js"], name="TOTP", confirmed=True)
    query = ScopedModelBackend.signed_in_user
    for user in users:
        compiled = query.get(user.pk)
        assert same_user(compiled, orm_user(user.pk)), user.username
    assert query.get(applicant.pk).organisation.name == applicant.organisation.name
    assert query.get(applicant.pk).unread_messages == 1 and query.get(applicant.pk).email == applicant.email
    assert query.get(reviewers["province_js"].pk).confirmed_totp_id is not None
    assert query.get(reviewers["national"].pk).province is None


def test_an_id_without_a_user_gives_none_and_the_backend_none(db):
    assert ScopedModelBackend.signed_in_user.get(10**9) is None
    assert ScopedModelBackend().get_user(10**9) is None and ScopedModelBackend().get_user("x") is None


def test_the_sql_is_compiled_once(reviewers, monkeypatch):
    query = CompiledQuery(lambda user_id: get_user_model().objects.filter(pk=user_id), "test_once")
    calls = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    assert [query.get(user.pk).username for user in reviewers.values()] == [u.username for u in reviewers.values()]
    assert len(calls) == 1


def test_a_query_of_more_than_one_value_is_refused(db):
    query = CompiledQuery(lambda value: get_user_model().objects.filter(pk=value) | get_user_model().objects.filter(
        organisation_id=value), "test_two")
    with pytest.raises(ValueError):
        query.get(1)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_it_is_prepared_once_per_database_session(reviewers):
    import threading

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    query = CompiledQuery(lambda user_id: get_user_model().objects.filter(pk=user_id), "test_prepared")
    users = list(reviewers.values())
    with CaptureQueriesContext(connection) as queries:
        assert [query.get(user.pk) for user in users] == users
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == len(users)  # one statement a call, the first one preparing as it runs
    assert sql[0].startswith("PREPARE navportal_test_prepared AS SELECT")
    assert "; EXECUTE navportal_test_prepared(" in sql[0]
    assert all(s.startswith("EXECUTE navportal_test_prepared(") for s in sql[1:])
    # Another thread has a connection of its own, a new session: the statement is prepared there too.
    seen = []

    def other_session():
        try:
            seen.append(query.get(users[0].pk))  # not committed: that session does not see the row
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_session)
    thread.start()
    thread.join()
    assert seen == [None] and len(query._prepared) == 2


def test_a_query_of_no_value_lists_what_the_orm_lists_in_its_order(call):
    from review.models import Call

    for title in ("乙批次", "甲批次"):
        Call.objects.create(title=title, document_number="测试〔2026〕1号", opens_at=call.opens_at - timezone.timedelta(
            days=len(title)), deadline=call.deadline, exempt_categories=["national_ip_park"])
    query = CompiledQuery(lambda _value: Call.objects.order_by("-opens_at", "pk"), "test_calls")
    listed = query.list()
    expected = list(Call.objects.order_by("-opens_at", "pk"))
    assert [(c.pk, c.title, c.deadline, c.exempt_categories) for c in listed] == [
        (c.pk, c.title, c.deadline, c.exempt_categories) for c in expected] and len(listed) == 3
    assert query.list() == expected  # again: the statement run as compiled (on PostgreSQL, prepared)
    with pytest.raises(ValueError):
        query.get(1)
    with pytest.raises(ValueError):
        CompiledQuery(lambda user_id: get_user_model().objects.filter(pk=user_id), "test_one").list()


def test_an_empty_list(db):
    from review.models import Call

    assert CompiledQuery(lambda _value: Call.objects.filter(title="无此批次"), "test_none").list() == []


def test_the_queue_filters_choices_are_their_fields_querysets(call):
    from review.forms import CHOICE_QUERYSETS, CHOICES, QueueFilterForm

    form = QueueFilterForm(units=True)
    for name, query in CHOICES.items():
        expected = [(o.pk, str(o)) for o in CHOICE_QUERYSETS[name].all()]
        assert [(o.pk, str(o)) for o in query.list()] == expected and expected, name
        assert form.fields[name].choices[1:] == expected, name
    assert "province" not in QueueFilterForm().fields  # another reviewer's scope is one unit already


def test_a_query_of_one_value_lists_what_the_orm_lists_for_it(applicant, reviewers, submitted):
    """An application's versions, as every application page reads them: the same rows, in order, their content
    left unread until used."""
    from applications import services
    from applications.models import ApplicationVersion
    from applications.selectors import VERSIONS
    from review import services as review_services

    application = submitted(applicant)
    review_services.application_return(actor=reviewers["province_js"], application_id=application.pk, reason="补充")
    assert services.application_submit(actor=applicant, application_id=application.pk) == []
    listed = VERSIONS.list(application.pk)
    expected = list(ApplicationVersion.objects.filter(application=application).order_by("number"))
    assert [(v.pk, v.number, v.reference, v.seal, v.content_epoch) for v in listed] == [
        (v.pk, v.number, v.reference, v.seal, v.content_epoch) for v in expected] and len(listed) == 2
    assert all(v.get_deferred_fields() == {"data", "print_html"} for v in listed)
    assert [v.data for v in listed] == [v.data for v in expected]  # read when used
    assert VERSIONS.list(999_999) == []
    with pytest.raises(ValueError):
        VERSIONS.list()


def test_a_count_is_the_length_of_the_list(call, applicant, reviewers, submitted):
    """`.count(value)` counts in the database what `.list(value)` lists (a statement of its own, prepared beside
    the query's on PostgreSQL), and refuses a call of the wrong arity as `.list` does."""
    from applications.models import Application

    query = CompiledQuery(lambda call_id: Application.objects.filter(call_id=call_id).only("pk"), "test_count")
    assert query.count(call.pk) == 0
    submitted(applicant)
    assert query.count(call.pk) == len(query.list(call.pk)) == Application.objects.filter(call=call).count() == 1
    assert query.count(999_999) == 0
    with pytest.raises(ValueError):
        query.count()
    calls = CompiledQuery(lambda _value: Application.objects.all(), "test_count_all")
    assert calls.count() == Application.objects.count() == 1
    with pytest.raises(ValueError):
        calls.count(1)
