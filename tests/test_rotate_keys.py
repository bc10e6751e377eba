"""`manage.py rotate_keys` end to end (issue 16.4): a world made under the old key — encrypted personal data, a sealed
version, the audit trail — brought under the new key while the old one still reads; then the old key is removed and
everything still reads and verifies. On SQLite and on PostgreSQL (the suite runs on both)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from applications.models import Application, ApplicationVersion
from navportal.audit import audit_verify
from navportal.fields import Sealed
from navportal.models import AuditEvent

OLD = "old:" + "a1" * 32
NEW = "new:" + "b2" * 32

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_key(settings):
    """Asked for before the data's fixtures: everything they make is under the key "old"."""
    settings.NAVPORTAL_KEYS = OLD
    return settings


def stored_key(model, pk, field):
    return Sealed(model.objects.values_list(field, flat=True).get(pk=pk)).key_id


def test_rotation_brings_everything_under_the_new_key_and_the_old_one_can_go(old_key, applicant, submitted):
    settings = old_key
    application = submitted(applicant)
    version = application.versions.get()
    assert stored_key(Application, application.pk, "contact_mobile") == "old"
    assert (version.seal_key_id, stored_key(ApplicationVersion, version.pk, "data")) == ("old", "old")

    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    report = out.getvalue()
    assert "Keys rotated to new" in report and "applications.Application 1" in report
    assert "applications.ApplicationVersion 1" in report and "can now be removed" in report

    settings.NAVPORTAL_KEYS = NEW
    application = Application.objects.get(pk=application.pk)
    version = ApplicationVersion.objects.get(pk=version.pk)
    assert stored_key(Application, application.pk, "contact_mobile") == "new"
    assert application.contact_mobile and application.contact_email
    assert version.seal_key_id == "new" and version.verify().intact and version.data
    checked, broken = audit_verify()
    assert broken is None and checked == AuditEvent.objects.count()
    line = AuditEvent.objects.order_by("-id").first()
    assert line.action == "key_rotation" and "re-encrypted" in line.note and "re-sealed" in line.note

    out = StringIO()
    call_command("rotate_keys", stdout=out)  # again: nothing left to move, and no harm done
    assert "applications.Application 0" in out.getvalue()


def test_rotation_leaves_a_changed_version_as_it_found_it_and_says_so(old_key, applicant, submitted):
    settings = old_key
    version = submitted(applicant).versions.get()
    ApplicationVersion.objects.filter(pk=version.pk).update(reference="SB-2026-999999")  # changed by SQL
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    out = StringIO()
    with pytest.raises(CommandError, match="investigate them before removing the old keys"):
        call_command("rotate_keys", stdout=out)
    assert f"NOT re-sealed, seal broken: applications.ApplicationVersion {version.pk}" in out.getvalue()
    assert ApplicationVersion.objects.get(pk=version.pk).seal_key_id == "old"
