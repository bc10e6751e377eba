"""The key ring (navportal.keys): where the keys come from, and what a wrong key configuration says."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from navportal.keys import Key, KeyRing, UnknownKeyError, keyring, parse_keys

A, B = "a:" + "01" * 32, "b:" + "02" * 32


def test_the_first_key_writes_and_every_key_reads(settings):
    settings.NAVPORTAL_KEYS = f"{B}; {A}"
    ring = keyring()
    assert (ring.current_id, ring.ids()) == ("b", ["b", "a"])
    key_id, sealed = ring.encrypt(b"13912345678", b"row 1")
    assert key_id == "b"
    settings.NAVPORTAL_KEYS = A
    with pytest.raises(UnknownKeyError, match="not in the key ring"):
        keyring().decrypt(key_id, sealed, b"row 1")
    settings.NAVPORTAL_KEYS = f"{A};{B}"
    assert keyring().decrypt(key_id, sealed, b"row 1") == b"13912345678"


def test_each_use_has_its_own_key():
    ring = KeyRing([Key("a", bytes(32))])
    macs = {ring.mac(purpose, b"same data") for purpose in ("audit", "index", "seal")}
    assert len(macs) == 3
    with pytest.raises(ValueError, match="no such key use"):
        ring.mac("other", b"data")


def test_a_key_file_is_read_with_its_comments_and_read_again_when_it_changes(settings, tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"# the portal's keys; keep apart from the backups\n{A}  # since 2026\n")
    settings.NAVPORTAL_KEYS, settings.NAVPORTAL_KEY_FILE = "", str(path)
    assert keyring().ids() == ["a"]
    path.write_text(f"{B}\n{A}\n")
    import os
    os.utime(path, ns=(1, 10**18))  # a new modification time, however fast the file system's clock
    assert keyring().ids() == ["b", "a"]


@pytest.mark.parametrize("text, message", [
    ("a:0102", "entry 1: expected 'id:hex'"),
    (f"{A}\nbad id with spaces:{'01' * 32}", "entry 2"),
    (f"{A};{A}", "given twice"),
    ("# only a comment", "key ring is empty"),
])
def test_a_wrong_key_configuration_says_what_is_wrong(text, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        KeyRing(parse_keys(text, "NAVPORTAL_KEYS"))


def test_a_missing_key_file_is_refused_in_production(settings, tmp_path):
    settings.NAVPORTAL_KEYS, settings.NAVPORTAL_KEY_FILE = "", str(tmp_path / "absent")
    settings.NAVPORTAL_KEY_FILE_CREATE = False
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        keyring()
    settings.NAVPORTAL_KEY_FILE_CREATE = True  # development: made on first use, readable by the portal only
    assert len(keyring().ids()) == 1
    assert (tmp_path / "absent").stat().st_mode & 0o777 == 0o600
