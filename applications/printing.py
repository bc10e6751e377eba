"""The form as a PDF: the print view's own template (templates/applications/print.html and
static/css/print.css, its print rules), laid out on the server by WeasyPrint, so the document an applicant
signs and seals is the same page in every browser and the same bytes for the reviewer.

The fonts are the machine's (fonts-noto-cjk, from Debian; `make install` says when they are missing): the
stylesheet names "Noto Serif CJK SC" after the fonts of a Windows or Mac desktop. WeasyPrint fetches nothing
from outside: the only resource it may read is a stylesheet of our own static files.
"""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone

from .selectors import ApplicationContent
from .workflow import route_for

# A base URL that never resolves to a host: every link of the page is resolved against it, then answered (or
# refused) by _StaticOnly below.
BASE_URL = "https://navportal.invalid/"


def print_context(application, *, content=None, printed_at=None):
    """What templates/applications/print.html shows: the browser's print view and the PDF alike."""
    content = content or ApplicationContent(application)
    return {
        "application": application, "content": content, "printed_at": printed_at or timezone.localtime(),
        "route": application.route or route_for(application.applicant_type, application.affiliation),
    }


def print_html(application, *, content=None, printed_at=None):
    """The print view as one HTML document, for the PDF (no toolbar, no script)."""
    context = print_context(application, content=content, printed_at=printed_at)
    return render_to_string("applications/print.html", {**context, "as_pdf": True})


def _static_only():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    prefix = BASE_URL.rstrip("/") + settings.STATIC_URL

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            # Only our own static files (the print stylesheet); no file:, no network, whatever the page says.
            if not url.startswith(prefix):
                raise ValueError(f"not fetched for the PDF: {url}")
            name = url[len(prefix):].split("?")[0]
            if staticfiles_storage.exists(name):  # collected (a hashed name in production)
                with staticfiles_storage.open(name) as stream:
                    body = stream.read()
            elif path := finders.find(name):      # the source folders (development, tests)
                with open(path, "rb") as stream:
                    body = stream.read()
            else:
                raise ValueError(f"no such static file: {url}")
            return URLFetcherResponse(url, body, {"Content-Type": "text/css"})

    return StaticOnly()


def html_to_pdf(html):
    """The PDF (bytes) of a print view's HTML."""
    import weasyprint  # imported on use: its start-up (pango, fonts) is paid only by who makes a PDF

    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=_static_only()).write_pdf()


def application_pdf(application, *, content=None, printed_at=None):
    """The PDF of the application's current content, with its check code."""
    return html_to_pdf(print_html(application, content=content, printed_at=printed_at))
