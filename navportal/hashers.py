"""Passwords hashed with PBKDF2-HMAC-SM3 (SPEC §11, GB/T 39786-2021: the national hash in identity authentication).

Django's own PBKDF2 with SM3 in place of SHA-256 and the same iteration count, from hashlib's OpenSSL 3 (the portal
refuses to start without SM3: navportal.crypto.self_test). Older hashes (Django's PBKDF2-SHA256) still check, and
Django rewrites them with this hasher at the next successful sign-in, because it comes first in PASSWORD_HASHERS.
"""

import hashlib

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class PBKDF2SM3PasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sm3"

    @staticmethod
    def digest(data=b""):
        return hashlib.new("sm3", data)
