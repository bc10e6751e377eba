"""The signed-in user's unit, named in every page's header, comes with the user's own query."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.test_accounts_security import official, sign_in_fully  # noqa: F401 - fixture


def test_the_scope_is_read_with_the_user(official):
    client = Client()
    sign_in_fully(client, "prov-js")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("messages")).content.decode()
    assert "江苏省" in page  # the header names the province
    user_queries = [q["sql"] for q in queries.captured_queries if 'FROM "navportal_user"' in q["sql"]]
    assert len(user_queries) == 1 and 'JOIN "navportal_province"' in user_queries[0]
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "navportal_province"')]
