"""The audit trail: one call per recorded event, inside the transaction of the change it records."""

import contextvars
import json

from django.db import connections, transaction
from django.utils import timezone

from .dbfeatures import postgresql_path
from .keys import keyring
from .models import AuditEvent, AuditHead, AuditResult

# The client address of the request being served; set by AuditContextMiddleware so that services,
# which know nothing of requests, can still record where a change came from.
client_ip = contextvars.ContextVar("client_ip", default=None)


def audit_record(*, actor, action, obj=None, from_state="", to_state="", note="", result=AuditResult.SUCCESS,
                 username=""):
    """Append one line to the audit trail, chained to the previous one.

    Call it inside the transaction of the change it records. The head row is locked for the hash chain:
    concurrent writers queue here for the rest of their (short) transactions.
    """
    known = actor is not None and actor.is_authenticated
    # No savepoint of its own: a line that cannot be written fails the change it records, whole.
    with transaction.atomic(savepoint=False):
        head, _created = AuditHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            at=timezone.now(), actor=actor if known else None,
            username=(actor.get_username() if known else username)[:150],
            role=getattr(actor, "role", "") or "", ip=client_ip.get(), action=action, result=result,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            from_state=from_state or "", to_state=to_state or "", note=note or "", prev_hash=head.last_hash)
        event.seal()
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
        return event


def chain_content(event):
    """What an audit row's MAC covers: its content chained to the previous row's hash, as bytes (a function of
    the row's fields alone, so a migration can use it on its historical rows). The client address enters as its
    keyed digest (`ip_digest`), so retention can remove the address and the chain still holds (navportal 0016)."""
    content = [event.prev_hash, event.at.isoformat(), event.actor_id, event.username, event.role, event.ip_digest,
               event.action, event.result, event.object_type, event.object_id, event.from_state, event.to_state,
               event.note]
    return json.dumps(content, ensure_ascii=False, default=str).encode()


def chain_content_v1(event):
    """What a row's MAC covered before navportal 0016: the address itself (what that migration checks)."""
    content = [event.prev_hash, event.at.isoformat(), event.actor_id, event.username, event.role, event.ip,
               event.action, event.result, event.object_type, event.object_id, event.from_state, event.to_state,
               event.note]
    return json.dumps(content, ensure_ascii=False, default=str).encode()


def address_digest(ip, key_id):
    """The keyed digest of a client address under the audit key of `key_id` ("" for none). Keyed, so that it
    cannot be reversed by trying the 2³² IPv4 addresses; under the row's own key, re-made by each re-chain."""
    if ip is None:
        return ""
    return keyring().mac("audit", b"address:" + str(ip).encode(), key_id).hex()


def audit_verify():
    """(checked, first_broken): walks the trail in order and names the first row whose MAC or link to the previous
    row does not hold (a row under a key the ring does not hold is broken too; "end" when the newest rows are
    missing), or whose address is not the one its digest was made of, or was removed without a line of
    `audit_forget_addresses` naming the row. The oldest remaining row's link is trusted (older rows may have been
    purged after the retention period)."""
    ring, forgotten = keyring(), _Forgotten(AuditEvent)
    previous, checked = None, 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if previous is not None and event.prev_hash != previous:
            return checked, event.pk
        if not _holds(ring, event, None, None, chain_content, forgotten):
            return checked, event.pk
        previous, checked = event.hash, checked + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and head.last_hash and head.last_hash != previous:
        return checked, "end"  # rows after the last one were removed
    return checked, None


# --- Removing addresses (retention) ---------------------------------------------------------------------------------

FORGET_ACTION = "audit_forget_addresses"


def audit_forget_addresses(event_ids):
    """Removes the client address of these audit lines (ip → NULL), inside the caller's transaction, and records
    which rows in one audit line of its own (its note: the ids, as ranges). The rows' digests stay, so the chain
    holds; `audit_verify` breaks at a row whose address is gone without such a line. On PostgreSQL the trigger lets
    this one change through while `navportal.forget` is set, and nothing else. Returns how many rows changed."""
    with transaction.atomic(savepoint=False):
        ids = sorted(AuditEvent.objects.filter(pk__in=list(event_ids), ip__isnull=False).values_list("pk", flat=True))
        if not ids:
            return 0
        connection = connections[AuditEvent.objects.db]
        _set_local(connection, "navportal.forget", "on")
        AuditEvent.objects.filter(pk__in=ids).update(ip=None)
        _set_local(connection, "navportal.forget", "off")
        audit_record(actor=None, action=FORGET_ACTION, note=id_ranges(ids))
        return len(ids)


def id_ranges(ids):
    """"3-5,9" for [3, 4, 5, 9] (sorted ids)."""
    ranges = []
    for pk in ids:
        if ranges and ranges[-1][1] == pk - 1:
            ranges[-1][1] = pk
        else:
            ranges.append([pk, pk])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def forgotten_addresses(event_model, using="default"):
    """The ids of the rows whose address `audit_forget_addresses` removed, as its lines name them."""
    ids = set()
    for note in event_model.objects.using(using).filter(action=FORGET_ACTION).values_list("note", flat=True):
        for part in filter(None, note.split(",")):
            first, _dash, last = part.partition("-")
            if first.isdigit() and (last or first).isdigit():  # a note that is no list names no row
                ids.update(range(int(first), int(last or first) + 1))
    return ids


def _set_local(connection, name, value):
    if postgresql_path(connection):
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {name} = '{value}'")


def _allow_rechain(connection):
    # The PostgreSQL trigger lets the chain's own columns (prev_hash, hash, key_id, ip_digest) change while this is
    # set, for the rest of the transaction; anything else in a row stays refused. Without the key a re-chain is
    # detected.
    _set_local(connection, "navportal.rechain", "on")


def legacy_sha256(event):
    """The unkeyed SHA-256 an audit row carried before navportal 0012 (what the re-chain migration checks)."""
    import hashlib

    return hashlib.sha256(chain_content_v1(event)).hexdigest()


def audit_rechain(*, event_model=AuditEvent, head_model=AuditHead, using="default", batch=2000, record=None,
                  old_digest=None, old_content=chain_content, content=chain_content):
    """Re-computes the trail's chain under the current audit key, oldest row first: (rows re-chained, first broken
    row's id or None). Writers are not stopped: each batch is its own transaction, and only the last one holds the
    trail's head (audit writers queue behind it for that batch alone).

    Each row is checked as it was before it is re-chained — its hash over `old_content(row)` under its own key (or
    `old_digest(row)` for a row without a key id, the SHA-256 of before 0012), its link to the row before, and its
    address against its digest — and the re-chain stops at the first row that does not hold: a rotation never
    launders a forged row, and the break stays where it was found. The new hash covers `content(row)`, and with it
    the address's digest is made again under the new key (a removed address keeps the digest it had).
    `record` (a dict of audit fields) is appended as the last line, chained under the new key, when there was a
    trail to re-chain. Only prev_hash, hash, key_id and ip_digest change; the oldest row's link is kept.
    (The models and contents are parameters so that a migration can pass its historical ones.)"""
    ring = keyring()
    digests = content is chain_content  # before navportal 0016 there was no digest to make
    forgotten = _Forgotten(event_model, using)
    rows_of = event_model.objects.using(using).order_by("id")
    previous, previous_as_found, last_id, count = None, None, 0, 0
    while True:
        with transaction.atomic(using=using):
            _allow_rechain(connections[using])
            rows = list(rows_of.filter(id__gt=last_id)[:batch + 1])
            final = len(rows) <= batch
            if final:
                head, _created = head_model.objects.using(using).select_for_update().get_or_create(id=1)
                rows = list(rows_of.filter(id__gt=last_id))  # with the head held nothing more can be added
            else:
                rows = rows[:batch]
            changed, broken = [], None
            for row in rows:
                if not _holds(ring, row, previous_as_found, old_digest, old_content, forgotten):
                    broken = row.pk
                    break
                previous_as_found = row.hash
                if previous is not None:
                    row.prev_hash = previous
                row.key_id = ring.current_id
                if digests and row.ip is not None:
                    row.ip_digest = address_digest(row.ip, row.key_id)
                row.hash = previous = ring.mac("audit", content(row), row.key_id).hex()
                changed.append(row)
            event_model.objects.using(using).bulk_update(
                changed, ["prev_hash", "hash", "key_id", *(["ip_digest"] if digests else [])], batch_size=500)
            count += len(changed)
            if broken is not None:
                return count, broken
            last_id = rows[-1].id if rows else last_id
            if final:
                if count and record is not None:
                    line = event_model(at=timezone.now(), prev_hash=previous or "", key_id=ring.current_id,
                                       **record)
                    line.hash = previous = ring.mac("audit", content(line), line.key_id).hex()
                    line.save(using=using)
                if previous is not None:
                    head.last_hash = previous
                    head.save(update_fields=["last_hash"], using=using)
                return count, None


def _holds(ring, row, previous_hash, old_digest, content, forgotten):
    """Whether an audit row is as it was written: linked to the row before, carrying its own hash over `content`,
    and holding the address its digest was made of, or none where its removal is on record."""
    if previous_hash is not None and row.prev_hash != previous_hash:
        return False
    if not row.key_id:
        return old_digest is not None and row.hash == old_digest(row)
    if row.key_id not in ring.keys or row.hash != ring.mac("audit", content(row), row.key_id).hex():
        return False
    if content is not chain_content:
        return True  # before navportal 0016 the hash covered the address itself
    if row.ip is not None:
        return row.ip_digest == address_digest(row.ip, row.key_id)
    return not row.ip_digest or row.pk in forgotten


class _Forgotten:
    """The rows whose address was removed on record (forgotten_addresses), read again on a miss: a removal may
    have committed since they were read."""

    def __init__(self, event_model, using="default"):
        self.event_model, self.using, self.ids = event_model, using, None

    def __contains__(self, pk):
        if self.ids is None or pk not in self.ids:
            self.ids = forgotten_addresses(self.event_model, self.using)
        return pk in self.ids


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .security import client_ip as address_of
        token = client_ip.set(address_of(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
