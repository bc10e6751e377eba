"""个人信息保护法: no personal data on any public page or public spreadsheet. A crawler follows every link of
the public pages (no login) and checks each page — and the lists as attached to the notice — for phone
numbers, e-mail addresses, ID numbers and the contact people's names."""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import resolve
from openpyxl import load_workbook

from review.public_forms import ObjectionForm
from tests.conftest import object_confirmed
from tests.review.test_national import during, handed_in, pass_all, person, publish  # noqa: F401 - fixtures

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
