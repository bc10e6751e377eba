"""The national algorithms (navportal.crypto): the standards' known answers, SM4-GCM refusing what was changed or
moved, and the portal refusing to start without them rather than falling back to others."""

import hashlib

import pytest
from django.core.exceptions import ImproperlyConfigured

from navportal import crypto

KEY = bytes(range(16))


@pytest.mark.parametrize("data, digest", crypto.SM3_VECTORS)
def test_sm3_gives_the_answers_of_gb_t_32905(data, digest):
    assert crypto.sm3(data).hex() == digest


def test_hmac_sm3_is_rfc_2104_over_sm3():
    # HMAC computed by hand from its definition (RFC 2104), with SM3's 64-byte block.
    key, data = b"navportal-key", b"record"
    padded = key.ljust(64, b"\0")
    inner = crypto.sm3(bytes(b ^ 0x36 for b in padded) + data)
    assert crypto.hmac_sm3(key, data) == crypto.sm3(bytes(b ^ 0x5C for b in padded) + inner)
    assert crypto.hmac_sm3(key, data) != crypto.hmac_sm3(b"other-key", data)


def test_sm4_gcm_round_trip_with_a_fresh_nonce_each_time():
    first = crypto.sm4_gcm_encrypt(KEY, "13912345678".encode(), b"application:7:contact_mobile")
    second = crypto.sm4_gcm_encrypt(KEY, "13912345678".encode(), b"application:7:contact_mobile")
    assert first != second  # random nonces: equal values do not show as equal ciphertexts
    assert crypto.sm4_gcm_decrypt(KEY, first, b"application:7:contact_mobile") == b"13912345678"


AD = b"application:7:contact_mobile"


@pytest.mark.parametrize("spoil", [
    lambda sealed: (KEY, sealed[:-1] + bytes([sealed[-1] ^ 1]), AD),                    # a changed tag
    lambda sealed: (KEY, sealed[:14] + bytes([sealed[14] ^ 1]) + sealed[15:], AD),      # a changed byte
    lambda sealed: (KEY, sealed, b"application:8:contact_mobile"),                     # copied to another record
    lambda sealed: (bytes(16), sealed, AD),                                             # another key
    lambda sealed: (KEY, sealed[:20], AD),                                              # cut short
], ids=["tag", "byte", "moved", "key", "short"])
def test_sm4_gcm_refuses_a_changed_or_moved_value(spoil):
    sealed = crypto.sm4_gcm_encrypt(KEY, b"13912345678", AD)
    with pytest.raises(crypto.TamperedError):
        crypto.sm4_gcm_decrypt(*spoil(sealed))


def test_the_self_test_passes_here():
    crypto.self_test()


def test_without_sm3_the_portal_refuses_to_start(monkeypatch):
    real_new = hashlib.new

    def without_sm3(name, *args, **kwargs):
        if name.lower() == "sm3":
            raise ValueError("unsupported hash type sm3")
        return real_new(name, *args, **kwargs)

    monkeypatch.setattr(hashlib, "new", without_sm3)
    with pytest.raises(ImproperlyConfigured, match="SM3 is not available"):
        crypto.self_test()


def test_a_wrong_sm4_answer_refuses_to_start(monkeypatch):
    monkeypatch.setattr(crypto, "SM4_VECTOR", (*crypto.SM4_VECTOR[:2], "00" * 16))
    with pytest.raises(ImproperlyConfigured, match="GB/T 32907"):
        crypto.self_test()
