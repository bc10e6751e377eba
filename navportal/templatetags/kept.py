"""`{% kept name version %}…{% endkept %}`: a fragment with POST forms in it, rendered once for its version.

Like `{% cache %}` (the same keys, in the shared cache), for a fragment that holds forms: each request's CSRF token
is its own (Django masks it anew for every response), so the fragment is kept with a slot in the place of the
token, and every request's own token is put into the slot on the way out — no one is served another's token.
`version` is made by the view from what the fragment shows (review.views.package_context: a digest of the rows it
read); the language is added. A version of None renders the fragment afresh and keeps nothing (a form with the
user's input and its errors).
"""

from django import template
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

KEPT_SECONDS = 600
# What {% csrf_token %} renders for the slot: the whole element, which no escaped text of a user can spell.
SLOT = "kept-fragment-csrf-slot"
SLOT_INPUT = f'<input type="hidden" name="csrfmiddlewaretoken" value="{SLOT}">'


class KeptNode(template.Node):
    def __init__(self, nodelist, name, version):
        self.nodelist, self.name, self.version = nodelist, name, version

    def render(self, context):
        version = self.version.resolve(context)
        if version is None:
            return self.nodelist.render(context)
        key = make_template_fragment_key(self.name, [version, get_language()])
        html = cache.get(key)
        if html is None:
            with context.push(csrf_token=SLOT):
                html = self.nodelist.render(context)
            cache.set(key, html, KEPT_SECONDS)
        token = context.get("csrf_token")
        own = "" if not token or token == "NOTPROVIDED" else format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        return mark_safe(html.replace(SLOT_INPUT, own))  # noqa: S308 - rendered escaped; the token escaped here


@register.tag
def kept(parser, token):
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError("{% kept name version %} takes a name and a version")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, bits[1].strip("\"'"), parser.compile_filter(bits[2]))
