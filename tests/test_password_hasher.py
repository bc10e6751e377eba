"""Passwords hashed with PBKDF2-HMAC-SM3 (issue 16.3, navportal.hashers): checked against PBKDF2 written out from
RFC 8018 over HMAC-SM3, the production default, and older hashes rewritten at the next sign-in."""

import base64
import hmac

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.urls import reverse

from navportal.hashers import PBKDF2SM3PasswordHasher
from tests.conftest import PASSWORD

PRODUCTION_HASHERS = ["navportal.hashers.PBKDF2SM3PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def pbkdf2_sm3_by_the_rfc(password, salt, iterations, length=32):
    """PBKDF2 (RFC 8018 §5.2) with HMAC-SM3 as its PRF, one block: U1 = PRF(P, S ‖ INT(1)), Ui = PRF(P, Ui-1)."""
    block = u = hmac.new(password, salt + (1).to_bytes(4, "big"), "sm3").digest()
    for _ in range(iterations - 1):
        u = hmac.new(password, u, "sm3").digest()
        block = bytes(a ^ b for a, b in zip(block, u))
    return block[:length]


def test_the_hash_is_pbkdf2_over_hmac_sm3():
    encoded = PBKDF2SM3PasswordHasher().encode("密码-Passw0rd", "fixedsalt123", 7)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, iterations, salt) == ("pbkdf2_sm3", "7", "fixedsalt123")
    assert base64.b64decode(digest) == pbkdf2_sm3_by_the_rfc("密码-Passw0rd".encode(), b"fixedsalt123", 7)


def test_production_hashes_new_passwords_with_sm3_and_django_s_iterations(settings):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    encoded = make_password("Another-horse-43")
    assert encoded.startswith(f"pbkdf2_sm3${PBKDF2PasswordHasher.iterations}$")
    assert check_password("Another-horse-43", encoded) and not check_password("another-horse-43", encoded)


@pytest.mark.django_db
def test_an_older_hash_is_rewritten_with_sm3_at_the_next_sign_in(settings, client, applicant):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    applicant.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    applicant.save(update_fields=["password"])

    client.post(reverse("login"), {"username": applicant.username, "password": "Wrong-horse-42"})
    applicant.refresh_from_db()
    assert identify_hasher(applicant.password).algorithm == "pbkdf2_sha256"  # a failed sign-in changes nothing

    response = client.post(reverse("login"), {"username": applicant.username, "password": PASSWORD})
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert identify_hasher(applicant.password).algorithm == "pbkdf2_sm3"
    assert check_password(PASSWORD, applicant.password)
