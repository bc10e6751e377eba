"""个人信息处理规则 (个人信息保护法 Art. 17): the version of the rules the page states, the retention periods it
names (settings, applied by manage.py apply_retention), and the acknowledgement every form that collects personal
information asks for before it stores any.

A form records the version acknowledged with what it stores (the user, the application, the objection); when the
rules change, RULES_VERSION moves on and each form asks again before it stores more.
"""

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .errors import PortalError

# The date the rules' current text took effect; bumped with every change of what the page says.
RULES_VERSION = "2026-12-01"


def retention():
    """The periods the rules page states and the retention command applies (settings, 个人信息保护法 Art. 19)."""
    return {"objection_days": settings.PRIVACY_OBJECTION_DAYS, "roster_years": settings.PRIVACY_ROSTER_YEARS,
            "log_days": settings.PRIVACY_LOG_DAYS}


def _link():
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', reverse("privacy_rules"),
                       _("Read the personal information rules"))


# Beside the tick box, not in its label (which the error summary shows as a link of its own); in a new tab, so that
# the form the person is filling in is kept while they read.
rules_link = lazy(_link, str)


def acknowledgement_field(text):
    """The tick box a form asks before it stores personal information: `text` says what is acknowledged."""
    return forms.BooleanField(label=text, help_text=rules_link(), required=True, error_messages={"required": _(
        "Tick to confirm you have read the personal information rules: nothing was stored without it.")})


def check_acknowledged(version):
    """A service's own check: the version a form acknowledged must be the rules' current one (PortalError
    "privacy")."""
    if version != RULES_VERSION:
        raise PortalError(_("Confirm that you have read the current personal information rules (version "
                            "%(version)s) before personal information is stored.") % {"version": RULES_VERSION},
                          code="privacy")
