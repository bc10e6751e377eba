"""The page's frame made once where it can be (navportal/templatetags/portal_menu.py): the menu's HTML per set of
permissions and language, and {% constant %} per language — each user still gets their own menu, each language its
own words."""

from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation


def test_constant_text_is_made_per_language():
    template = Template('{% load i18n portal_menu %}{% constant %}{% translate "Log in" %}|{% url "help" %}'
                        '{% endconstant %}')
    with translation.override("en"):
        english = template.render(Context())
    with translation.override("zh-hans"):
        chinese = template.render(Context())
    with translation.override("en"):
        again = template.render(Context())
    assert english == again == f"Log in|{reverse('help')}"
    assert chinese == f"登录|{reverse('help')}"


def test_constant_holds_no_block_and_is_not_walked_for_blocks():
    """A page that extends base.html has Django look through base.html's nodes for its blocks on every render:
    the content of {% constant %} is skipped, and a block inside one (which would be kept as first rendered) is
    refused when the template is read."""
    import pytest
    from django.template import TemplateSyntaxError
    from django.template.loader import get_template
    from django.template.loader_tags import BlockNode

    from navportal.templatetags.portal_menu import ConstantNode

    base = get_template("base.html").template
    constants = base.nodelist.get_nodes_by_type(ConstantNode)
    assert len(constants) >= 4 and all(not node.get_nodes_by_type(BlockNode) for node in constants)
    assert {node.name for node in base.nodelist.get_nodes_by_type(BlockNode)} >= {"title", "head", "content"}
    with pytest.raises(TemplateSyntaxError):
        Template("{% load portal_menu %}{% constant %}{% block x %}{% endblock %}{% endconstant %}")


def menu(client):
    page = client.get(reverse("messages")).content.decode()
    return page[page.index('<ul class="navbar-nav'):page.index("</ul>", page.index('<ul class="navbar-nav'))]


def test_each_user_gets_the_menu_of_their_own_permissions_in_their_language(applicant, reviewers):
    contact, cnipa, province = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en"), Client()
    contact.force_login(applicant)
    cnipa.force_login(reviewers["national"])
    province.force_login(reviewers["province_js"])
    contact_menu, cnipa_menu, province_menu = menu(contact), menu(cnipa), menu(province)
    assert reverse("application_list") in contact_menu and reverse("review_queue") not in contact_menu
    assert "My applications" in contact_menu
    assert reverse("dashboard") in cnipa_menu and reverse("package_list") in cnipa_menu
    assert reverse("package_current") not in cnipa_menu and reverse("application_list") not in cnipa_menu
    assert reverse("package_current") in province_menu and reverse("province_deadline") in province_menu
    assert "审核列表" in province_menu
    assert "Review queue" in menu(cnipa) and "Review queue" not in province_menu


def test_every_page_names_itself_before_the_portal_in_its_title(client, db):
    """The browser's tab reads "页面 · 国家级专利导航服务基地": every template extending base.html has its own title,
    and the two are set apart (they used to run together, "审核列表国家级专利导航服务基地")."""
    import re
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR, "templates")
    texts = {str(path.relative_to(root)): path.read_text(encoding="utf-8") for path in root.rglob("*.html")}
    layouts = {"base.html"}  # base.html, and the layouts (named _…) extending it
    layouts |= {name for name, text in texts.items() if name.rsplit("/", 1)[-1].startswith("_")
                and '{% extends "base.html" %}' in text}
    pages = [name for name, text in texts.items() if name not in layouts
             and any(f'{{% extends "{layout}" %}}' in text for layout in layouts)]
    assert len(pages) > 50
    assert [name for name in pages if not re.search(r"{% block title %}[^{]*\S|{% block title %}{%",
                                                     texts[name])] == []
    page = client.get(reverse("help")).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert " · " in title and title.endswith("国家级专利导航服务基地") and not title.startswith(" · ")
