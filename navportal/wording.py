"""Django's own messages that users of the portal see, in the portal's wording.

Django's Simplified Chinese catalog says "这个字段是必填项" and addresses the user as 你; the portal writes
in the official register (您) and its own terms. Our catalog (LOCALE_PATHS) is searched before Django's, so an
entry there replaces Django's translation. The messages are listed here so that makemessages keeps those
entries; tests/test_wording.py checks that no message of the merged catalog still says 你.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_MESSAGES = (
    gettext_noop("This field is required."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    ngettext_lazy("Your password must contain at least %(min_length)d character.",
                  "Your password must contain at least %(min_length)d characters.", "min_length"),
    gettext_noop("ManagementForm data is missing or has been tampered with. Missing fields: %(field_names)s. You "
                 "may need to file a bug report if the issue persists."),
    gettext_noop("If you are using the <meta name=\"referrer\" content=\"no-referrer\"> tag or including the "
                 "“Referrer-Policy: no-referrer” header, please remove them. The CSRF protection requires the "
                 "“Referer” header to do strict referer checking. If you’re concerned about privacy, use "
                 "alternatives like <a rel=\"noreferrer\" …> for links to third-party sites."),
)
