"""The portal's keys (SPEC §11, GB/T 39786-2021): kept outside the database, applied through one key ring.

A key is an id and 32 random bytes. Each use has its own key derived from it (HMAC-SM3 of the use's name), so the
audit chain, the encrypted fields, the blind indexes and the seals never share a key:

    audit   HMAC-SM3 of each audit line, chained (navportal.audit)
    field   SM4-GCM of personal data at rest (navportal.fields)
    index   HMAC-SM3 blind indexes, to find a row by an encrypted value (an e-mail address at sign-in)
    seal    HMAC-SM3 seals of frozen business data (application versions, published lists)

Where the keys come from (settings, from the environment):

- `NAVPORTAL_KEYS`: the keys themselves, one `id:hex` per line or separated by `;` (for containers' secrets);
- else `NAVPORTAL_KEY_FILE`: a file of such lines (`#` comments allowed), readable by the portal only;
- in development only (DEBUG when the settings were read), a key file under var/ is made on first use.

The first key writes; every key listed reads. Rotation (`manage.py rotate_keys`) puts a new key first, re-encrypts,
re-indexes, re-seals and re-chains under it while the old one still reads, then the old line can be removed. The
key ring is the one place the keys are used: a hardware crypto module (密码机) would be another KeyRing with the same
methods, holding the keys itself.
"""

import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .crypto import SM4_KEY_BYTES, hmac_sm3, sm4_gcm_decrypt, sm4_gcm_encrypt

KEY_BYTES = 32
PURPOSES = ("audit", "field", "index", "seal")
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_LINE = re.compile(r"^\s*([^:\s]+)\s*[:\s]\s*([0-9A-Fa-f]+)\s*$")


class UnknownKeyError(LookupError):
    """A value written under a key the ring no longer holds (removed before the rotation was done)."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes

    def derived(self, purpose):
        if purpose not in PURPOSES:
            raise ValueError(f"no such key use: {purpose}")
        return hmac_sm3(self.secret, b"navportal:" + purpose.encode())


class KeyRing:
    """The keys the portal holds: the first (current) one writes, all of them read."""

    def __init__(self, keys):
        if not keys:
            raise ImproperlyConfigured("the key ring is empty: give at least one key (docs/cryptography.md)")
        self.keys = {}
        for key in keys:
            if key.id in self.keys:
                raise ImproperlyConfigured(f"key id {key.id!r} is given twice")
            self.keys[key.id] = key
        self.current_id = keys[0].id
        self._derived = {(key.id, purpose): key.derived(purpose) for key in keys for purpose in PURPOSES}

    def ids(self):
        return list(self.keys)

    def _key(self, purpose, key_id):
        if purpose not in PURPOSES:
            raise ValueError(f"no such key use: {purpose}")
        try:
            return self._derived[(key_id or self.current_id, purpose)]
        except KeyError:
            raise UnknownKeyError(f"key {key_id!r} is not in the key ring (was it removed before rotate_keys "
                                  "finished?)") from None

    def mac(self, purpose, data, key_id=None):
        """HMAC-SM3 of `data` under the use's key of `key_id` (default: the current key)."""
        return hmac_sm3(self._key(purpose, key_id), data)

    def macs(self, purpose, data):
        """The MAC of `data` under every key held: what a blind index may be while a rotation is under way."""
        return [self.mac(purpose, data, key_id) for key_id in self.keys]

    def encrypt(self, plaintext, associated_data, key_id=None):
        """(key id, SM4-GCM of `plaintext`) under the current key."""
        key_id = key_id or self.current_id
        return key_id, sm4_gcm_encrypt(self._key("field", key_id)[:SM4_KEY_BYTES], plaintext, associated_data)

    def decrypt(self, key_id, sealed, associated_data):
        """The plaintext; crypto.TamperedError when the value, its key or its associated data changed."""
        return sm4_gcm_decrypt(self._key("field", key_id)[:SM4_KEY_BYTES], sealed, associated_data)


def parse_keys(text, source):
    """The keys of `text` (`id:hex` per line or `;`-separated, `#` comments), in order."""
    keys = []
    entries = [entry for line in text.splitlines() for entry in line.split("#", 1)[0].split(";")]
    for number, line in enumerate(entries, 1):
        line = line.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if not match or not KEY_ID.match(match[1]) or len(match[2]) != 2 * KEY_BYTES:
            raise ImproperlyConfigured(
                f"{source}, entry {number}: expected 'id:hex' with an id of letters, digits, '-' or '_' (at most 16) "
                f"and {KEY_BYTES} bytes as {2 * KEY_BYTES} hex digits (manage.py generate_key prints one)")
        keys.append(Key(match[1], bytes.fromhex(match[2])))
    return keys


def new_key_line(key_id=None):
    """One line for a key file: a new id (the date, unless given) and 32 random bytes."""
    from django.utils import timezone

    key_id = key_id or timezone.now().strftime("k%Y%m%d%H%M")
    if not KEY_ID.match(key_id):
        raise ValueError("a key id is 1-16 letters, digits, '-' or '_'")
    return f"{key_id}:{secrets.token_hex(KEY_BYTES)}"


def _create_development_file(path):
    """The development key file, made once. Written whole under another name, then linked into place (which fails
    if the file exists): two processes starting together (runserver and the mail worker) read the same key, never a
    half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    try:
        with os.fdopen(descriptor, "w") as file:  # mkstemp: readable by this user only (0600)
            file.write("# navportal development keys: made on first use, never to be used in production\n"
                       + new_key_line("dev") + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(draft)


_lock = threading.Lock()
_cached = (None, None)


def keyring():
    """The key ring of the current settings (read again when the settings or the key file change)."""
    global _cached
    inline = getattr(settings, "NAVPORTAL_KEYS", "")
    path = getattr(settings, "NAVPORTAL_KEY_FILE", "")
    if inline:
        source = ("inline", inline)
    elif path:
        path = Path(path)
        if not path.exists() and getattr(settings, "NAVPORTAL_KEY_FILE_CREATE", False):
            _create_development_file(path)
        try:
            source = ("file", str(path), path.stat().st_mtime_ns)
        except FileNotFoundError:
            raise ImproperlyConfigured(f"NAVPORTAL_KEY_FILE names {path}, which does not exist") from None
    else:
        raise ImproperlyConfigured("no keys: set NAVPORTAL_KEY_FILE (or NAVPORTAL_KEYS) in production "
                                   "(docs/cryptography.md, manage.py generate_key)")
    with _lock:
        if _cached[0] == source:
            return _cached[1]
        if source[0] == "inline":
            ring = KeyRing(parse_keys(inline, "NAVPORTAL_KEYS"))
        else:
            ring = KeyRing(parse_keys(path.read_text(), f"NAVPORTAL_KEY_FILE {path}"))
        _cached = (source, ring)
        return ring
