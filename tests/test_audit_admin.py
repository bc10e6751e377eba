"""The audit administrator reads and exports the audit trail; nobody else can, and nobody can change it."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from navportal.audit import audit_record
from navportal.models import AuditEvent, Role
from tests.conftest import make_user


@pytest.fixture
def auditor(db):
    return make_user("auditadmin", Role.AUDIT_ADMIN)


def test_auditor_filters_the_trail(client, auditor, reviewers):
    audit_record(actor=reviewers["province_js"], action="application_recommend", note="rank 1")
    audit_record(actor=None, action="login", result="failure", username="intruder")
    client.force_login(auditor)
    response = client.get(reverse("audit_list"), {"result": "failure"})
    assert [e.username for e in response.context["page"]] == ["intruder"]
    response = client.get(reverse("audit_list"), {"username": "prov-js"})
    assert [e.action for e in response.context["page"]] == ["application_recommend"]


def test_auditor_finds_a_contact_s_lines_by_the_address_it_signs_in_with(client, auditor, applicant):
    """A contact's lines carry its opaque user name; its address finds them, with the lines of before, which name it
    by the address."""
    audit_record(actor=applicant, action="application_submit")
    audit_record(actor=None, action="login", result="failure", username=applicant.email)  # a line of before
    audit_record(actor=None, action="login", result="failure", username="someone-else")
    client.force_login(auditor)
    response = client.get(reverse("audit_list"), {"username": applicant.email.upper()})
    assert sorted(e.username for e in response.context["page"]) == sorted([applicant.username, applicant.email])


def test_auditor_exports_and_the_export_is_audited(client, auditor):
    audit_record(actor=None, action="=cmd|' /C calc'!A0", username="x")
    client.force_login(auditor)
    response = client.get(reverse("audit_export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    [cell] = [c for c in sheet["E"] if c.value == "=cmd|' /C calc'!A0"]
    assert cell.data_type == "s"  # text, never a formula
    # Events by their names, in Chinese; a code nobody labelled (here a hostile one) as it was stored.
    assert [row[4] for row in rows] == ["=cmd|' /C calc'!A0", "登录", "导出审计日志"]
    assert AuditEvent.objects.filter(action="audit_export", actor=auditor).count() == 1


@pytest.mark.parametrize("who", ["national", "province_js", "city_nanjing"])
def test_nobody_else_reads_the_audit(client, reviewers, applicant, who):
    for user in (reviewers[who], applicant, make_user(f"sys-{who}", Role.SYSTEM_ADMIN),
                 make_user(f"sec-{who}", Role.SECURITY_ADMIN)):
        client.force_login(user)
        assert client.get(reverse("audit_list")).status_code == 404
        assert client.get(reverse("audit_export")).status_code == 404


@pytest.mark.parametrize("url", ["review_queue", "dashboard", "call_list", "registry_list", "application_list"])
def test_the_auditor_holds_no_business_role(client, auditor, url):
    client.force_login(auditor)
    assert client.get(reverse(url)).status_code == 404


def test_demo_data_refuses_production_settings(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
