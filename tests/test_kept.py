"""{% kept %} (navportal/templatetags/kept.py): a fragment with POST forms kept under its version, each request given
its own CSRF token in it — never the one of the request that rendered it — and rendered afresh for a version of
None (a refused form with its errors)."""

import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.utils import translation

TEMPLATE = Template('{% load i18n kept %}{% kept "test_forms" version %}<form>{% csrf_token %}'
                    '{% translate "Save" %} {{ counter.next }}</form>{% endkept %}')


class Counter:
    def __init__(self):
        self.n = 0

    def next(self):
        self.n += 1
        return self.n


def render(version, token, counter):
    return TEMPLATE.render(Context({"version": version, "csrf_token": token, "counter": counter}))


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_each_request_gets_its_own_token_in_the_kept_fragment():
    counter = Counter()
    first = render("v1", "tokenAAA", counter)
    second = render("v1", "tokenBBB", counter)
    assert 'value="tokenAAA"' in first and "tokenBBB" not in first
    assert 'value="tokenBBB"' in second and "tokenAAA" not in second and "kept-fragment-csrf-slot" not in second
    assert counter.n == 1 and first.replace("tokenAAA", "tokenBBB") == second  # rendered once, kept
    assert 'name="csrfmiddlewaretoken"' not in render("v1", "NOTPROVIDED", counter)
    render("v2", "tokenCCC", counter)
    assert counter.n == 2  # another version: rendered anew


def test_a_version_of_none_is_rendered_afresh_and_the_language_is_part_of_the_key():
    counter = Counter()
    render(None, "t1", counter)
    render(None, "t2", counter)
    assert counter.n == 2
    with translation.override("en"):
        english = render("v", "t", counter)
    with translation.override("zh-hans"):
        chinese = render("v", "t", counter)
    assert "Save" in english and "保存" in chinese and counter.n == 4


def test_text_a_user_typed_cannot_open_the_slot():
    template = Template('{% load kept %}{% kept "test_typed" version %}{{ typed }}{% endkept %}')
    typed = '<input type="hidden" name="csrfmiddlewaretoken" value="kept-fragment-csrf-slot">'
    html = template.render(Context({"version": "v", "typed": typed, "csrf_token": "secret-token"}))
    assert "secret-token" not in html and "&lt;input" in html
