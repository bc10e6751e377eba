"""The 30-minute idle limit moves with activity, but the session is written at most once a minute."""

import datetime

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.test_accounts_security import official, sign_in_fully  # noqa: F401 - fixture


def expiry(client):
    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


def test_activity_renews_the_idle_limit_once_a_minute(official, settings):
    settings.SESSION_RENEW_SECONDS = 60
    client = Client()
    sign_in_fully(client, "prov-js")
    assert client.get(reverse("review_queue")).status_code == 200
    first = expiry(client)
    assert client.get(reverse("review_queue")).status_code == 200
    assert expiry(client) == first  # within the minute: no write
    session = client.session
    session["renewed_at"] = (timezone.now() - datetime.timedelta(minutes=1, seconds=1)).timestamp()
    session.save()
    written = expiry(client)
    assert client.get(reverse("review_queue")).status_code == 200
    assert expiry(client) > written
    assert datetime.timedelta(minutes=29) < expiry(client) - timezone.now() <= datetime.timedelta(minutes=30)
