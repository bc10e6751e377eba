"""The signed-in user's unit, named in every page's header, comes with the user's own query."""

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from navportal.auth import ScopedModelBackend
from tests.test_accounts_security import official, sign_in_fully  # noqa: F401 - fixture


def user_queries(queries):
    """The SQL of the captured queries that read users: on PostgreSQL the signed-in user's is a prepared statement
    (navportal.compiled), shown here as the SQL it runs."""
    query = ScopedModelBackend.signed_in_user
    named = (f"EXECUTE {query.name}(", f"PREPARE {query.name} AS")
    return [query.sql() if q["sql"].startswith(named) else q["sql"]
            for q in queries.captured_queries if 'FROM "navportal_user"' in q["sql"] or q["sql"].startswith(named)]


def test_the_scope_is_read_with_the_user(official):
    client = Client()
    sign_in_fully(client, "prov-js")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("messages")).content.decode()
    assert "江苏省" in page  # the header names the province
    read = user_queries(queries)
    assert len(read) == 1 and 'JOIN "navportal_province"' in read[0]
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "navportal_province"')]


def test_the_unread_count_is_read_with_the_user(official):
    """The header's unread-message badge costs no query of its own: it is a subquery of the user's row."""
    from navportal.models import Message, User

    client = Client()
    sign_in_fully(client, "prov-js")
    user = User.objects.get(username="prov-js")
    Message.objects.filter(recipient=user).delete()
    Message.objects.bulk_create([Message(recipient=user, subject=f"s{i}", body="b") for i in range(3)])
    Message.objects.create(recipient=user, subject="read", body="b", read_at="2026-01-01T00:00Z")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("review_queue")).content.decode()
    assert 'badge bg-warning text-dark">3<span class="visually-hidden">' in page
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT COUNT(*)')
                and '"navportal_message"' in q["sql"]]
    user_query = user_queries(queries)[0]
    assert '"navportal_message"' in user_query
    # The messages page shows them as new and leaves them so (a GET changes nothing); its button marks them read,
    # and the next page has no badge.
    page = client.get(reverse("messages")).content.decode()
    assert 'badge bg-warning text-dark">3<span' in client.get(reverse("review_queue")).content.decode()
    shown = re.findall(r'name="message" value="(\d+)"', page)
    assert client.post(reverse("messages_mark_read"), {"message": shown}).url == reverse("messages")
    assert 'badge bg-warning' not in client.get(reverse("review_queue")).content.decode()
    assert Message.objects.filter(recipient=user, read_at__isnull=True).count() == 0
