"""The audit trail's pages and the version comparison show labels, never the stored codes (issue 13: not
`authority`, `otp_verify`, `applications.application#5`, `success`)."""

import io
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

from applications import services as applicant_services
from applications.enums import State
from applications.models import Application
from applications.workflow import TRANSITIONS
from navportal.audit import audit_record
from navportal.audit_labels import is_labelled
from navportal.models import AuditEvent, Role
from navportal.privacy_rules import RULES_VERSION
from review import services
from tests.access_fixtures import build_world
from tests.conftest import attach_scan, fill, make_user

# What a stored code looks like: a word with an underscore, or an object reference.
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z_]+\.[a-z_]+#\d+")


@pytest.fixture
def world(db):
    world = build_world()
    cnipa = world.users["cnipa"]
    device = TOTPDevice.objects.create(user=cnipa, name="phone", confirmed=True)
    audit_record(actor=cnipa, action="otp_verify", obj=device)
    audit_record(actor=cnipa, action="access_denied", result="denied",
                 note=f"applications.application#5 GET /review/applications/5/")
    return world


def test_every_event_the_code_writes_has_a_label(world):
    written = set(AuditEvent.objects.values_list("action", flat=True))
    assert len(written) >= 15
    assert sorted(action for action in written if not is_labelled(action)) == []
    assert sorted(t.audit for t in TRANSITIONS.values() if t.audit and not is_labelled(t.audit)) == []


def _cells(body):
    table = body[body.index("<tbody>"):body.index("</tbody>")]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_audit_pages_show_labels_not_codes(client, world, language):
    auditor = world.users["auditadmin"]
    client.force_login(auditor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    seen = set()
    for page in (1, 2, 3, 4):
        body = client.get(reverse("audit_list"), {"page": page}).content.decode()
        for cell in _cells(body):
            seen.add(cell)
            assert not CODE.search(cell), cell
    text = " ".join(seen)
    for code in ("otp_verify", "applications.application#", "success", "province_review", "city_consent"):
        assert code not in text, code
    if language == "zh-hans":
        assert "成功" in text and "核验第二因子" in text and "申请 5" in text
    sheet = load_workbook(io.BytesIO(client.get(reverse("audit_export")).content)).active
    for row in sheet.iter_rows(min_row=2, values_only=True):
        for value in (row[2], row[4], row[5], row[6], row[7], row[8]):
            assert not (isinstance(value, str) and CODE.search(value)), row


def test_the_audit_filter_chooses_events_by_name(client, world):
    client.force_login(world.users["auditadmin"])
    response = client.get(reverse("audit_list"), {"action": "otp_verify"})
    assert [e.action for e in response.context["page"]] == ["otp_verify"]
    assert "核验第二因子" in response.content.decode()
    response = client.get(reverse("audit_list"), {"kind": "applications.application", "number": "5"})
    assert all(e.object_id == "5" and e.object_type == "applications.application" for e in response.context["page"])


def test_what_changed_shows_the_services_choices_by_their_labels(client, reviewers, city_institution, submitted):
    application = submitted(city_institution)
    services.application_return(actor=reviewers["city_nanjing"], application_id=application.pk, reason="请修改")
    # The first service row was done for an industry authority; now for an innovation entity.
    fill(city_institution, Application.objects.get(pk=application.pk), scan=False,
         values={"local_base": False})
    rows = list(Application.objects.get(pk=application.pk).services.order_by("pk").values())
    rows = [{k: v for k, v in row.items() if k not in ("id", "application_id")} for row in rows]
    rows[1]["client_kind"] = "innovator" if rows[1]["client_kind"] == "authority" else "authority"
    applicant_services.application_save_section(
        actor=city_institution, application_id=application.pk, section_key="mechanism",
        values={}, rows=rows, lock_version=Application.objects.get(pk=application.pk).lock_version,
                                                privacy_version=RULES_VERSION)
    attach_scan(city_institution, application)
    assert applicant_services.application_submit(actor=city_institution, application_id=application.pk) == []
    assert Application.objects.get(pk=application.pk).state == State.CITY_REVIEW
    client.force_login(reviewers["city_nanjing"])
    body = client.get(reverse("review_application", args=[application.pk])).content.decode()
    changed = body[body.index("<tbody>"):body.index("</tbody>")]
    assert "第 2 行" in changed and "产业主管部门" in changed and "创新主体" in changed
    for code in ("authority", "innovator", "#2"):
        assert code not in changed, code
