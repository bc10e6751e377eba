"""个人信息保护法: no personal data on any public page or public spreadsheet. A crawler follows every link of
the public pages (no login) and checks each page — and the lists as attached to the notice — for phone
numbers, e-mail addresses, ID numbers and the contact people's names. The same crawler, as the public, an
applicant, officials and an administrator, checks that every form collecting personal data links the personal
information rules inside the form."""

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import resolve, reverse
from openpyxl import load_workbook

from applications import services
from navportal.models import Role
from navportal.privacy_rules import RULES_VERSION
from portal import data_requests
from review.models import Objection
from review.public_forms import ObjectionForm
from tests.conftest import make_user, object_confirmed, version_of
from tests.bases.conftest import designated  # noqa: F401 - fixtures
from tests.review.test_national import during, handed_in, pass_all, person, publish  # noqa: F401 - fixtures
from tests.review.test_public import cnipa  # noqa: F401 - fixtures

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|0\d{2,3}-\d{7,8}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
ID_NUMBER = re.compile(r"(?<![0-9A-Z])\d{17}[\dXx](?![0-9A-Z])")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith("/static/"):
            self.links.append(href.split("#")[0])


def crawl(client, start, limit=60):
    """{url: HTML} of the pages reached from `start` by following links and redirects within the site (a page such
    as /notice/ only redirects to the notice itself), but not the sign-out."""
    seen, queue, pages = set(), list(start), {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302, 303, 307, 308) and response["Location"].startswith("/"):
            queue.append(response["Location"])
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[url] = body
        parser = Links()
        parser.feed(body)
        queue.extend(link for link in parser.links if urlparse(link).path not in ("/accounts/logout/",))
    return pages


def personal_data(text, names):
    found = PHONE.findall(text) + EMAIL.findall(text) + ID_NUMBER.findall(text)
    return found + [name for name in names if name in text]


@pytest.fixture
def public_world(reviewers, handed_in, call, time_machine):
    """A notice published with one objection, on a day of its period: its objection forms are open."""
    cnipa = reviewers["national"]
    pass_all(cnipa, handed_in)
    notice = publish(cnipa, call)
    time_machine.move_to(during(notice))
    object_confirmed(**person(notice.entries.first(), name="赵异议", phone="13912345678",
                                       email="zhao@example.cn", signature="赵异议"))
    return notice


def url_names(pages):
    return {resolve(urlparse(url).path).url_name for url in pages}


def test_public_pages_show_no_personal_data(public_world):
    pages = crawl(Client(), ["/", "/notice/", "/bases/"])
    assert {"home", "notice_detail", "objection_create", "bases", "register", "login"} <= url_names(pages)
    names = ["李联络", "赵异议", "张示例"]  # contact person, objector, head of the applicant
    leaks = {url: personal_data(body, names) for url, body in pages.items()}
    # The notice's own contact for objections is CNIPA's office line, which the notice must show; the objection
    # form's telephone field shows the format by a made-up example.
    contact = set(PHONE.findall(public_world.contact) + EMAIL.findall(public_world.contact)
                  + PHONE.findall(str(ObjectionForm.base_fields["phone"].help_text)))
    leaks = {url: [x for x in found if x not in contact] for url, found in leaks.items()}
    assert {url: found for url, found in leaks.items() if found} == {}


def test_the_lists_as_attached_to_the_notice_hold_no_personal_data(client, reviewers, public_world):
    client.force_login(reviewers["national"])
    response = client.get(f"/review/calls/{public_world.call_id}/notice/proposed.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert personal_data(text, ["李联络", "赵异议", "张示例"]) == []


def test_lists_mask_the_contact_phone_and_the_detail_shows_it_in_full(client, reviewers, applicant, submitted):
    """The queue says whom to call without spreading the number; the reviewer whose work needs it finds
    the full number on the application itself."""
    application = submitted(applicant)
    client.force_login(reviewers["province_js"])
    queue = client.get("/review/").content.decode()
    assert "138****8000" in queue and "13800138000" not in queue and "李联络" in queue
    detail = client.get(f"/review/applications/{application.pk}/").content.decode()
    assert "13800138000" in detail


# --- Every form that collects personal information links the rules inside the form ------------------------------

# A field for a person's name, telephone, mobile, e-mail, identity number, signature or contact details, also in the
# rows of a table (the roster: "staff-0-name"). Wide on purpose: any "…name" counts, an organisation's or a
# department's too, which the forms ask for beside their people's anyway.
PERSONAL_FIELD = re.compile(r"^(?:\w+-(?:\d+|__prefix__)-)?(?:\w*_)?(?:name|phone|telephone|mobile|e-?mail"
                            r"|id_?number|id_?card|signature)$|^contact_\w+$")

# Forms with such a field that collect no personal information for a purpose of their own, and why.
NOT_COLLECTING = {
    "password_reset": "the sign-in address of an account that exists, to mail it the link; nothing is stored",
    "contact_edit": "a bureau's office line, e-mail and address, published on the help page: an office's, no "
                    "person's",
    "account_create": "officials' work accounts (name, work address), asked for by the system administrator; the "
                      "rules page states the rules for applicants and objectors, not for officials",
    "account_edit": "as account_create",
}


@dataclass(frozen=True)
class Crawl:
    """Who crawls, from where, and what they must find."""

    start: list  # the first pages
    collecting: set  # the forms collecting personal data it must reach
    exempt: set = frozenset()  # the forms of NOT_COLLECTING it must reach
    reached: set = frozenset()  # other forms it must reach


PEOPLE_SECTIONS = {"application_section:basic", "application_section:department", "application_section:declaration"}
CRAWLS = {
    "public": Crawl(["/", "/notice/", "/bases/"], {"register", "objection_create", "objector_data_request"},
                    {"password_reset"}, {"login"}),
    "applicant": Crawl(["/applications/"], {*PEOPLE_SECTIONS, "objector_data_request"}),
    "acknowledged applicant": Crawl(["/applications/"], {*PEOPLE_SECTIONS, "objector_data_request"}),
    "province": Crawl(["/review/"], {"objector_data_request"}, {"contact_edit"}),
    # The requests about personal information CNIPA holds (linked from its queue and its messages), answered there.
    "cnipa": Crawl(["/review/"], {"objection_create", "objector_data_request"}, {"contact_edit"},
                   {"objection_decide", "data_request_answer"}),
    "system administrator": Crawl(["/admin/accounts/"], {"objector_data_request"}, {"account_create", "account_edit"}),
}


@dataclass
class Form:
    page: str
    method: str
    target: str  # the path it is sent to
    fields: set
    links: list  # the links inside it

    @property
    def label(self):
        """The URL name of where the form is sent, with the section of an application's form."""
        match = resolve(self.target)
        return ":".join([match.url_name, *([match.kwargs["section_key"]] if "section_key" in match.kwargs else [])])

    @property
    def collects_personal_data(self):
        return self.method == "post" and any(PERSONAL_FIELD.match(name) for name in self.fields)


class Forms(HTMLParser):
    """The <form> elements of a page."""

    def __init__(self, page):
        super().__init__()
        self.page, self.forms, self.open = page, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.open.append(Form(self.page, (attrs.get("method") or "get").lower(),
                                  urlparse(attrs.get("action") or self.page).path, set(), []))
            self.forms.append(self.open[-1])
        elif self.open and tag in ("input", "select", "textarea") and attrs.get("name"):
            self.open[-1].fields.add(attrs["name"])
        elif self.open and tag == "a":
            self.open[-1].links.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


def parsed_forms(url, body):
    parser = Forms(url)
    parser.feed(body)
    return parser.forms


def crawler(who, reviewers, applicant, call, notice):
    """A client signed in as `who` (no one for the public); an applicant with a draft whose people sections ask for
    the acknowledgement, or have had it; CNIPA with the objector's request about their data to answer."""
    client = Client()
    if who == "cnipa":
        objection = Objection.objects.get(entry__notice=notice)
        data_requests.objector_request(reference=objection.reference, email=objection.email, kind="access", text="")
    if who in ("applicant", "acknowledged applicant"):
        application = services.application_start(actor=applicant, call=call)
        services.application_pledge(actor=applicant, application_id=application.pk)
        if who == "acknowledged applicant":
            services.application_save_section(actor=applicant, application_id=application.pk, section_key="basic",
                                              values={"contact_name": "李联络"}, lock_version=version_of(application),
                                              privacy_version=RULES_VERSION)
        client.force_login(applicant)
    elif who == "system administrator":
        client.force_login(make_user("sysadmin", Role.SYSTEM_ADMIN))
    elif who != "public":
        client.force_login(reviewers["national" if who == "cnipa" else "province_js"])
    return client


@pytest.mark.parametrize("who", CRAWLS)
def test_every_form_that_collects_personal_data_links_the_rules_inside_it(public_world, reviewers, applicant, call,
                                                                          who):
    """个人信息保护法 Art. 17: wherever the portal asks for personal information, the rules are one click away inside
    the form (beside its tick box, or beside the note that it was ticked), not only in the page's footer.

    A form collects personal information when it is sent by POST and has a field for a name, telephone, mobile,
    e-mail, identity number, signature or contact details, or the rows of the staff roster (PERSONAL_FIELD): the
    registration, the objection form, the people sections of an application (basic, department, declaration) — and
    the objector's request about their data, which asks for the address the objection came from and may carry a
    correction of it. Not counted: searches and filters (GET: nothing is stored), the sign-in (a user name or address
    and a password) and the password forms, which only use an account that exists, and the forms of NOT_COLLECTING,
    each with its reason. Each crawl must reach the forms listed for it in CRAWLS, so that it cannot pass by finding
    none."""
    expected = CRAWLS[who]
    pages = crawl(crawler(who, reviewers, applicant, call, public_world), expected.start, limit=120)
    forms = [form for url, body in pages.items() for form in parsed_forms(url, body)]
    collecting = [form for form in forms if form.collects_personal_data and form.label not in NOT_COLLECTING]
    assert {form.label for form in collecting} == expected.collecting
    assert {form.label for form in forms if form.collects_personal_data} - expected.collecting == expected.exempt
    assert expected.reached <= {form.label for form in forms}
    assert [(form.page, form.label) for form in collecting if reverse("privacy_rules") not in form.links] == []
    if who.endswith("applicant"):  # the people sections ask for the tick until it is given, then say when it was
        asked = {"privacy" in form.fields for form in collecting if form.label in PEOPLE_SECTIONS}
        assert asked == {who == "applicant"}


def test_the_form_reader_finds_personal_fields_and_the_links_inside_each_form(db):
    """The control of the crawl's reading: which fields count, and that a link beside a form is not in it."""
    section = reverse("application_section", args=[1, "department"])
    page = f"""<form method="get" action="/bases/"><input name="q"><input name="email"></form>
        <form method="post" action="/register/"><input name="contact_name"><a href="/privacy/">rules</a></form>
        <form method="post" action="/notice/objection/personal-data/"><input name="reference"><input name="email">
        </form><p><a href="/privacy/">rules</a></p>
        <form method="post" action="/accounts/login/"><input name="username"><input name="password"></form>
        <form method="post" action="{section}"><input name="department_duties"><template>
        <input name="staff-__prefix__-name"></template><input name="staff-0-name"><a href="/privacy/">r</a></form>
        <form method="post"><select name="language"></select></form>"""
    forms = parsed_forms("/help/", page)
    assert [(form.label, form.collects_personal_data, "/privacy/" in form.links) for form in forms] == [
        ("bases", False, False), ("register", True, True), ("objector_data_request", True, False),
        ("login", False, False), ("application_section:department", True, True), ("help", False, False)]
    names = ["name", "contact_name", "head_name", "declarant_name", "display_name", "phone", "contact_mobile",
             "contact_phone", "telephone", "email", "e-mail", "contact_email", "contact_position", "id_number",
             "signature", "staff-3-name", "staff-__prefix__-name"]
    assert [name for name in names if not PERSONAL_FIELD.match(name)] == []
    others = ["username", "password", "q", "reference", "kind", "text", "document_number", "staff-0-years",
              "lock_version", "contact", "privacy", "staff-TOTAL_FORMS", "language"]
    assert [name for name in others if PERSONAL_FIELD.match(name)] == []


def test_the_bases_public_pages_show_no_personal_data(designated, reviewers, cnipa):
    """After designation (issue 19): the list with each base's status and the exemplary cases, crawled from the
    list — a base revoked, another under rectification, an exemplary project — hold no contact, phone or e-mail."""
    import datetime

    from django.utils import timezone

    from bases import filings, services
    from tests.bases.test_filings import project_values

    base, rectifying, revoked = designated[:3]
    member = base.organisation.members.get()
    project = filings.project_save(actor=member, base_id=base.pk, values=project_values())
    filings.project_check(actor=reviewers["province_js"], base_id=base.pk, project_id=project.pk, acknowledge=True)
    filings.project_exemplary(actor=cnipa, base_id=base.pk, project_id=project.pk, exemplary=True)
    services.rectification_open(actor=cnipa, base_id=rectifying.pk, reason="finding", detail="联系李联络13800138000",
                                deadline=timezone.localdate() + datetime.timedelta(days=9))
    services.base_revoke(actor=cnipa, base_id=revoked.pk, document_number="国知办发〔2027〕1号",
                         document_date=timezone.localdate(), reason="联系人李联络的电话13800138000")
    pages = crawl(Client(), ["/bases/"])
    assert "/bases/cases/" in pages and project.title in pages["/bases/cases/"]
    names = ["李联络", member.display_name] if member.display_name else ["李联络"]
    assert {url: personal_data(body, names) for url, body in pages.items() if personal_data(body, names)} == {}
