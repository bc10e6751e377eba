"""Personal data encrypted at rest (SPEC §11, navportal.fields): SM4-GCM under a key outside the database, bound to
the model, the field and the row; misuse refused; the existing rows' values encrypted by the migrations; key
rotation; and no personal value of the list readable in a dump of the database."""

import datetime
import json
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationVersion, PendingRegistration, StaffMember
from applications.sections import SECTIONS
from navportal import administration
from navportal.backup import _pg_env
from navportal.crypto import TamperedError
from navportal.demo.content import credit_code, staff_rows
from navportal.fields import (
    BlindIndexField, EncryptedFieldMisuse, Sealed, blind_index, blind_index_values, encrypted_models, reencrypt,
)
from navportal.keys import UnknownKeyError, keyring
from navportal.models import AccountRequest, City, Role, User
from navportal.privacy_rules import RULES_VERSION
from review.models import Call, Objection
from tests.mail_helpers import deliver_mail
from tests.conftest import PASSWORD, attach_scan, fill, make_user, object_confirmed, user_by_email, version_of
from tests.review.test_national import handed_in, person  # noqa: F401 - fixtures
from tests.review.test_public import cnipa, open_notice  # noqa: F401 - fixtures

OLD, NEW = "old:" + "22" * 32, "new:" + "11" * 32
CONTACT = {"contact_mobile": "13987654321", "contact_phone": "0512-69998877", "contact_email": "zhou.lianluo@yuanqu.cn"}
STAFF_NAME = "欧阳秘密"


def raw(model, pk, column):
    """The column as stored, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{model._meta.db_table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def write_raw(model, pk, column, value):
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{model._meta.db_table}" SET "{column}" = %s WHERE id = %s', [value, pk])


def with_staff(user, application, names):
    """The roster saved through the service, its first rows named `names`."""
    rows = staff_rows(5)
    for row, name in zip(rows, names):
        row["name"] = name
    section = next(s for s in SECTIONS if s.rows == "staff")
    services.application_save_section(actor=user, application_id=application.pk, section_key=section.key,
                                      values={}, rows=rows, lock_version=version_of(application),
                                      privacy_version=RULES_VERSION)


@pytest.fixture
def contact_app(applicant):
    """A complete application whose contact and first staff member are distinctive, submitted (a version frozen);
    to a call of its own, so that it holds up no other call's notice."""
    now = timezone.now()
    own_call = Call.objects.create(title="另一批次", document_number="测试〔2026〕9号",
                                   opens_at=now - datetime.timedelta(days=1),
                                   deadline=now + datetime.timedelta(days=30))
    application = fill(applicant, services.application_start(actor=applicant, call=own_call), values=CONTACT,
                       scan=False)
    with_staff(applicant, application, [STAFF_NAME])
    attach_scan(applicant, application)
    assert services.application_submit(actor=applicant, application_id=application.pk) == []
    return Application.objects.get(pk=application.pk)


# --- Round trip, and what is stored ------------------------------------------------------------------

def test_values_read_back_as_written_and_are_stored_encrypted(contact_app):
    application = Application.objects.get(pk=contact_app.pk)
    assert {name: getattr(application, name) for name in CONTACT} == CONTACT
    for name, value in CONTACT.items():
        stored = raw(Application, application.pk, name)
        assert stored.startswith(f"sm4:{keyring().current_id}:") and value not in stored
    staff = StaffMember.objects.filter(application=application).order_by("id")
    assert staff[0].name == STAFF_NAME and str(staff[0]) == STAFF_NAME
    version = ApplicationVersion.objects.get(application=application)
    assert version.data["contact_mobile"] == CONTACT["contact_mobile"]
    assert version.data["staff"][0]["name"] == STAFF_NAME
    assert CONTACT["contact_email"] in version.print_html and STAFF_NAME in version.print_html
    for column in ("data", "print_html"):
        assert raw(ApplicationVersion, version.pk, column).startswith("sm4:")


def test_random_nonces_and_blank_values_stay_blank(applicant, call):
    application = services.application_start(actor=applicant, call=call)
    assert raw(Application, application.pk, "contact_mobile") == ""
    assert Application.objects.filter(contact_mobile="", contact_phone__isnull=False).count() == 1
    first, second = (StaffMember.objects.create(application=application, name="张三") for _ in range(2))
    assert raw(StaffMember, first.pk, "name") != raw(StaffMember, second.pk, "name")  # same name, other ciphertexts


def test_a_save_of_unchanged_values_keeps_the_stored_ones_and_a_change_encrypts_anew(contact_app):
    application = Application.objects.get(pk=contact_app.pk)
    before = raw(Application, application.pk, "contact_phone")
    application.save()  # not read: written back as stored
    assert raw(Application, application.pk, "contact_phone") == before
    assert application.contact_phone == CONTACT["contact_phone"]
    application.save()  # read, unchanged
    assert raw(Application, application.pk, "contact_phone") == before
    application.contact_phone = "0512-61112222"
    application.save(update_fields=["contact_phone"])
    assert raw(Application, application.pk, "contact_phone") != before
    assert Application.objects.get(pk=application.pk).contact_phone == "0512-61112222"


def test_validation_and_forms_see_the_plaintext(contact_app):
    staff = StaffMember.objects.filter(application=contact_app).first()
    staff.name = "名" * 61
    with pytest.raises(ValidationError) as exc:
        staff.full_clean()
    assert "name" in exc.value.message_dict
    application = Application.objects.get(pk=contact_app.pk)
    application.contact_email = "not an address"
    with pytest.raises(ValidationError) as exc:
        application.clean_fields(exclude=[f.name for f in Application._meta.fields if f.name != "contact_email"])
    assert list(exc.value.message_dict) == ["contact_email"]
    field = Application._meta.get_field("contact_mobile").formfield()
    assert field.max_length == 11 and field.clean("13987654321") == "13987654321"


# --- Tampering: an attacker with the database but not the key -----------------------------------------

def test_a_value_copied_to_another_row_is_refused(contact_app, applicant, call, outsider):
    other = services.application_start(actor=outsider, call=call)
    write_raw(Application, other.pk, "contact_mobile", raw(Application, contact_app.pk, "contact_mobile"))
    with pytest.raises(TamperedError):
        Application.objects.get(pk=other.pk).contact_mobile
    # Nor into another field of the same row: the field's name is bound too.
    write_raw(Application, contact_app.pk, "contact_phone", raw(Application, contact_app.pk, "contact_mobile"))
    with pytest.raises(TamperedError):
        Application.objects.get(pk=contact_app.pk).contact_phone
    # Nor another row's whole identity: it is unique.
    staff = list(StaffMember.objects.filter(application=contact_app).order_by("id")[:2])
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffMember.objects.filter(pk=staff[1].pk).update(crypt_id=staff[0].crypt_id)


def test_a_changed_byte_or_a_planted_plaintext_is_refused(contact_app):
    stored = raw(Application, contact_app.pk, "contact_email")
    prefix, body = stored.rsplit(":", 1)
    changed = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    write_raw(Application, contact_app.pk, "contact_email", f"{prefix}:{changed}")
    with pytest.raises(TamperedError):
        Application.objects.get(pk=contact_app.pk).contact_email
    write_raw(Application, contact_app.pk, "contact_email", "planted@example.cn")
    with pytest.raises(TamperedError):
        Application.objects.get(pk=contact_app.pk).contact_email
    write_raw(Application, contact_app.pk, "contact_email", stored.replace(f"sm4:{keyring().current_id}:", "sm4:gone:"))
    with pytest.raises(UnknownKeyError):
        Application.objects.get(pk=contact_app.pk).contact_email


# --- Misuse fails loudly -----------------------------------------------------------------------------

@pytest.mark.parametrize("lookup", [
    {"contact_mobile": CONTACT["contact_mobile"]}, {"contact_email__iexact": CONTACT["contact_email"]},
    {"contact_email__icontains": "zhou"}, {"contact_mobile__in": [CONTACT["contact_mobile"]]},
    {"contact_mobile__startswith": "139"}, {"contact_mobile__gt": ""}])
def test_lookups_on_encrypted_fields_are_refused(contact_app, lookup):
    with pytest.raises(EncryptedFieldMisuse):
        list(Application.objects.filter(**lookup))


def test_an_update_or_bulk_update_with_a_plaintext_is_refused(contact_app):
    with pytest.raises(EncryptedFieldMisuse), transaction.atomic():
        Application.objects.filter(pk=contact_app.pk).update(contact_mobile="13900000000")
    application = Application.objects.get(pk=contact_app.pk)
    application.contact_mobile = "13900000000"
    with pytest.raises(EncryptedFieldMisuse), transaction.atomic():
        Application.objects.bulk_update([application], ["contact_mobile"])
    Application.objects.filter(pk=contact_app.pk).update(contact_phone="")  # blank is blank
    assert Application.objects.get(pk=contact_app.pk).contact_phone == ""


def test_values_list_gives_the_ciphertext_never_the_plaintext(contact_app):
    (stored,) = Application.objects.filter(pk=contact_app.pk).values_list("contact_mobile", flat=True)
    assert isinstance(stored, Sealed) and stored.key_id == keyring().current_id
    assert CONTACT["contact_mobile"] not in stored


def test_every_model_of_the_list_is_encrypted():
    found = {model._meta.label: sorted(f.name for f in fields) for model, fields in encrypted_models()}
    assert found == {
        "navportal.AccountRequest": ["email"],
        "navportal.User": ["email", "email_index"],
        "applications.PendingRegistration": ["email"],
        "applications.Application": ["contact_email", "contact_mobile", "contact_phone"],
        "applications.StaffMember": ["name"],
        "applications.ApplicationVersion": ["data", "print_html"],
        "review.Objection": ["email", "name", "phone", "signature"],
    }


# --- Pages and exports show the values as before -------------------------------------------------------

def test_the_application_page_and_the_print_view_show_the_values(client, contact_app, applicant):
    client.force_login(applicant)
    for name in ("application_print",):
        page = client.get(reverse(name, args=[contact_app.pk])).content.decode()
        for value in CONTACT.values():
            assert value in page
        assert STAFF_NAME in page


# --- Blind indexes ------------------------------------------------------------------------------------

def test_blind_indexes_are_keyed_normalised_and_known_under_every_key(settings):
    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    index = blind_index(" Zhou@Example.CN ")
    assert index == blind_index("zhou@example.cn") == keyring().mac("index", b"zhou@example.cn").hex()
    assert len(index) == 64 and "zhou" not in index
    assert blind_index_values("ZHOU@example.cn") == [index, keyring().mac("index", b"zhou@example.cn", "old").hex()]
    assert blind_index("") == "" and blind_index_values("") == [""]
    field = BlindIndexField(source="email")
    field.set_attributes_from_name("email_index")

    class Row:
        email = "Zhou@example.cn"

    row = Row()
    assert field.pre_save(row, add=True) == index == row.email_index


# --- Key rotation --------------------------------------------------------------------------------------

@pytest.fixture
def under_old_key(settings):
    """Everything the test writes, its fixtures' rows included, is written under the key "old"."""
    settings.NAVPORTAL_KEYS = OLD
    return settings


def test_reencrypt_moves_every_value_to_the_current_key(under_old_key, contact_app, open_notice):
    settings = under_old_key
    notice, entries = open_notice
    objection = object_confirmed(**person(entries[0], name="钱多多", phone="13711112222",
                                          email="qian@example.cn", signature="钱多多"))
    rows = {model._meta.label: model._base_manager.count() for model, _fields in encrypted_models()}
    assert raw(Application, contact_app.pk, "contact_mobile").startswith("sm4:old:")

    settings.NAVPORTAL_KEYS = f"{NEW};{OLD}"
    changed = reencrypt(batch=2)  # batches smaller than the tables
    # Every row with a value is rewritten (the applications all have contacts; the pending registrations: none).
    assert changed["applications.Application"] == rows["applications.Application"] == 5
    assert changed["applications.StaffMember"] == rows["applications.StaffMember"] == 25
    assert changed["applications.ApplicationVersion"] == rows["applications.ApplicationVersion"] == 5
    assert changed["review.Objection"] == rows["review.Objection"] == 1
    assert changed["navportal.User"] == rows["navportal.User"] > 0  # every account has an address
    assert reencrypt() == {label: 0 for label in changed}  # nothing left under "old"
    for column in CONTACT:
        assert raw(Application, contact_app.pk, column).startswith("sm4:new:")

    settings.NAVPORTAL_KEYS = NEW  # "old" removed: everything still reads
    application = Application.objects.get(pk=contact_app.pk)
    assert {name: getattr(application, name) for name in CONTACT} == CONTACT
    assert StaffMember.objects.filter(application=application).order_by("id")[0].name == STAFF_NAME
    version = ApplicationVersion.objects.get(application=application)
    assert version.data["contact_phone"] == CONTACT["contact_phone"] and STAFF_NAME in version.print_html
    objection = Objection.objects.get(pk=objection.pk)
    assert (objection.name, objection.phone, objection.email, objection.signature) == (
        "钱多多", "13711112222", "qian@example.cn", "钱多多")
    contact = contact_app.organisation.members.get()
    assert user_by_email(contact.email.upper()) == contact  # the blind index recomputed under the new key


def test_a_value_under_a_removed_key_is_refused_not_guessed(under_old_key, contact_app):
    under_old_key.NAVPORTAL_KEYS = NEW
    with pytest.raises(UnknownKeyError):
        Application.objects.get(pk=contact_app.pk).contact_mobile


# --- The migrations: a deployment's existing rows ---------------------------------------------------------

BEFORE = [("applications", "0013_organisation_verification"), ("review", "0008_objection_confirmation"),
          ("navportal", "0012_audit_hmac_sm3")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets or executor.loader.graph.leaf_nodes()).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the reference data
def test_the_migrations_encrypt_existing_rows_and_give_them_back_unencrypted(contact_app):
    staff_pk = StaffMember.objects.filter(application=contact_app).order_by("id").values_list("pk", flat=True)[0]
    version = ApplicationVersion.objects.get(application=contact_app)
    snapshot, page = version.data, version.print_html
    try:
        old = migrate(BEFORE)
        # Backwards, the values are written back as they were (and the columns' types with them).
        assert raw(Application, contact_app.pk, "contact_mobile") == CONTACT["contact_mobile"]
        assert raw(StaffMember, staff_pk, "name") == STAFF_NAME
        assert raw(ApplicationVersion, version.pk, "print_html") == page
        # Rows written as a deployment holds them before the migration.
        old_pending = old.get_model("applications", "PendingRegistration").objects.create(
            token_hash="a" * 64, email="legacy@example.cn", values={}, password_hash="x",
            expires_at=timezone.now())
        old_request = old.get_model("navportal", "AccountRequest").objects.create(
            kind="create", username="legacy", display_name="旧", email="legacy.request@example.cn", role=Role.CITY,
            city_id=City.objects.get(code="320100").pk, requested_at=timezone.now(),
            requested_by_id=contact_app.organisation.members.values_list("pk", flat=True).get())
        old.get_model("applications", "StaffMember").objects.create(application_id=contact_app.pk, name="旧人员")
        old.get_model("applications", "StaffMember").objects.create(application_id=contact_app.pk, name="")
    finally:
        migrate(None)
    for model, pk, column, value in (
            (Application, contact_app.pk, "contact_mobile", CONTACT["contact_mobile"]),
            (StaffMember, staff_pk, "name", STAFF_NAME),
            (PendingRegistration, old_pending.pk, "email", "legacy@example.cn"),
            (AccountRequest, old_request.pk, "email", "legacy.request@example.cn")):
        assert raw(model, pk, column).startswith(f"sm4:{keyring().current_id}:")
        assert getattr(model.objects.get(pk=pk), column) == value
    assert sorted(StaffMember.objects.filter(application=contact_app).values_list("crypt_id", flat=True)) == \
        sorted(set(StaffMember.objects.filter(application=contact_app).values_list("crypt_id", flat=True)))
    assert [s.name for s in StaffMember.objects.filter(application=contact_app).order_by("id")][-2:] == ["旧人员", ""]
    version = ApplicationVersion.objects.get(pk=version.pk)
    assert (version.data, version.print_html) == (snapshot, page)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the reference data
def test_the_accounts_migration_encrypts_addresses_and_contacts_sign_in_by_them_after(applicant):
    """navportal 0014: the addresses encrypted and indexed, contacts' user names (their addresses) made opaque,
    officials' kept; a contact signs in by the address as before. Two accounts of one address stop it."""
    city = City.objects.get(code="320100")
    try:
        old = migrate([("navportal", "0013_encrypted_personal_data")])
        assert raw(User, applicant.pk, "email") == applicant.email  # backwards: the plaintext again
        accounts = old.get_model("navportal", "User").objects
        legacy = accounts.create(username="legacy.contact@example.cn", email="legacy.contact@example.cn",
                                 role=Role.APPLICANT, organisation_id=applicant.organisation_id,
                                 password=make_password(PASSWORD))
        official = accounts.create(username="nj-old", email="NJ.Old@example.cn", role=Role.CITY, city_id=city.pk,
                                   password=make_password(PASSWORD))
        twin = accounts.create(username="nj-twin", email="nj.old@example.cn", role=Role.CITY, city_id=city.pk,
                               password=make_password(PASSWORD))
        with pytest.raises(RuntimeError, match="nj-old, nj-twin"):
            migrate(None)
        accounts.filter(pk=twin.pk).delete()
    finally:
        migrate(None)
    username, email = raw(User, legacy.pk, "username"), raw(User, legacy.pk, "email")
    assert username.startswith("contact-") and email.startswith("sm4:") and "legacy" not in email
    assert raw(User, legacy.pk, "email_index") == blind_index("legacy.contact@example.cn")
    assert User.objects.get(pk=official.pk).username == "nj-old"
    assert user_by_email("nj.old@example.cn").pk == official.pk
    assert User.objects.get(pk=applicant.pk).email == applicant.email
    response = Client().post(reverse("login"), {"username": "Legacy.Contact@example.cn", "password": PASSWORD})
    assert response.status_code == 302 and User.objects.get(pk=legacy.pk).email == "legacy.contact@example.cn"


# --- The dump: no personal value of the list is readable ------------------------------------------------

# Out of scope: the audit trail's note of an account request quotes the requested official's e-mail address
# (administration.request_note: the trail holds both values of every approved change), and lines written before
# navportal 0014 name contacts by their address. Officials' addresses are not in the issue's list; every other
# value is searched in every table, the mail outbox included (its mails delivered: a sent mail keeps no address
# or text, navportal.mail.redact_delivered).
OUT_OF_SCOPE = {"navportal_auditevent": {"requested.official@cnipa-test.cn"}}


def dump():
    """The whole database as text, as an attacker with a copy of it would read it: (table, text) pairs."""
    if connection.vendor == "postgresql":
        text = subprocess.run(["/usr/bin/pg_dump", "--no-owner", "--no-privileges"], capture_output=True,
                              text=True, check=True, env=_pg_env(connection.settings_dict)).stdout
        # COPY public.<table> (...) FROM stdin; rows; \.  — everything else is the schema.
        chunks = text.split("\nCOPY ")
        return [("schema", chunks[0])] + [(chunk.split(" ", 1)[0].removeprefix("public."), chunk)
                                          for chunk in chunks[1:]]
    connection.ensure_connection()
    return [(line.split('"')[1] if line.startswith("INSERT INTO") else "schema", line)
            for line in connection.connection.iterdump()]


def forms_of(value):
    """A value as it may appear in a dump: as written, JSON-escaped (ASCII or not), HTML-escaped, lower case."""
    import html

    return {value, value.lower(), json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
            html.escape(value)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the reference data
def test_no_personal_value_is_readable_in_a_dump_of_the_database(contact_app, open_notice, client):
    objector = {"name": "诸葛异议人", "phone": "13655554444", "email": "zhuge.objector@minjian.cn",
                "signature": "诸葛异议人"}
    notice, entries = open_notice
    object_confirmed(**person(entries[0], **objector))
    client.post(reverse("register"), {
        "name": "示例·新园区", "credit_code": credit_code(7), "applicant_type": "provincial_park",
        "affiliation": "city", "province": City.objects.get(code="320500").province_id,
        "city": City.objects.get(code="320500").pk, "contact_name": "王联络", "email": "pending.register@xinyuan.cn",
        "password1": "Navigate-2026", "password2": "Navigate-2026", "privacy": "on"})
    assert PendingRegistration.objects.get().email == "pending.register@xinyuan.cn"
    administration.account_request_create(
        actor=make_user("dump-sys", Role.SYSTEM_ADMIN), username="dump-new", display_name="新官员",
        email="requested.official@cnipa-test.cn", role=Role.CITY, scope=City.objects.get(code="320100"))
    # An account's address, signed in with (axes logs the sign-in), mistyped (axes counts the failure) and reset
    # (Django's reset form finds the account); and an unknown address tried.
    account = services.organisation_register(
        name="示例·转储园区", credit_code=credit_code(8), applicant_type="provincial_park", affiliation="city",
        ministry=None, province=City.objects.get(code="320500").province, city=City.objects.get(code="320500"),
        contact_name="欧阳账户", email="ouyang.account@zhuanchu.cn", password="Navigate-2026",
                                             privacy_version=RULES_VERSION)
    for typed, password in (("Ouyang.Account@zhuanchu.cn", "Navigate-2026"), ("ouyang.account@zhuanchu.cn", "x"),
                            ("never.registered@zhuanchu.cn", "x")):
        Client().post(reverse("login"), {"username": typed, "password": password})
    Client().post(reverse("password_reset"), {"email": "ouyang.account@zhuanchu.cn"})
    assert account.username.startswith("contact-")
    secrets = [*CONTACT.values(), STAFF_NAME, *objector.values(), "pending.register@xinyuan.cn",
               "requested.official@cnipa-test.cn", "ouyang.account@zhuanchu.cn", "never.registered@zhuanchu.cn"]
    assert len(deliver_mail()) >= 4  # the objector's confirmation, the registration link, the reset, ...
    chunks = dump()
    assert any("sm4:" in text for _table, text in chunks)  # the dump is of this database
    assert {"applications_application", "navportal_user", "axes_accessattempt", "axes_accesslog",
            "post_office_email"} <= {table for table, _text in chunks}
    found = {(value, table) for table, text in chunks for value in secrets
             if value not in OUT_OF_SCOPE.get(table, ()) and any(form in text for form in forms_of(value))}
    assert found == set()
