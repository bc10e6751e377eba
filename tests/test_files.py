"""Uploaded files and transactions (issue 5, point 8): a file written by a transaction that rolls back is
removed; a replaced file is deleted only after the replacing transaction commits; a service that writes
files refuses to run inside a caller's transaction, whose later rollback would leave the file behind."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from applications import services
from navportal import transitions  # the write every transition ends with: its audit line
from applications.enums import AttachmentKind
from applications.models import Attachment
from navportal.demo.content import TINY_PDF

pytestmark = pytest.mark.django_db


def stored_files():
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attach(user, application, name="scan.pdf"):
    return services.application_attach(
        actor=user, application_id=application.pk, kind=AttachmentKind.SEALED_SCAN,
        upload=SimpleUploadedFile(name, TINY_PDF, "application/pdf"), content_type="application/pdf")


def test_a_failed_transaction_removes_the_file_it_wrote(applicant, complete, monkeypatch):
    application = complete(applicant, scan=False)
    before = stored_files()

    def broken(**kwargs):
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(transitions, "audit_record", broken)
    with pytest.raises(RuntimeError, match="audit write failed"):
        attach(applicant, application)
    assert stored_files() == before
    assert not Attachment.objects.filter(application=application).exists()


def test_a_replaced_file_goes_only_after_the_commit(applicant, complete, django_capture_on_commit_callbacks):
    application = complete(applicant, scan=False)
    first = attach(applicant, application, "first.pdf")
    first_name = Path(first.file.name).name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second = attach(applicant, application, "second.pdf")
    # Until the commit the old file is still there, so a failed commit would lose nothing.
    assert first_name in stored_files()
    for callback in callbacks:
        callback()
    assert stored_files() == [Path(second.file.name).name]


def test_a_file_writing_service_refuses_to_run_inside_another_transaction(applicant, complete):
    application = complete(applicant, scan=False)
    before = stored_files()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        attach(applicant, application)
    assert stored_files() == before
