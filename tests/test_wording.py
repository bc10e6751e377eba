"""Users read the portal's own wording, not Django's defaults: no informal 你, no "这个字段是必填项", no
"---------", and each language named in itself in the language choice."""

import re

import pytest
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real


def test_no_message_of_the_chinese_catalog_says_ni():
    """The merged catalog: Django's, its contrib apps', the packages' and ours (which wins)."""
    catalog = trans_real.translation("zh-hans")._catalog
    informal = sorted(str(key) for key in set(catalog.keys()) if "你" in catalog[key])  # [key]: the one in force
    assert informal == []


@pytest.mark.django_db
def test_a_required_field_says_so_in_the_portals_words(client):
    response = client.post(reverse("register"), {})
    body = response.content.decode()
    assert "这个字段是必填项" not in body
    assert response.context["form"].errors["name"] == ["请填写此项。"]


def test_the_password_rules_address_the_user_formally():
    with translation.override("zh-hans"):
        rules = password_validation.password_validators_help_texts()
    assert rules and all("你" not in rule for rule in rules)
    assert any(rule.startswith("您的密码") for rule in rules)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_language_choice_names_each_language_in_itself(client, language):
    client.cookies.load({"django_language": language})
    body = client.get(reverse("login")).content.decode()
    select = body[body.index('<select id="language"'):]
    select = select[:select.index("</select>")]
    assert re.findall(r'<option value="([^"]+)" lang="[^"]+"( selected)?>([^<]+)</option>', select) == [
        ("zh-hans", " selected" if language == "zh-hans" else "", "简体中文"),
        ("en", " selected" if language == "en" else "", "English")]
