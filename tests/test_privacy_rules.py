"""个人信息保护法 Art. 17: the 个人信息处理规则 page says who handles which personal information, why, who sees it and how
long it is kept; every form that collects personal information links to it and asks for its acknowledgement, and
what the form stores carries the version acknowledged. The services refuse personal data without it, whoever
calls them."""

import re
from html.parser import HTMLParser

import pytest
from django.test import override_settings
from django.urls import reverse

from applications import services
from applications.models import Application, PendingRegistration
from applications.sections import PERSONAL_SECTIONS, SECTIONS
from navportal.demo.content import complete_values, staff_rows
from navportal.errors import PortalError
from navportal.models import AuditEvent, User
from navportal.privacy_rules import RULES_VERSION
from review import national
from review.models import Objection
from tests.applications.test_registration import form as registration_form
from tests.applications.test_registration import mailed_link
from tests.conftest import fill, version_of
from tests.review.test_national import cnipa, during, handed_in, on_notice, person  # noqa: F401 - fixtures


# --- The page ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@override_settings(PRIVACY_OBJECTION_DAYS=123, PRIVACY_ROSTER_YEARS=7)
@pytest.mark.parametrize("language, words", [
    ("zh-hans", ["国家知识产权局", "人员名册", "异议人", "123天", "满7年", "查阅、复制、更正"]),
    ("en", ["China National Intellectual Property Administration", "roster", "Objectors", "123 days", "7 years",
            "see, copy, correct"]),
])
def test_the_rules_page_names_the_handler_each_kind_its_readers_and_the_periods_of_the_settings(
        client, language, words, django_assert_max_num_queries):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    with django_assert_max_num_queries(0):
        response = client.get(reverse("privacy_rules"))
    page = response.content.decode()
    assert response.status_code == 200
    for word in [*words, RULES_VERSION]:
        assert word in page, word
    for section in ("handler", "kinds", "kind-account", "kind-contacts", "kind-roster", "kind-objection", "security",
                    "retention", "rights"):
        assert f'id="{section}"' in page, section


@pytest.mark.django_db
def test_every_page_links_the_rules_in_its_footer(client, applicant):
    for path in (reverse("home"), reverse("help"), reverse("register")):
        assert f'href="{reverse("privacy_rules")}"' in client.get(path).content.decode(), path
    client.force_login(applicant)
    assert f'href="{reverse("privacy_rules")}"' in client.get(reverse("application_list")).content.decode()


# --- Each form that collects personal data links the rules inside the form and asks for the acknowledgement -------

class FormLinks(HTMLParser):
    """The links inside the page's <form> elements, and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.depth, self.links, self.fields = 0, [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.depth += tag == "form"
        if self.depth and tag == "a":
            self.links.append(attrs.get("href"))
        if self.depth and tag == "input" and attrs.get("name"):
            self.fields.add(attrs["name"])

    def handle_endtag(self, tag):
        self.depth -= tag == "form"


def form_links(response):
    parser = FormLinks()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.django_db
def test_the_registration_form_links_the_rules_and_stores_nothing_without_the_acknowledgement(
        client, english, mailoutbox):
    page = form_links(client.get(reverse("register")))
    assert reverse("privacy_rules") in page.links and "privacy" in page.fields
    response = client.post(reverse("register"), registration_form(privacy=""))
    assert response.status_code == 200 and "Tick to confirm you have read the personal information rules" in \
        response.content.decode()
    assert not PendingRegistration.objects.exists() and mailoutbox == []
    assert 'value="王联络"' in response.content.decode()  # what was typed stays in the form

    client.post(reverse("register"), registration_form())
    assert PendingRegistration.objects.get().values["privacy_version"] == RULES_VERSION
    client.post(mailed_link(mailoutbox[-1]))
    user = User.objects.get(role="applicant")
    assert user.privacy_version == RULES_VERSION and user.privacy_acknowledged_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["", "2020-01-01", None])
def test_the_registration_services_refuse_without_the_current_acknowledgement(version):
    values = {**registration_form(), "privacy_version": version}
    values.pop("privacy"), values.pop("password2")
    values["password"] = values.pop("password1")
    from navportal.models import City, Province
    values["province"], values["city"] = Province.objects.get(pk=values["province"]), City.objects.get(
        pk=values["city"])
    values["ministry"] = None
    for service in (services.registration_request, services.organisation_register):
        with pytest.raises(PortalError) as exc:
            service(**values)
        assert exc.value.code == "privacy"
    assert not PendingRegistration.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_the_people_sections_ask_for_the_acknowledgement_until_it_is_given(client, applicant, call, english):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    client.force_login(applicant)
    assert PERSONAL_SECTIONS == {"basic", "department", "declaration"}
    for section in SECTIONS:
        page = form_links(client.get(reverse("application_section", args=[application.pk, section.key])))
        asked = section.key in PERSONAL_SECTIONS
        assert ("privacy" in page.fields, reverse("privacy_rules") in page.links) == (asked, asked), section.key

    # The roster without the tick: nothing stored, the names stay in the form, the refusal at the tick box.
    path = reverse("application_section", args=[application.pk, "department"])
    data = {"lock_version": version_of(application), "department_name": "专利导航部",
            "staff-TOTAL_FORMS": 1, "staff-INITIAL_FORMS": 0, "staff-0-name": "李四", "staff-0-department": "导航部",
            "staff-0-title": "工程师", "staff-0-speciality": "机械", "staff-0-years": 3, "staff-0-employment": "full"}
    response = client.post(path, data)
    page = response.content.decode()
    assert response.status_code == 400 and 'value="李四"' in page and 'href="#id_privacy"' in page
    stored = Application.objects.get(pk=application.pk)
    assert not stored.staff.exists() and stored.department_name == "" and stored.privacy_version == ""

    response = client.post(path, {**data, "privacy": "on"})
    assert response.status_code == 302
    stored = Application.objects.get(pk=application.pk)
    assert [s.name for s in stored.staff.all()] == ["李四"] and stored.privacy_version == RULES_VERSION
    assert stored.privacy_acknowledged_at is not None
    # Asked once: the other people sections now say when it was given, and ask no more.
    page = client.get(reverse("application_section", args=[application.pk, "basic"]))
    assert "privacy" not in form_links(page).fields and 'id="privacy-acknowledged"' in page.content.decode()


@pytest.mark.django_db
def test_the_save_service_refuses_personal_data_without_the_acknowledgement(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    services.application_pledge(actor=applicant, application_id=application.pk)
    values = complete_values()
    lock = version_of(application)
    attempts = [("basic", {"contact_name": values["contact_name"]}, None),
                ("basic", {"contact_mobile": values["contact_mobile"]}, None),
                ("department", {}, staff_rows(1)),
                ("declaration", {"declarant_name": values["declarant_name"]}, None)]
    for key, section_values, rows in attempts:
        for version in (None, "", "2020-01-01"):
            with pytest.raises(PortalError) as exc:
                services.application_save_section(actor=applicant, application_id=application.pk, section_key=key,
                                                  values=section_values, rows=rows, lock_version=lock,
                                                  privacy_version=version)
            assert exc.value.code == "privacy"
    assert version_of(application) == lock  # nothing written
    # What names nobody is stored without it.
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="plan",
                                      values={"plan_goals": "三年目标"}, lock_version=lock)
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="basic",
                                      values={"postcode": "215000"}, lock_version=lock + 1)
    saved = services.application_save_section(
        actor=applicant, application_id=application.pk, section_key="department", values={}, rows=staff_rows(2),
        lock_version=lock + 2, privacy_version=RULES_VERSION)
    assert saved.privacy_version == RULES_VERSION and saved.staff.count() == 2
    assert list(AuditEvent.objects.filter(action="privacy_acknowledge").values_list("actor", "note")) == [
        (applicant.pk, f"department: {RULES_VERSION}")]
    # Once acknowledged, later saves need no tick.
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="basic",
                                      values={"contact_name": "王联络"}, lock_version=lock + 3)


@pytest.mark.django_db
def test_submission_waits_for_an_acknowledgement_of_the_rules_as_they_stand(applicant, call, english):
    application = fill(applicant, services.application_start(actor=applicant, call=call))
    Application.objects.filter(pk=application.pk).update(privacy_version="2020-01-01")
    problems = services.application_submit(actor=applicant, application_id=application.pk)
    assert [(p.section, p.field) for p in problems] == [("department", "privacy")]
    assert RULES_VERSION in problems[0].message and Application.objects.get(pk=application.pk).submitted_at is None
    services.application_save_section(actor=applicant, application_id=application.pk, section_key="department",
                                      values={}, lock_version=version_of(application), privacy_version=RULES_VERSION)
    from tests.conftest import attach_scan
    attach_scan(applicant, application)  # the content changed with the save: the scan is made again
    assert services.application_submit(actor=applicant, application_id=application.pk) == []


# --- Objections ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("version", ["", "2020-01-01", None])
def test_the_objection_service_refuses_without_the_acknowledgement(on_notice, version):
    notice, entries = on_notice
    with pytest.raises(PortalError) as exc:
        national.objection_submit(**{**person(entries[0]), "privacy_version": version}, now=during(notice))
    assert exc.value.code == "privacy" and not Objection.objects.exists()


@pytest.mark.django_db
def test_the_objection_form_links_the_rules_and_keeps_the_version_acknowledged(client, english, on_notice,
                                                                                 time_machine):
    notice, entries = on_notice
    time_machine.move_to(during(notice))
    path = reverse("objection_create", args=[notice.call_id, entries[0].pk])
    page = form_links(client.get(path))
    assert reverse("privacy_rules") in page.links and "privacy" in page.fields
    data = {"kind": "person", "name": "王某某", "phone": "13800000000", "email": "wang@example.cn",
            "reasons": "该园区服务次数与事实不符。", "signature": "王某某", "declaration": "on"}
    response = client.post(path, data)
    assert response.status_code == 400 and not Objection.objects.exists()
    assert "Tick to confirm you have read the personal information rules" in response.content.decode()
    assert re.search(r'value="13800000000"', response.content.decode())
    response = client.post(path, {**data, "privacy": "on"})
    assert response.status_code == 302
    assert Objection.objects.get().privacy_version == RULES_VERSION
    # Sent, not yet counted: the acknowledgement is kept from the start, before the address is confirmed.
    assert Objection.objects.get().reference is None
