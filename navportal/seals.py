"""Seals of important business data (SPEC §11, GB/T 39786-2021: integrity of important data): each frozen
application version and each published list carries an HMAC-SM3 of its content under the seal key
(navportal.keys, outside the database). Anyone able to write to the database can change a row, but not make the
seal that goes with the change: a page or export that verifies it sees the change.

A sealed model has two fields, `seal` (the MAC, hex) and `seal_key_id` (the key it was made with), and declares
what its seal covers by `register(model, content=…)` in its app's ready(): a function of the row alone (its fields,
its rows of other tables) returning plain data, so that a migration can seal its historical rows with it too. The
content is serialised canonically (`canonical`: JSON with sorted keys, times in UTC), so that the same content
gives the same bytes on SQLite and PostgreSQL, whatever order jsonb keeps the keys in.

Who seals: the one function that owns each legitimate change, in its transaction, after the change
(applications.services.application_submit, review.national). Who verifies: the pages and exports that show the
content: on every request, or — the public lists, the most requested pages — whenever a counter the database
itself moves with any change of the rows changes (review.models.Notice.cached_verdict: a change by SQL moves no
version counter, but it moves that one). Rotation
(manage.py rotate_keys) calls `reseal()`.

The core knows no app: the apps register their models here.
"""

import datetime
import hmac
import json
import logging
from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache
from django.db import migrations, models, transaction
from django.utils.translation import gettext as _

from .dbfeatures import postgresql_path
from .keys import UnknownKeyError, keyring

logger = logging.getLogger(__name__)

PURPOSE = "seal"
INTACT, BROKEN, UNKNOWN_KEY = "intact", "broken", "unknown_key"


def _plain(value):
    if isinstance(value, datetime.datetime):
        # The instant, in UTC: an aware time reads back from either database in UTC, one made in Asia/Shanghai
        # is the same instant.
        return value.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sealed")


def canonical(content):
    """The bytes a seal covers: `content` as JSON with sorted keys, no spaces, the text as it is (ensure_ascii off),
    dates and times in ISO form (times in UTC). Serialised twice, so that what the database gives back (integer
    keys as strings, tuples as lists) serialises as what was sealed."""
    once = json.loads(json.dumps(content, ensure_ascii=False, default=_plain))
    return json.dumps(once, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def mac(content, key_id=None):
    """(key id, HMAC-SM3 of the canonical `content`, hex) under the seal key of `key_id` (default: the current
    key). keys.UnknownKeyError for a key the ring does not hold."""
    ring = keyring()
    key_id = key_id or ring.current_id
    return key_id, ring.mac(PURPOSE, canonical(content), key_id).hex()


@dataclass(frozen=True)
class Verdict:
    """What a seal says of its content: intact, broken (the content or the seal changed, or there is no seal), or
    unknown_key (made with a key the ring no longer holds: it cannot be checked)."""

    status: str
    key_id: str = ""

    @property
    def intact(self):
        return self.status == INTACT

    @property
    def broken(self):
        return self.status == BROKEN

    @property
    def unknown_key(self):
        return self.status == UNKNOWN_KEY


def verdict(content, seal, key_id):
    """The Verdict of `seal` (hex) made with `key_id` on `content`."""
    if not seal or not key_id:
        return Verdict(BROKEN, key_id or "")
    try:
        _key_id, expected = mac(content, key_id)
    except UnknownKeyError:
        return Verdict(UNKNOWN_KEY, key_id)
    # compare_digest: the time taken says nothing of how much of a forged seal was right.
    return Verdict(INTACT if hmac.compare_digest(expected, seal) else BROKEN, key_id)


def combined(verdicts):
    """One verdict for several seals shown together (the lists of a page): intact when all of them are (with their
    keys), else the first broken one, else the first of an unknown key; None when there is none."""
    verdicts = list(verdicts)
    if not verdicts:
        return None
    failing = [verdict for verdict in verdicts if not verdict.intact]
    if failing:
        return min(failing, key=lambda verdict: not verdict.broken)
    return Verdict(INTACT, ", ".join(sorted({verdict.key_id for verdict in verdicts})))


def refusal(verdict, refused):
    """Why `refused` (what cannot be done, e.g. "The list cannot be exported") when the seal does not verify: the
    one wording of every page, export and decision that refuses sealed content."""
    if verdict.unknown_key:
        return _("%(refused)s: its integrity cannot be checked, because it was sealed with key %(key)s, which the "
                 "portal no longer holds. Please tell the system's security administrator.") % {
            "refused": refused, "key": verdict.key_id}
    return _("%(refused)s: it does not match its integrity seal (HMAC-SM3), so it was changed outside the portal. "
             "Please tell the system's security administrator.") % {"refused": refused}


# --- Verdicts kept under a content epoch -------------------------------------------------------------
#
# A page requested often may keep a seal's verdict instead of verifying on every request, under a content epoch: a
# counter on the row that the database itself moves, by trigger, with every change of the row (or of rows its seal
# covers), whoever writes — so a change by SQL is seen by the next request. The verdict is kept at most
# VERDICT_SECONDS: a writer who also disables the triggers (the database's owner can) is seen within that time.

VERDICT_SECONDS = 60


def verdict_keys(rows):
    """{row.pk: the cache key its verdict is kept under}: (model, pk, epoch, key, seal)."""
    if not rows:
        return {}
    label = rows[0]._meta.label_lower
    return {row.pk: f"seal-verdict:{label}:{row.pk}:{row.content_epoch}:{row.seal_key_id}:{row.seal}" for row in rows}


def cached_verdicts(rows, verify_row, found=None):
    """{row.pk: Verdict} of `rows` (instances with content_epoch, seal and seal_key_id read; their content need not
    be), each taken from the cache under verdict_keys(rows) or found by verify_row(row) and kept. `found`: what the
    caller read of the cache for those keys (with others of its own, in one round trip)."""
    if not rows:
        return {}
    keys = verdict_keys(rows)
    if found is None:
        found = cache.get_many(list(keys.values()))
    verdicts, fresh = {}, {}
    for row in rows:
        kept = found.get(keys[row.pk])
        if kept is None:
            verdicts[row.pk] = verify_row(row)
            fresh[keys[row.pk]] = (verdicts[row.pk].status, verdicts[row.pk].key_id)
        else:
            verdicts[row.pk] = Verdict(*kept)
    if fresh:
        cache.set_many(fresh, VERDICT_SECONDS)
    return verdicts


def epoch_trigger(table):
    """The RunPython operation of a migration that makes the database move `table`'s content_epoch with every
    UPDATE of a row, whatever the UPDATE says of it (it cannot be set back), on PostgreSQL (or a compatible
    database) and SQLite."""
    name = f"{table}_epoch_own"
    postgres = f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
            NEW.content_epoch := OLD.content_epoch + 1;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();"""
    # SQLite: an AFTER trigger sets the counter past its old value (its triggers do not fire themselves again:
    # recursive_triggers is off).
    sqlite = f"""CREATE TRIGGER {name} AFTER UPDATE ON {table} BEGIN
        UPDATE {table} SET content_epoch = OLD.content_epoch + 1 WHERE id = NEW.id; END"""
    return migrations.RunPython(
        per_database(postgres, [sqlite]),
        per_database(f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();",
                   [f"DROP TRIGGER IF EXISTS {name}"]))


def per_database(postgres, sqlite):
    """A migration's RunPython function executing `postgres` (one script) on PostgreSQL or a compatible database
    (navportal.dbfeatures.postgresql_path: refused, naming what is missing, on one that lacks a feature), or
    `sqlite` (statements, one at a time: SQLite executes one per call) on SQLite."""
    def execute(apps, schema_editor):
        for statement in [postgres] if postgresql_path(schema_editor.connection) else sqlite:
            schema_editor.execute(statement)
    return execute


# --- The sealed models --------------------------------------------------------------------------

@dataclass(frozen=True)
class Registration:
    label: str  # the model's "app_label.ModelName"
    content: object  # row -> plain data: what the seal covers
    rows: object  # queryset -> queryset reading what `content` needs (e.g. a prefetch)


_registry = {}


def register(model, *, content, rows=None):
    """Declare `model` (fields `seal`, `seal_key_id`) sealed over `content(row)`; `rows(queryset)` adds what
    reading `content` needs to a queryset of it (default: nothing). Called by the apps' ready()."""
    _registry[model._meta.label] = Registration(model._meta.label, content, rows or (lambda queryset: queryset))


def registered():
    """{label: Registration} of every sealed model."""
    return dict(_registry)


def _registration(obj):
    try:
        return _registry[obj._meta.label]
    except KeyError:
        raise LookupError(f"{obj._meta.label} is not a sealed model (navportal.seals.register)") from None


def seal(obj):
    """Seal `obj` under the current key: sets its `seal` and `seal_key_id` (the caller saves them, in the
    transaction of the change). Returns obj."""
    obj.seal_key_id, obj.seal = mac(_registration(obj).content(obj))
    return obj


def seal_saved(obj):
    """Seal `obj` and write its seal (only the seal's two columns) to the row."""
    seal(obj)
    type(obj)._base_manager.filter(pk=obj.pk).update(seal=obj.seal, seal_key_id=obj.seal_key_id)
    return obj


def verify(obj):
    """The Verdict of `obj`'s seal on its content as read (read everything the content covers: never a cached
    copy)."""
    return verdict(_registration(obj).content(obj), obj.seal, obj.seal_key_id)


class Resealed(dict):
    """{label: rows re-sealed under the current key}; `broken`: {label: [pk, …]} of the rows refused because their
    seal did not verify (changed, never sealed, or made with a key no longer held)."""

    def __init__(self):
        super().__init__()
        self.broken = {}


def reseal(batch=500, *, using="default"):
    """Re-seal every sealed row under the current key (rotation, manage.py rotate_keys), each batch in its own
    transaction under the rows' locks (a legitimate change of a row waits for its batch, and is sealed after).

    Each seal is verified under its own key first: a row whose seal does not verify is not re-sealed (that would
    make a change by someone without the key look genuine) but reported in the result's `broken` and logged. A row
    already under the current key is verified and left as it is. Returns a Resealed."""
    ring = keyring()
    result = Resealed()
    for label, registration in _registry.items():
        model = apps.get_model(label)
        count, broken = 0, []

        def each(row):
            nonlocal count
            found = verdict(registration.content(row), row.seal, row.seal_key_id)
            if not found.intact:
                broken.append(row.pk)
                logger.warning("Not re-sealed: %s %s, whose seal is %s (key %r)", label, row.pk, found.status,
                               found.key_id)
                return False
            if row.seal_key_id == ring.current_id:
                return False
            row.seal_key_id, row.seal = mac(registration.content(row), ring.current_id)
            count += 1
            return True

        _walk(model, registration, each, batch=batch, using=using)
        result[label] = count
        if broken:
            result.broken[label] = broken
    return result


def seal_all(model, batch=500, *, using="default"):
    """Seal every row of `model` (a migration passes its historical one) under the current key, whatever its seal
    was: how rows made before seals existed get theirs. Returns the rows sealed."""
    registration = _registry[model._meta.label]
    current = keyring().current_id

    def each(row):
        row.seal_key_id, row.seal = mac(registration.content(row), current)
        return True

    return _walk(model, registration, each, batch=batch, using=using)


def add_seals(app_label, model_name, batch=500):
    """The operations that make an existing model sealed: its two seal fields, then every row it already has sealed
    under the key ring's current key at migration time (as found: what happened to a row before cannot be known
    now; from then on a change by SQL is seen)."""
    def seal_existing(apps, schema_editor):
        seal_all(apps.get_model(app_label, model_name), batch=batch, using=schema_editor.connection.alias)

    return [
        migrations.AddField(model_name, "seal", models.CharField(blank=True, max_length=64)),
        migrations.AddField(model_name, "seal_key_id", models.CharField(blank=True, max_length=16)),
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=True),
    ]


def _walk(model, registration, each, *, batch, using):
    """Calls each(row) on every row, by primary key, `batch` rows per transaction, the batch's rows locked; writes
    the seals of the rows for which it returned True. Returns how many were written."""
    written, last = 0, None
    while True:
        with transaction.atomic(using=using):
            rows = model._base_manager.using(using).select_for_update().order_by("pk")
            if last is not None:
                rows = rows.filter(pk__gt=last)
            rows = list(registration.rows(rows[:batch]))
            if not rows:
                return written
            changed = [row for row in rows if each(row)]
            model._base_manager.using(using).bulk_update(changed, ["seal", "seal_key_id"], batch_size=batch)
            written += len(changed)
            last = rows[-1].pk
        if len(rows) < batch:
            return written
