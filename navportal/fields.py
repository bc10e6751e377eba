"""Personal data of natural persons encrypted at rest (SPEC §11, GB/T 39786-2021): SM4-GCM model fields.

A model keeps a contact's phone or an objector's e-mail address in an encrypted field; the column holds

    sm4:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>

under the key ring's current key (navportal.keys: the keys are outside the database), with a random nonce per
value. The empty string stays "" (a blank field, and constraints such as `~Q(signature="")`, mean what they did).

**What is authenticated.** The associated data of each value is the model's label, the field's name and the row's
identity, so a ciphertext copied into another field, or into the same field of another row, does not decrypt
(crypto.TamperedError when read). The row's identity is not its primary key — that is unknown before the INSERT,
which would need a second write — but `crypt_id`, a random UUID made with the instance (`row_identity()`), unique
in the table: a whole row's identity cannot be copied onto another row either. Every model with encrypted fields
declares it.

**The API.** `EncryptedCharField`, `EncryptedEmailField`, `EncryptedTextField` and `EncryptedJSONField` take the
arguments of their Django counterparts; forms, validation (max_length, the e-mail format), `full_clean` and
templates see the plaintext. The column is text whatever max_length says (the ciphertext is longer). Reading the
attribute decrypts once, on first use (the descriptor knows the row's identity, from_db_value does not); saving
encrypts (pre_save), and writes back the stored value unchanged when the plaintext did not change.

**Misuse fails loudly** (EncryptedFieldMisuse), rather than compare or store ciphertext silently:
- a lookup other than `isnull` and `exact` with "" (a ciphertext never equals a plaintext);
- `QuerySet.update(field=plaintext)`, bulk_update and any other path that would store a plaintext (only a value
  made by pre_save, or "", reaches the column); `update(field=F(...))` or another expression is not caught: don't.
- `values()` / `values_list()` of such a field give the stored ciphertext (`Sealed`), never the plaintext: read
  instances to show it.

**Blind indexes.** Where a row must be found by an encrypted value (an e-mail address at sign-in), a
`BlindIndexField(source="email")` beside it holds the HMAC-SM3 of the normalised value under the index key; look
up with `field_index__in=blind_index_values(value)` (the MAC under every key held, as during a rotation).

**Rotation.** `reencrypt()` re-encrypts every value written under an older key and recomputes the blind indexes;
`manage.py rotate_keys` calls it.
"""

import base64
import binascii
import json
import uuid

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import migrations, models, transaction
from django.db.models.lookups import Exact, IsNull

from .crypto import TamperedError
from .dbfeatures import postgresql_path
from .keys import keyring

PREFIX = "sm4"
IDENTITY = "crypt_id"


class EncryptedFieldMisuse(FieldError):
    """An operation that would compare or store an encrypted field's plaintext in the database."""


class Sealed(str):
    """A value as the column stores it (`sm4:<key id>:<base64>`, or whatever the column held): only pre_save makes
    one from a plaintext, and only a Sealed value (or "") may be written to an encrypted column."""

    @property
    def key_id(self):
        parts = self.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def row_identity():
    """The `crypt_id` field every model with encrypted fields declares: the row's identity in the associated data,
    made with the instance (before the INSERT), unique in the table."""
    return models.UUIDField(default=uuid.uuid4, unique=True, editable=False)


def associated_data(label, field_name, identity):
    """What a value is bound to: the model, the field and the row (its crypt_id)."""
    if identity is None:
        raise EncryptedFieldMisuse(f"{label} has no {IDENTITY}: a row's identity is needed to encrypt or decrypt")
    return f"{label.lower()}.{field_name}:{uuid.UUID(str(identity)).hex}".encode()


def seal(plaintext_bytes, data):
    """The stored form of `plaintext_bytes` under the current key, bound to the associated data `data`."""
    key_id, sealed = keyring().encrypt(plaintext_bytes, data)
    return Sealed(f"{PREFIX}:{key_id}:{base64.b64encode(sealed).decode()}")


def unseal(stored, data):
    """The plaintext bytes of a stored value; crypto.TamperedError when it is not one of ours, or does not decrypt
    under its key and `data` (changed, or copied from elsewhere); keys.UnknownKeyError for a key no longer held."""
    prefix, key_id, body = (stored.split(":", 2) + ["", ""])[:3]
    if prefix != PREFIX or not key_id:
        raise TamperedError("not an encrypted value")
    try:
        sealed = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise TamperedError("the encrypted value is not base64") from None
    return keyring().decrypt(key_id, sealed, data)


class EncryptedAttribute(models.query_utils.DeferredAttribute):
    """The attribute of an encrypted field: holds the stored value until first read, then the plaintext.

    A data descriptor (it has __set__), so that every read goes through __get__."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        stored = super().__get__(instance, cls)
        if not isinstance(stored, Sealed):
            return stored
        field = self.field
        value = field.from_plaintext(unseal(stored, field.associated_data(instance)).decode())
        instance.__dict__[field.attname] = value
        field.remember(instance, stored, value)
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EmptyOrNullExact(Exact):
    """`field=""` (or None): what a blank encrypted field holds; any other value is refused."""

    def __init__(self, lhs, rhs):
        if rhs not in (None, ""):
            raise EncryptedFieldMisuse(f"{lhs.output_field} is encrypted: it cannot be compared with a value in the "
                                       "database (find the row another way, or through a blind index)")
        super().__init__(lhs, rhs)


class EncryptedMixin:
    """What every encrypted field shares: the text column, the descriptor, pre_save and the refusals."""

    descriptor_class = EncryptedAttribute
    encrypted = True
    blank_is_empty = True  # "" is stored as "" (not for JSON, where "" is a value)

    def db_type(self, connection):
        return connection.data_types["TextField"]

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def to_plaintext(self, value):
        return str(value)

    def from_plaintext(self, text):
        return text

    def is_empty(self, value):
        return value is None or (self.blank_is_empty and value == "")

    def associated_data(self, instance):
        return associated_data(self.model._meta.label, self.name, getattr(instance, IDENTITY))

    # What one instance's value was when last read or written: (its plaintext as text, the stored value), so that
    # saving an unchanged value writes the stored one back and encrypts nothing.
    def remember(self, instance, sealed, value):
        instance.__dict__[f"_sealed_{self.attname}"] = (self.to_plaintext(value), sealed)

    def from_db_value(self, value, expression, connection):
        return value if value in (None, "") else Sealed(value)

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, Sealed) or self.is_empty(value):
            return value  # a stored value never read (so unchanged), or nothing
        text = self.to_plaintext(value)
        before, sealed = model_instance.__dict__.get(f"_sealed_{self.attname}", (None, None))
        if sealed is not None and before == text and sealed.key_id == keyring().current_id:
            return sealed
        sealed = seal(text.encode(), self.associated_data(model_instance))
        self.remember(model_instance, sealed, value)
        return sealed

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or isinstance(value, Sealed) or (self.blank_is_empty and value == ""):
            return None if value is None else str(value)
        raise EncryptedFieldMisuse(
            f"{self.model._meta.label}.{self.name} is encrypted: a plaintext would be written to or compared with "
            "the column. Change it on an instance and save() it (QuerySet.update and bulk_update cannot encrypt).")

    def get_db_prep_save(self, value, connection):
        return self.get_db_prep_value(value, connection)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return EmptyOrNullExact
        raise EncryptedFieldMisuse(f"{self.model._meta.label}.{self.name} is encrypted: no lookup "
                                   f"{lookup_name!r} on it (only isnull, or exact with \"\")")

    def get_transform(self, lookup_name):
        raise EncryptedFieldMisuse(f"{self.model._meta.label}.{self.name} is encrypted: no transform "
                                   f"{lookup_name!r} on it")


class EncryptedCharField(EncryptedMixin, models.CharField):
    """A CharField encrypted at rest; max_length bounds the plaintext (the column is text)."""


class EncryptedEmailField(EncryptedMixin, models.EmailField):
    """An EmailField encrypted at rest; the address is checked as ever, in plaintext."""


class EncryptedTextField(EncryptedMixin, models.TextField):
    """A TextField encrypted at rest."""


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON value (what json.dumps takes) encrypted at rest as its JSON text. Not for forms."""

    blank_is_empty = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def to_plaintext(self, value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def from_plaintext(self, text):
        return json.loads(text)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs


def normalised(value):
    """What a blind index is computed of: the value stripped and in lower case (an e-mail address)."""
    return (value or "").strip().lower()


def blind_index(value, key_id=None):
    """The blind index of `value` (HMAC-SM3 under the index key, hex); "" for an empty value."""
    text = normalised(value)
    return keyring().mac("index", text.encode(), key_id=key_id).hex() if text else ""


def blind_index_values(value):
    """What `value`'s blind index may be while a rotation is under way (one per key held): for `__in`."""
    text = normalised(value)
    return [mac.hex() for mac in keyring().macs("index", text.encode())] if text else [""]


class BlindIndexField(models.CharField):
    """The blind index of the encrypted field `source` of the same model, computed when the row is saved: how a
    row is found by that value without decrypting every row (`<name>__in=blind_index_values(value)`)."""

    DEFAULTS = {"max_length": 64, "editable": False, "blank": True, "db_index": True}

    def __init__(self, *args, source, **kwargs):
        self.source = source
        kwargs = {**self.DEFAULTS, **kwargs}
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key, default in self.DEFAULTS.items():
            if getattr(self, key) == default:
                kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_models():
    """Every installed model with encrypted fields or blind indexes, with them: [(model, [field, ...])]."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)
                  or isinstance(f, BlindIndexField)]
        if fields:
            found.append((model, fields))
    return found


def reencrypt(batch=500):
    """Re-encrypt under the current key every value written under another, and recompute every blind index that is
    not the current key's. Each batch of rows is read under its row locks and written in its own transaction (so a
    long rotation holds no lock long, and what is done stays done if it stops); the rows' other columns, their
    auto_now times included, are not touched. Returns {model label: rows changed}."""
    current = keyring().current_id
    changed = {}
    for model, fields in encrypted_models():
        encrypted = [f for f in fields if not isinstance(f, BlindIndexField)]
        indexes = [f for f in fields if isinstance(f, BlindIndexField)]
        manager, last, count = model._base_manager, None, 0
        while True:
            with transaction.atomic():
                rows = manager.select_for_update().order_by("pk").only(IDENTITY, *(f.attname for f in fields))
                rows = list((rows if last is None else rows.filter(pk__gt=last))[:batch])
                for row in rows:
                    updates = {}
                    for field in encrypted:
                        stored = row.__dict__[field.attname]
                        if isinstance(stored, Sealed) and stored.key_id != current:
                            value = getattr(row, field.attname)
                            updates[field.attname] = seal(field.to_plaintext(value).encode(),
                                                          field.associated_data(row))
                    for field in indexes:
                        value = blind_index(getattr(row, field.source))
                        if value != row.__dict__[field.attname]:
                            updates[field.attname] = value
                    if updates:
                        manager.filter(pk=row.pk).update(**updates)
                        count += 1
            if len(rows) < batch:
                break
            last = rows[-1].pk
        changed[model._meta.label] = count
    return changed


# In migrations: making existing columns encrypted on a deployment with data (applications 0014, review 0009,
# navportal 0013). The historical models carry these fields, so reading and writing go through the same code.

def _batches(queryset, batch):
    """The rows of `queryset` in lists of `batch`, in the order of their primary keys (instances, or values_list
    tuples whose first value is the pk)."""
    last = None
    while True:
        rows = list((queryset if last is None else queryset.filter(pk__gt=last)).order_by("pk")[:batch])
        if rows:
            yield rows
        if len(rows) < batch:
            return
        last = rows[-1][0] if isinstance(rows[-1], tuple) else rows[-1].pk


def _checked_now(schema_editor):
    """On PostgreSQL (or a compatible database), run the foreign keys' deferred checks of the rows just written now:
    the migration's next ALTER TABLE of the same table is refused while they are pending."""
    if postgresql_path(schema_editor.connection):
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def fill_identities(app_label, model_names, batch=500):
    """The RunPython that gives every existing row of the models its own crypt_id (added nullable, made unique and
    required by the next operation: the three steps of a unique column on existing rows)."""
    def forward(apps, schema_editor):
        for name in model_names:
            manager = apps.get_model(app_label, name)._base_manager
            for rows in _batches(manager.filter(**{f"{IDENTITY}__isnull": True}).values_list("pk"), batch):
                for (pk,) in rows:
                    manager.filter(pk=pk).update(**{IDENTITY: uuid.uuid4()})
        _checked_now(schema_editor)

    return migrations.RunPython(forward, migrations.RunPython.noop)


def add_row_identities(app_label, model_names, batch=500):
    """The operations that give existing models their crypt_id (row_identity()): a unique column on existing rows
    in three steps — added nullable, filled row by row, then made unique and required."""
    return [
        *(migrations.AddField(model_name=name, name=IDENTITY, field=models.UUIDField(null=True, editable=False))
          for name in model_names),
        fill_identities(app_label, model_names, batch),
        *(migrations.AlterField(model_name=name, name=IDENTITY, field=row_identity()) for name in model_names),
    ]


def encrypt_existing(app_label, fields_by_model, batch=500):
    """The RunPython that encrypts the existing values of the fields {model name: [field name, ...]}, made
    encrypted by the AlterFields before it (the columns are text by then, so the ciphertexts fit); backwards, it
    writes the plaintexts back before the columns return to their old types."""
    def rows_of(model, names):
        return _batches(model._base_manager.values_list("pk", IDENTITY, *names), batch)

    def forward(apps, schema_editor):
        for model_name, names in fields_by_model.items():
            model = apps.get_model(app_label, model_name)
            for rows in rows_of(model, names):
                for pk, identity, *values in rows:
                    updates = {name: seal(str(value).encode(), associated_data(model._meta.label, name, identity))
                               for name, value in zip(names, values)
                               if value not in (None, "") and Sealed(value).key_id is None}
                    if updates:
                        model._base_manager.filter(pk=pk).update(**updates)
        _checked_now(schema_editor)

    def backward(apps, schema_editor):
        for model_name, names in fields_by_model.items():
            model = apps.get_model(app_label, model_name)
            quote = schema_editor.quote_name
            for rows in rows_of(model, names):
                for pk, identity, *values in rows:
                    for name, value in zip(names, values):
                        if value in (None, "") or Sealed(value).key_id is None:
                            continue
                        plaintext = unseal(value, associated_data(model._meta.label, name, identity)).decode()
                        schema_editor.execute(
                            f"UPDATE {quote(model._meta.db_table)} SET {quote(model._meta.get_field(name).column)} "
                            f"= %s WHERE {quote(model._meta.pk.column)} = %s", [plaintext, pk])
        _checked_now(schema_editor)

    return migrations.RunPython(forward, backward)
