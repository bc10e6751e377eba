"""The national commercial algorithms (SPEC §11, GB/T 39786-2021): SM3 (GB/T 32905) for hashing and HMAC, SM4
(GB/T 32907) in GCM mode for encryption at rest.

SM3 comes from Python's hashlib through OpenSSL 3, SM4 from the `cryptography` package; nothing is written here
by hand. Where either is missing the portal refuses to start (`self_test`, run by NavportalConfig.ready) with a
message saying what to install — never a silent fallback to SHA-256 or AES, which would pass every test and fail
the assessment (密评).

The keys are the callers' (kept outside the database); this module only applies the algorithms.
"""

import hashlib
import hmac
import os

from django.core.exceptions import ImproperlyConfigured

SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16

# Known answers: GB/T 32905-2016 appendix A (SM3 of "abc" and of "abcd" × 16) and GB/T 32907-2016 appendix A
# (SM4 of the key itself, one block).
SM3_VECTORS = (
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
)
SM4_VECTOR = ("0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210",
              "681edf34d206965e86b3e94f536e4246")


class TamperedError(ValueError):
    """A ciphertext that does not decrypt under its key and associated data: changed, or copied elsewhere."""


def sm3(data):
    """The SM3 digest of `data` (bytes)."""
    return hashlib.new("sm3", data).digest()


def hmac_sm3(key, data):
    """HMAC-SM3 of `data` under `key` (RFC 2104 with SM3)."""
    return hmac.new(key, data, "sm3").digest()


def _sm4(key, mode):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

    return Cipher(algorithms.SM4(key), mode)


def sm4_gcm_encrypt(key, plaintext, associated_data=b""):
    """SM4-GCM of `plaintext` under a 16-byte `key` with a random nonce: nonce ‖ ciphertext ‖ tag. The associated
    data (e.g. the record's identity) is authenticated, not stored: decrypting needs the same."""
    from cryptography.hazmat.primitives.ciphers import modes

    nonce = os.urandom(GCM_NONCE_BYTES)
    encryptor = _sm4(key, modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated_data)
    body = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + body + encryptor.tag


def sm4_gcm_decrypt(key, sealed, associated_data=b""):
    """The plaintext of `sealed` (sm4_gcm_encrypt's output); TamperedError if the ciphertext, the key or the
    associated data differ from the encryption's."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import modes

    if len(sealed) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise TamperedError("too short to be an SM4-GCM ciphertext")
    nonce, body, tag = sealed[:GCM_NONCE_BYTES], sealed[GCM_NONCE_BYTES:-GCM_TAG_BYTES], sealed[-GCM_TAG_BYTES:]
    decryptor = _sm4(key, modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated_data)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise TamperedError("the ciphertext does not match its key and associated data") from None


def self_test():
    """The known-answer tests of both standards; ImproperlyConfigured, saying what is missing, when either
    algorithm is unavailable or answers wrongly."""
    try:
        wrong = [data for data, digest in SM3_VECTORS if sm3(data).hex() != digest]
    except ValueError:  # hashlib: unsupported hash type sm3
        raise ImproperlyConfigured(
            "SM3 is not available: navportal needs Python's hashlib built against OpenSSL 3 with SM3 (the national "
            "algorithms of GB/T 39786 protect its audit trail and personal data; it does not fall back to others)."
        ) from None
    if wrong:
        raise ImproperlyConfigured("SM3 gives wrong answers for the GB/T 32905 test vectors: check OpenSSL.")
    try:
        from cryptography.hazmat.primitives.ciphers import modes

        key, block, expected = (bytes.fromhex(value) for value in SM4_VECTOR)
        encryptor = _sm4(key, modes.ECB()).encryptor()
        answer = encryptor.update(block) + encryptor.finalize()
    except Exception as error:  # noqa: BLE001 - missing package, or SM4 not offered by its OpenSSL
        raise ImproperlyConfigured(
            f"SM4 is not available ({type(error).__name__}: {error}): navportal needs the cryptography package "
            "with SM4 (pip install cryptography; its wheels bring an OpenSSL with SM4)."
        ) from None
    if answer != expected:
        raise ImproperlyConfigured("SM4 gives a wrong answer for the GB/T 32907 test vector: check cryptography.")
