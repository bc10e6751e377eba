"""The keyed audit chain (issue 16.1): HMAC-SM3 under a key outside the database, re-chained once from the SHA-256 of
before by a migration, and again under a new key by `manage.py rotate_keys` — which never launders a forged row."""

import hashlib
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

from navportal.audit import (audit_rechain, audit_record, audit_verify, chain_content, chain_content_v1,
                             legacy_sha256)
from navportal.crypto import hmac_sm3
from navportal.models import AuditEvent, AuditHead

OLD = "old:" + "a1" * 32
NEW = "new:" + "b2" * 32
ATTACKER = "guess:" + "c3" * 32

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")


def trail(n):
    return [audit_record(actor=None, username="script", action="account_update", note=f"line {i}") for i in range(n)]


def forge(event_id, **values):
    """What an attacker with the database (and the trigger dropped) can do: change a row's columns in place."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a superuser's way round every trigger, for this session
            cursor.execute("SET session_replication_role = replica")
        AuditEvent.objects.filter(pk=event_id).update(**values)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_each_line_is_the_hmac_sm3_of_its_content_and_the_previous_line_under_the_audit_key(settings):
    settings.NAVPORTAL_KEYS = OLD
    first, second = trail(2)
    audit_key = hmac_sm3(bytes.fromhex("a1" * 32), b"navportal:audit")  # the audit use's key, derived
    for event in (first, second):
        event.refresh_from_db()
        assert event.key_id == "old"
        assert event.hash == hmac_sm3(audit_key, chain_content(event)).hex()
    assert second.prev_hash == first.hash
    assert AuditHead.objects.get().last_hash == second.hash
    assert audit_verify() == (2, None)


@pytest.mark.django_db
def test_a_row_changed_and_rehashed_without_the_key_is_found(settings):
    settings.NAVPORTAL_KEYS = OLD
    events = trail(3)
    target = events[1]
    target.note = "nothing happened here"
    # Re-hashed as the chain used to be (SHA-256), and under a key of the attacker's own: neither holds.
    for forged_hash in (legacy_sha256(target),
                        hmac_sm3(hmac_sm3(bytes.fromhex("c3" * 32), b"navportal:audit"), chain_content(target)).hex()):
        forge(target.pk, note=target.note, hash=forged_hash)
        forge(events[2].pk, prev_hash=forged_hash)  # and the next row re-linked to it
        assert audit_verify() == (1, target.pk)
        with pytest.raises(CommandError, match=f"broken at event #{target.pk}"):
            call_command("verify_audit", stdout=StringIO())


@pytest.mark.django_db
def test_a_row_under_a_key_the_ring_no_longer_holds_does_not_verify(settings):
    settings.NAVPORTAL_KEYS = OLD
    events = trail(2)
    settings.NAVPORTAL_KEYS = NEW
    assert audit_verify() == (0, events[0].pk)


@pytest.mark.django_db
def test_rotate_keys_re_chains_under_the_new_key_and_records_it(settings):
    settings.NAVPORTAL_KEYS = OLD
    trail(5)
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"  # the new key first: it writes; the old one still reads
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "Keys rotated to new:" in out.getvalue() and "; 5 audit rows re-chained" in out.getvalue()

    settings.NAVPORTAL_KEYS = NEW  # the old key removed: everything still verifies
    assert audit_verify() == (6, None)
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {"new"}
    last = AuditEvent.objects.order_by("-id").first()
    assert (last.action, last.username) == ("key_rotation", "manage.py rotate_keys")
    assert "current key new" in last.note
    trail(1)  # and the trail goes on under it
    assert audit_verify() == (7, None)


@pytest.mark.django_db
def test_rotate_keys_refuses_a_trail_that_does_not_hold(settings):
    settings.NAVPORTAL_KEYS = OLD
    events = trail(3)
    forge(events[1].pk, note="changed")
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    with pytest.raises(CommandError, match="nothing was rotated"):
        call_command("rotate_keys", stdout=StringIO())
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {"old"}


@pytest.mark.django_db
def test_a_re_chain_stops_at_a_forged_row_instead_of_laundering_it(settings):
    """A row forged after rotate_keys checked the trail (or any direct re-chain) is not re-hashed into the new
    chain: the rows before it move to the new key, the break stays where it is, and verify_audit names it."""
    settings.NAVPORTAL_KEYS = OLD
    events = trail(4)
    forge(events[2].pk, note="changed")
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    assert audit_rechain(batch=1, record={"action": "key_rotation"}) == (2, events[2].pk)
    assert audit_verify() == (2, events[2].pk)
    assert not AuditEvent.objects.filter(action="key_rotation").exists()


def test_generate_key_prints_a_line_the_key_ring_reads():
    from navportal.keys import parse_keys

    out = StringIO()
    call_command("generate_key", "--id", "k2027", stdout=out)
    (key,) = parse_keys(out.getvalue(), "test")
    assert key.id == "k2027" and len(key.secret) == 32
    with pytest.raises(CommandError, match="key id"):
        call_command("generate_key", "--id", "no spaces", stdout=StringIO())


# --- The migration from the SHA-256 chain -------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_re_chains_an_existing_sha256_trail_once_and_says_so(settings):
    settings.NAVPORTAL_KEYS = OLD
    before, latest = ("navportal", "0011_platform_identity"), ("navportal", "0012_audit_hmac_sm3")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    historical = executor.loader.project_state(before).apps
    Event, Head = historical.get_model("navportal", "AuditEvent"), historical.get_model("navportal", "AuditHead")
    previous = ""
    from django.utils import timezone
    for i in range(3):  # a trail as the portal wrote it before: unkeyed SHA-256
        event = Event(at=timezone.now(), username="before", action="account_update", note=f"line {i}",
                      prev_hash=previous)
        event.hash = previous = hashlib.sha256(chain_content_v1(event)).hexdigest()
        event.save()
    Head.objects.update_or_create(id=1, defaults={"last_hash": previous})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert latest in MigrationExecutor(connection).loader.applied_migrations

    assert audit_verify() == (5, None)  # and 0016 re-chained it once more, over the addresses' digests
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {"old"}
    assert list(AuditEvent.objects.order_by("-id").values_list("action", "username", "note")[:2]) == [
        ("audit_rechain", "manage.py migrate", "address → its keyed digest (navportal 0016)"),
        ("audit_rechain", "manage.py migrate", "SHA-256 → HMAC-SM3 (navportal 0012)")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_to_address_digests_checks_the_trail_as_it_was_and_re_chains_it_over_the_digests(settings):
    """navportal 0016: each line's hash covered its address; afterwards it covers the address's keyed digest, so an
    address can be removed without breaking the chain (test_retention), and a line changed before is still found."""
    settings.NAVPORTAL_KEYS = OLD
    before = ("navportal", "0015_privacy_acknowledgement")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    historical = executor.loader.project_state(before).apps
    Event, Head = historical.get_model("navportal", "AuditEvent"), historical.get_model("navportal", "AuditHead")
    audit_key = hmac_sm3(bytes.fromhex("a1" * 32), b"navportal:audit")
    previous = ""
    from django.utils import timezone
    for i, ip in enumerate(["10.1.2.3", None, "2001:db8::7"]):  # as the portal wrote it: HMAC over the address
        event = Event(at=timezone.now(), username="before", action="account_update", note=f"line {i}", ip=ip,
                      prev_hash=previous, key_id="old")
        event.hash = previous = hmac_sm3(audit_key, chain_content_v1(event)).hex()
        event.save()
    Head.objects.update_or_create(id=1, defaults={"last_hash": previous})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert audit_verify() == (4, None)
    rows = list(AuditEvent.objects.order_by("id"))
    assert [bool(row.ip_digest) for row in rows] == [True, False, True, False]
    assert rows[0].ip_digest == hmac_sm3(audit_key, b"address:10.1.2.3").hex()
    assert rows[0].hash == hmac_sm3(audit_key, chain_content(rows[0])).hex() != hmac_sm3(
        audit_key, chain_content_v1(rows[0])).hex()
    forge(rows[2].pk, ip="2001:db8::8")  # another address under the same digest: found
    assert audit_verify() == (2, rows[2].pk)


# --- PostgreSQL: the trigger, and a re-chain while the portal writes ------------------------------------------------

@on_postgres
@pytest.mark.django_db
def test_the_trigger_lets_a_re_chain_change_the_chain_s_columns_and_nothing_else(settings):
    from django.db import DatabaseError, transaction

    settings.NAVPORTAL_KEYS = OLD
    (event,) = trail(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(hash="0" * 64)  # outside a re-chain: refused
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL navportal.rechain = 'on'")
        AuditEvent.objects.filter(pk=event.pk).update(note="changed")  # in a re-chain, the content: refused
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL navportal.rechain = 'on'")
        AuditEvent.objects.filter(pk=event.pk).update(key_id="x")  # in a re-chain, the chain's own columns
    assert AuditEvent.objects.get(pk=event.pk).key_id == "x"


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rotation_while_the_portal_writes_leaves_one_unbroken_chain(settings):
    settings.NAVPORTAL_KEYS = OLD
    trail(300)
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    done, errors = threading.Event(), []

    def write():
        try:
            while not done.is_set():
                audit_record(actor=None, username="writer", action="account_update", note="during the rotation")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    writers = [threading.Thread(target=write) for _ in range(3)]
    for writer in writers:
        writer.start()
    try:
        count, broken = audit_rechain(batch=50, record={"username": "test", "action": "key_rotation"})
    finally:
        done.set()
        for writer in writers:
            writer.join(30)
    assert not errors and broken is None and count >= 300
    settings.NAVPORTAL_KEYS = NEW
    checked, broken = audit_verify()
    assert broken is None and checked == AuditEvent.objects.count()
    assert AuditEvent.objects.filter(username="writer").exists()


# --- Removing addresses (retention, issue 18) ----------------------------------------------------------------------

def lines_from(ip, n):
    from navportal.audit import client_ip

    token = client_ip.set(ip)
    try:
        return trail(n)
    finally:
        client_ip.reset(token)


@pytest.mark.django_db
def test_an_address_removed_on_record_leaves_the_chain_whole_and_one_removed_silently_breaks_it(settings):
    from django.db import transaction

    from navportal.audit import address_digest, audit_forget_addresses

    settings.NAVPORTAL_KEYS = OLD
    events = lines_from("203.0.113.9", 4)
    assert all(e.ip_digest == address_digest("203.0.113.9", "old") for e in events)
    with transaction.atomic():
        assert audit_forget_addresses([events[0].pk, events[1].pk, events[3].pk]) == 3
    assert list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id").values_list("ip", flat=True)) \
        == [None, None, "203.0.113.9", None]
    line = AuditEvent.objects.order_by("-id").first()
    assert (line.action, line.note, line.ip) == ("audit_forget_addresses", f"{events[0].pk}-{events[1].pk},{events[3].pk}",
                                                 None)
    assert audit_verify() == (5, None)
    with transaction.atomic():
        assert audit_forget_addresses([events[0].pk]) == 0  # nothing left to remove: no line either
    assert AuditEvent.objects.count() == 5

    forge(events[2].pk, ip=None)  # removed without the line that says so
    assert audit_verify() == (2, events[2].pk)
    forge(events[2].pk, ip="203.0.113.10")  # or changed: its digest says which it was
    assert audit_verify() == (2, events[2].pk)


@pytest.mark.django_db
def test_a_rotation_re_makes_the_digests_under_the_new_key_and_keeps_removed_addresses_removed(settings):
    from django.db import transaction

    from navportal.audit import address_digest, audit_forget_addresses

    settings.NAVPORTAL_KEYS = OLD
    events = lines_from("198.51.100.4", 2)
    with transaction.atomic():
        audit_forget_addresses([events[0].pk])
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    call_command("rotate_keys", stdout=StringIO())
    settings.NAVPORTAL_KEYS = NEW
    assert audit_verify() == (4, None)  # the two lines, the removal's and the rotation's
    first, second = AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id")
    assert first.ip is None and second.ip_digest == address_digest("198.51.100.4", "new")


@on_postgres
@pytest.mark.django_db
def test_the_trigger_lets_retention_remove_an_address_and_nothing_else(settings):
    from django.db import DatabaseError, transaction

    settings.NAVPORTAL_KEYS = OLD
    (event,) = lines_from("192.0.2.1", 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(ip=None)  # without the setting: refused
    for change in ({"ip": "192.0.2.2"}, {"ip": None, "note": "changed"}, {"ip_digest": ""}):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL navportal.forget = 'on'")
            AuditEvent.objects.filter(pk=event.pk).update(**change)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL navportal.forget = 'on'")
        AuditEvent.objects.filter(pk=event.pk).update(ip=None)
    assert AuditEvent.objects.get(pk=event.pk).ip is None


@pytest.mark.django_db
def test_a_removal_line_whose_note_is_no_list_of_rows_excuses_nothing_and_breaks_nothing(settings):
    """verify_audit reads the rows the removals name; a line of that action whose note names none (written by hand,
    say) neither stops the check with an error nor excuses a removed address."""
    settings.NAVPORTAL_KEYS = OLD
    (event,) = lines_from("203.0.113.7", 1)
    audit_record(actor=None, username="x", action="audit_forget_addresses", note="rows 1 to 3")
    assert audit_verify() == (2, None)
    forge(event.pk, ip=None)
    assert audit_verify() == (0, event.pk)
