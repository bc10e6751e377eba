"""The fixed cast: an applicant of each kind, their outsider, and reviewers of two cities, two provinces
and two ministries, plus CNIPA staff. Reference data (provinces, cities, ministries) comes from the
migrations, as in production."""

import datetime
import itertools
import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import services
from applications.enums import Affiliation, ApplicantType, AttachmentKind, Verification, VerifiedVia
from applications.models import Application, Organisation
from applications.sections import SECTIONS
from navportal.identifiers import users_by_email
from navportal.demo.content import TINY_PDF, complete_values, credit_code, service_rows, staff_rows
from navportal.models import City, Ministry, Province, Role, User
from navportal.privacy_rules import RULES_VERSION
from navportal.second_factor import needs_second_factor
from review.models import Call
from tests.mail_helpers import DeliveredMail

PASSWORD = "Correct-horse-42"
# Lines a test wants shown at the end of the run whatever the capture (the model-based test's step count and time).
MODEL_REPORT = pytest.StashKey[list]()
_seeds = itertools.count(1000)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the portal's default language, whatever the previous one switched to."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _mail_through_the_outbox(settings):
    """Mail goes through the outbox as in production (pytest-django puts Django's locmem backend in its
    place): every mail is a row of the outbox, and the worker (`deliver_mail`) delivers into locmem."""
    settings.EMAIL_BACKEND = "navportal.mail.OutboxBackend"
    settings.POST_OFFICE = {**settings.POST_OFFICE,
                            "BACKENDS": {"default": "django.core.mail.backends.locmem.EmailBackend"}}


@pytest.fixture
def mailoutbox(_mail_through_the_outbox):
    from django.core import mail

    mail.outbox = []
    return DeliveredMail()


@pytest.fixture(autouse=True)
def _rate_limits_fresh():
    """Every test starts with the public forms' rate-limit counters at zero (navportal.throttle): they live in the
    process's memory in the tests, where one test's submissions would otherwise count against the next."""
    caches["ratelimit"].clear()
    yield


@pytest.fixture
def english(client):
    """Assertions on the wording of messages are written in English: ask for English, as a user can."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield client


@pytest.fixture(autouse=True)
def _second_factor_passed(monkeypatch):
    """Officials and administrators signed in with `client.force_login` (or `client.login`) arrive with the
    second factor passed, as after the real sign-in: a confirmed TOTP device is made if they have none, and
    the session is marked as django-otp marks it. tests/test_second_factor.py signs in through the forms."""
    force_login, login = Client.force_login, Client.login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        _mark_verified(self, user)

    def login_verified(self, **credentials):
        signed_in = login(self, **credentials)
        if signed_in:
            _mark_verified(self, User.objects.get(pk=self.session[SESSION_KEY]))
        return signed_in

    monkeypatch.setattr(Client, "force_login", force_login_verified)
    monkeypatch.setattr(Client, "login", login_verified)


def _mark_verified(client, user):
    if not needs_second_factor(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def totp_code(device):
    """A code `device` accepts now, as the user's app would show it: the current time step's, or the next
    one's when the current step was used already (django-otp never accepts a step twice)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    for _ in range(device.tolerance + 1):
        if totp.t() > device.last_t:
            return str(totp.token()).zfill(device.digits)
        totp.time += device.step
    raise AssertionError("every code within the tolerance was used already")


def pass_second_factor(client, user, **extra):
    """Pass the second factor through the pages, as the user would after the password: enrol on the first
    sign-in (the setup page makes the pending device), else type the code."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        url = reverse("otp_verify")
        device = TOTPDevice.objects.get(user=user, confirmed=True)
    else:
        url = reverse("otp_setup")
        assert client.get(url, **extra).status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(url, {"code": totp_code(device)}, **extra)
    assert response.status_code == 302, response
    assert client.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id, "the code was refused"
    return response


@pytest.fixture(autouse=True)
def _fast_and_private(settings, tmp_path):
    # A fast hasher: the suite creates hundreds of accounts; production hashes with PBKDF2-HMAC-SM3
    # (tests/test_password_hasher.py).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every request renews the session, so that two requests in a row cost the same queries (the once-a-minute
    # renewal itself is tested in tests/test_session_renewal.py).
    settings.SESSION_RENEW_SECONDS = 0
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"], "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"],
                                                     "location": str(tmp_path / "uploads")}}}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached fragments of one test never answer another's."""
    from django.core.cache import cache
    cache.clear()


@pytest.fixture
def call(db):
    now = timezone.now()
    return Call.objects.create(title="测试批次", document_number="测试〔2026〕1号",
                               opens_at=now - datetime.timedelta(days=1), deadline=now + datetime.timedelta(days=30))


def outer_test_transaction():
    """A transaction of the tests' own, to roll back what runs inside it. Like Django's TestCase atomics it is
    marked as such, so that the services' durable transactions (navportal.files) may run inside it."""
    atomic = transaction.atomic()
    atomic._from_testcase = True
    return atomic


def make_user(username, role, **scope):
    return User.objects.create_user(username=username, email=f"{username}@example.cn", password=PASSWORD,
                                    role=role, display_name=username, **scope)


def user_by_email(address):
    """The account of an e-mail address, found as the portal finds it (its blind index: the column is encrypted);
    DoesNotExist when none has it."""
    return users_by_email(address).get()


def make_org(name, applicant_type=ApplicantType.NATIONAL_PARK, affiliation=Affiliation.CITY, city="320500",
             ministry=None, verified=True):
    """An organisation, verified (SPEC §10) unless `verified` is False: then provisional, awaiting its documents."""
    city = City.objects.get(code=city)
    verification = {"verification": Verification.VERIFIED, "verified_at": timezone.now(),
                    "verified_via": VerifiedVia.BUREAU} if verified else {}
    return Organisation.objects.create(
        name=name, credit_code=credit_code(next(_seeds)), applicant_type=applicant_type, affiliation=affiliation,
        ministry=Ministry.objects.get(code=ministry) if ministry else None, province=city.province, city=city,
        **verification)


def make_applicant(name="示例园区", username=None, **org):
    organisation = make_org(name, **org)
    return make_user(username or f"applicant{organisation.pk}", Role.APPLICANT, organisation=organisation)


@pytest.fixture
def applicant(db):
    """A national-level park in Suzhou, Jiangsu: goes straight to the province."""
    return make_applicant("示例·苏州园区", "park")


@pytest.fixture
def outsider(db):
    """Another applicant, of another organisation in the same city."""
    return make_applicant("示例·另一园区", "outsider")


@pytest.fixture
def city_institution(db):
    return make_applicant("示例·南京市中心", "nanjing-inst", applicant_type=ApplicantType.INSTITUTION,
                          affiliation=Affiliation.CITY, city="320100")


@pytest.fixture
def province_institution(db):
    return make_applicant("示例·江苏省中心", "js-inst", applicant_type=ApplicantType.INSTITUTION,
                          affiliation=Affiliation.PROVINCE, city="320100")


@pytest.fixture
def ministry_unit(db):
    return make_applicant("示例·某大学中心", "moe-unit", applicant_type=ApplicantType.INSTITUTION,
                          affiliation=Affiliation.MINISTRY, city="110108", ministry="moe")


@pytest.fixture
def reviewers(db):
    """One official per desk, in two places each, so that every scope has an outsider."""
    return {
        "city_nanjing": make_user("city-nanjing", Role.CITY, city=City.objects.get(code="320100")),
        "city_suzhou": make_user("city-suzhou", Role.CITY, city=City.objects.get(code="320500")),
        "province_js": make_user("prov-js", Role.PROVINCE, province=Province.objects.get(code="320000")),
        "province_zj": make_user("prov-zj", Role.PROVINCE, province=Province.objects.get(code="330000")),
        "ministry_moe": make_user("ministry-moe", Role.MINISTRY, ministry=Ministry.objects.get(code="moe")),
        "ministry_cas": make_user("ministry-cas", Role.MINISTRY, ministry=Ministry.objects.get(code="cas")),
        "national": make_user("cnipa", Role.NATIONAL),
    }


def version_of(application):
    return Application.objects.get(pk=application.pk).lock_version


def fill(user, application, *, values=None, staff=5, services_n=5, sections=SECTIONS, scan=True):
    """Fill the application through the services, as a user's saves would; with the sealed scan last."""
    if application.pledged_at is None:
        services.application_pledge(actor=user, application_id=application.pk)
    content = {**complete_values(), **(values or {})}
    for section in sections:
        rows = {"staff": staff_rows(staff), "services": service_rows(services_n)}.get(section.rows)
        services.application_save_section(
            actor=user, application_id=application.pk, section_key=section.key,
            values={f: content[f] for f in section.fields if f in content}, rows=rows,
            lock_version=version_of(application), privacy_version=RULES_VERSION)
    if scan:
        attach_scan(user, application)
    return Application.objects.get(pk=application.pk)


def attach_scan(user, application):
    services.application_attach(
        actor=user, application_id=application.pk, kind=AttachmentKind.SEALED_SCAN,
        upload=SimpleUploadedFile("scan.pdf", TINY_PDF, "application/pdf"), content_type="application/pdf")


@pytest.fixture
def complete(call):
    """Start and completely fill `user`'s application to the open call: ready to submit."""
    def _complete(user, **kwargs):
        application = services.application_start(actor=user, call=call)
        return fill(user, application, **kwargs)
    return _complete


@pytest.fixture
def submitted(complete):
    def _submitted(user):
        application = complete(user)
        assert services.application_submit(actor=user, application_id=application.pk) == []
        return Application.objects.get(pk=application.pk)
    return _submitted


def pytest_terminal_summary(terminalreporter, config):
    for line in config.stash.get(MODEL_REPORT, []):
        terminalreporter.write_line(line)


def object_confirmed(**values):
    """An objection sent (review.national.objection_submit) and confirmed by the link mailed to its address
    (objection_confirm), as an objection that counts: what the tests of everything after the objection start from."""
    from review import national

    objection = national.objection_submit(**{"privacy_version": RULES_VERSION, **values})
    return national.objection_confirm(token=objection.confirmation_token, now=values.get("now"))


def confirmation_link(message):
    """The path of the confirmation link in a mail sent by objection_submit (the link is absolute)."""
    import re
    from urllib.parse import urlsplit

    links = re.findall(r"https?://\S+/notice/objection/confirm/[\w-]+/", message.body)
    assert len(links) == 1, message.body
    return urlsplit(links[0]).path


def resealed(obj):
    """`obj` read again and sealed as it now stands (navportal.seals): for a test that changed a sealed row by SQL
    to stand for something the services never do themselves — the calendar moving on, a row from before versions
    kept their PDF — and not for an attacker's change. Returns the row as read."""
    from navportal import seals

    return seals.seal_saved(type(obj)._base_manager.get(pk=obj.pk))


def read_rows(queryset, *names, flat=False):
    """What values_list(*names) gives, read through the instances: encrypted fields (navportal.fields) decrypt only
    there, values_list gives their ciphertext."""
    rows = [tuple(getattr(row, name) for name in names) for row in queryset.all()]
    return [row[0] for row in rows] if flat else rows
