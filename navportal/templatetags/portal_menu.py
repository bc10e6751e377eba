"""The page's frame, made once where it can be: `{% portal_menu %}` and `{% constant %}`.

`{% portal_menu %}`: the header's menu, a link for every page the signed-in user may open, asked as the page's view asks (the rules
of navportal/rules.py and the apps' rules.py: no query).

Which links a user gets depends on the permissions alone, and their HTML on those and the language: the HTML is
made once per process for each combination met (a pure function of the code, holding no data: nothing to
invalidate) instead of reversing a dozen addresses and translating their names on every page; the permissions
themselves are asked on every request. The messages link, with its unread count, is the template's."""

import functools

import rules
from django import template
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (permission, page, label), in the menu's order. Of the two package links only the first granted shows.
MENU = (
    ("applications.apply", "application_list", _("My applications")),
    ("applications.apply", "organisation_own", _("Organisation")),
    ("navportal.view_audit", "audit_list", _("Audit trail")),
    ("navportal.manage_accounts", "account_list", _("Accounts")),
    ("navportal.manage_mail", "mail_list", _("Mail")),
    ("navportal.manage_security", "security_home", _("Security")),
    ("review.view_queue", "review_queue", _("Review queue")),
    ("review.view_dashboard", "dashboard", _("Dashboard")),
    ("review.list_packages", "package_list", _("Packages")),
    ("review.view_package", "package_current", _("Recommendation package")),
    ("review.set_province_deadline", "province_deadline", _("Deadline")),
    ("review.manage_calls", "call_list", _("Calls")),
    ("review.manage_registry", "registry_list", _("Registry")),
)
PERMISSIONS = tuple(dict.fromkeys(permission for permission, _page, _label in MENU))


@register.simple_tag(takes_context=True)
def portal_menu(context):
    """The menu's links (<li> items) for the context's user."""
    user = context["user"]
    granted = frozenset(permission for permission in PERMISSIONS if rules.has_perm(permission, user))
    return _menu(granted, get_language(), get_script_prefix())


@functools.lru_cache(maxsize=128)
def _menu(granted, language, script_prefix):
    items = []
    for permission, page, label in MENU:
        if permission not in granted:
            continue
        if page == "package_current" and "review.list_packages" in granted:
            continue  # who lists every package does not need the link to their own
        items.append(format_html('<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>', reverse(page),
                                 label))
    return mark_safe("\n".join(items))


class ConstantNode(template.Node):
    # Not walked for the blocks of a template: a page that extends base.html has Django look through the whole
    # of base.html's nodes for its {% block %}s on every render, and most of them are inside {% constant %}, which
    # holds no block (its content is rendered once and kept).
    child_nodelists = ()

    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered = {}

    def render(self, context):
        key = (get_language(), get_script_prefix())
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = self.nodelist.render(context)
        return html


@register.tag
def constant(parser, token):
    """{% constant %}…{% endconstant %}: template text that depends on nothing but the code, the language and the
    site's address (translated words, {% url %}, {% static %}) — rendered once per process for each language and
    address prefix, and the same HTML given every page after. Nothing of the request or the user may be inside:
    the header's name, counts, forms' tokens and the page's blocks stay outside."""
    nodelist = parser.parse(("endconstant",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% constant %} holds no {% block %}: its content is rendered once")
    return ConstantNode(nodelist)
