"""Whole public pages kept for visitors without a session (navportal.pages.shared_page): the public notice and the
final list are rendered once per version and language, each visitor's CSRF token put back into the kept page;
anyone with a session gets the page rendered for them."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from review import calls
from review.validators import CALL_FIELDS
from tests.review.test_national import handed_in, pass_all, publish  # noqa: F401 - fixtures

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def cnipa(reviewers):
    return reviewers["national"]


@pytest.fixture
def notice_url(cnipa, handed_in, call):
    pass_all(cnipa, handed_in)
    publish(cnipa, call)
    return reverse("notice_detail", args=[call.pk])


def visit(url, **headers):
    """A new visitor (no cookie), in English unless told otherwise: (response, client)."""
    client = Client(HTTP_ACCEPT_LANGUAGE=headers.pop("language", "en"))
    return client.get(url, **headers), client


def renders(client, url):
    """(Whether the page was rendered for this request rather than taken as kept, the response)."""
    response = client.get(url)
    assert response.status_code == 200
    return bool(response.templates), response


def test_a_second_visitor_gets_the_kept_page_with_a_token_of_their_own_that_works(notice_url):
    first, _client = visit(notice_url)
    assert first.status_code == 200
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    rendered, second = renders(client, notice_url)
    assert not rendered
    # The same page but for the token, which is the second visitor's own and passes the CSRF check.
    assert TOKEN.sub("", first.content.decode()) == TOKEN.sub("", second.content.decode())
    token = TOKEN.search(second.content.decode()).group(1)
    assert token != TOKEN.search(first.content.decode()).group(1)
    client_csrf = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client_csrf.cookies = client.cookies
    response = client_csrf.post(reverse("set_language"), {"language": "zh-hans", "next": notice_url,
                                                            "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.cookies["django_language"].value == "zh-hans"
    # Without the cookie its token was made for, the token is refused: it is not anybody's.
    stranger = Client(enforce_csrf_checks=True)
    stranger.get(reverse("help"))
    assert stranger.post(reverse("set_language"), {"language": "zh-hans", "csrfmiddlewaretoken": token}
                         ).status_code == 403


def test_each_language_is_kept_apart(notice_url):
    english, _client = visit(notice_url)
    chinese, _client = visit(notice_url, language="zh-hans")
    assert "Public notice of the proposed list" in english.content.decode()
    assert "拟确定名单公示" in chinese.content.decode()
    assert "Public notice of the proposed list" not in chinese.content.decode()


def test_a_signed_in_visitor_is_never_given_the_kept_page(client, notice_url, cnipa):
    visit(notice_url)
    client.force_login(cnipa)
    rendered, response = renders(client, notice_url)
    page = response.content.decode()
    assert rendered and reverse("logout") in page and cnipa.scope_label in page


def test_a_visitor_with_a_pending_message_gets_the_page_rendered(notice_url):
    visit(notice_url)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["messages"] = "pending"
    rendered, _response = renders(client, notice_url)
    assert rendered


def test_a_new_version_of_what_the_page_shows_is_shown_at_once(notice_url, cnipa, call):
    visit(notice_url)
    values = {field: getattr(call, field) for field in CALL_FIELDS}
    calls.call_save(actor=cnipa, call_id=call.pk, values={**values, "title": "改过名的批次"})
    rendered, response = renders(Client(HTTP_ACCEPT_LANGUAGE="en"), notice_url)
    assert rendered and "改过名的批次" in response.content.decode()


def test_the_final_list_is_kept_per_query(db):
    bases = reverse("bases")
    visit(bases)
    first, _client = visit(bases + "?q=甲")
    second, _client = visit(bases + "?q=乙")
    assert 'value="甲"' in first.content.decode() and 'value="乙"' in second.content.decode()
