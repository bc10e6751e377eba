"""The bases' pages' small helpers: a value of a dict, a grade's words, and the bars of the provinces' chart (SVG,
drawn on the server: no script, no library to load on a closed network)."""

from django import template
from django.utils.html import format_html, format_html_join

from ..models import Grade

register = template.Library()

LABEL_WIDTH, BAR_WIDTH = 90, 440
COLOURS = {Grade.EXCELLENT: "#198754", Grade.GOOD: "#0d6efd", Grade.QUALIFIED: "#6c757d", Grade.UNQUALIFIED: "#dc3545"}


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def mul(value, factor):
    return int(value) * int(factor)


@register.filter
def grade_label(value):
    return Grade(value).label if value in Grade.values else value


@register.filter
def bar_end(n, scale):
    return LABEL_WIDTH + round(BAR_WIDTH * int(n) / max(int(scale), 1)) + 6


@register.simple_tag
def grade_bar(counts, n, scale, y):
    """One province's bar: a segment per grade, its width in proportion to its count (the widest bar: `scale`)."""
    x, parts = LABEL_WIDTH, []
    for grade in Grade.values:
        width = round(BAR_WIDTH * counts.get(grade, 0) / max(int(scale), 1))
        if width:
            parts.append((x, int(y) + 3, width, COLOURS[grade], Grade(grade).label, counts[grade]))
            x += width
    return format_html_join("", '<rect x="{}" y="{}" width="{}" height="15" fill="{}"><title>{}: {}</title></rect>',
                            parts)


@register.simple_tag
def legend(grade):
    return format_html('<svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"/></svg>',
                       COLOURS.get(grade, "#999"))
