"""Backup and the restore drill, run for real on PostgreSQL: dump, restore into an empty database, check."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"),
]


def test_backup_and_restore_drill(applicant, submitted, tmp_path):
    submitted(applicant)  # rows in every main table, an uploaded scan, audit lines
    call_command("backup", "--dir", str(tmp_path / "b"), stdout=StringIO())
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["rows"]["applications_application"] == 1 and len(manifest["files"]) == 1
    out = StringIO()
    call_command("restore_drill", "--from", str(tmp_path / "b"), "--database", "navportal_drill_test", stdout=out)
    assert "Restore drill passed" in out.getvalue()


def test_the_drill_notices_a_damaged_backup(applicant, submitted, tmp_path):
    submitted(applicant)
    call_command("backup", "--dir", str(tmp_path / "b"), stdout=StringIO())
    with open(tmp_path / "b" / "db.dump", "ab") as dump:
        dump.write(b"tampered")
    with pytest.raises(CommandError, match="db.dump: checksum differs"):
        call_command("restore_drill", "--from", str(tmp_path / "b"), "--database", "navportal_drill_test",
                     stdout=StringIO())


def test_the_drill_verifies_with_the_keys_kept_apart_from_the_backup(applicant, submitted, tmp_path):
    """The backup holds no key (navportal.keys): the drill is given the key file separately, and with another key
    file it says the restored audit trail is under keys it was not given."""
    from navportal.keys import keyring, new_key_line

    submitted(applicant)
    call_command("backup", "--dir", str(tmp_path / "b"), stdout=StringIO())
    ring = keyring()
    for key in ring.keys.values():
        assert key.secret.hex().encode() not in (tmp_path / "b" / "manifest.json").read_bytes()
    kept_apart = tmp_path / "keys"
    kept_apart.write_text("".join(f"{key.id}:{key.secret.hex()}\n" for key in ring.keys.values()))
    out = StringIO()
    call_command("restore_drill", "--from", str(tmp_path / "b"), "--database", "navportal_drill_test",
                 "--keys", str(kept_apart), stdout=out)
    assert "Restore drill passed" in out.getvalue()

    other = tmp_path / "other-keys"
    other.write_text(new_key_line("other") + "\n")
    with pytest.raises(CommandError) as refused:
        call_command("restore_drill", "--from", str(tmp_path / "b"), "--database", "navportal_drill_test",
                     "--keys", str(other), stdout=StringIO())
    assert f"audit chain under key(s) {ring.current_id}, which the keys given" in str(refused.value)
    assert "applications.Application: encrypted values that do not decrypt under the keys given" in str(refused.value)
    assert "applications.ApplicationVersion: seals that do not verify under the keys given" in str(refused.value)
