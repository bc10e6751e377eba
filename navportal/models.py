"""The shared core: regions, ministries, users with one role and its scope, the audit trail, messages."""

import rules
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import ChoiceDisplayMixin
from .fields import BlindIndexField, EncryptedEmailField, row_identity


class LocalizedName(models.Model):
    """A record with a Chinese official name and an English one; shown in the user's language."""

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Province(LocalizedName):
    """One of the 31 provincial-level divisions, or the XPCC: each has its own IP bureau and quota."""

    code = models.CharField(_("GB/T 2260 code"), max_length=6, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class City(LocalizedName):
    """A prefecture-level division (or a district of a municipality) whose IP bureau gives consent."""

    code = models.CharField(_("GB/T 2260 code"), max_length=6, unique=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="cities")

    class Meta:
        ordering = ["code"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")


class Ministry(LocalizedName):
    """A central ministry whose affiliated units apply through one of its departments."""

    code = models.CharField(_("code"), max_length=20, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("ministry")
        verbose_name_plural = _("ministries")


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    CITY = "city", _("City reviewer")
    PROVINCE = "province", _("Provincial reviewer")
    MINISTRY = "ministry", _("Ministry reviewer")
    NATIONAL = "national", _("CNIPA staff")
    # Separation of administration (三权分立, 等保 2.0 level 3): three administrators, none with a business
    # role, none with another's powers.
    SYSTEM_ADMIN = "sysadmin", _("System administrator")
    SECURITY_ADMIN = "secadmin", _("Security administrator")
    AUDIT_ADMIN = "auditadmin", _("Audit administrator")


REVIEWER_ROLES = (Role.CITY, Role.PROVINCE, Role.MINISTRY)
# The field of an official's account that names the place of their role's bureau (none for CNIPA).
PLACE_FIELD = {Role.CITY: "city_id", Role.PROVINCE: "province_id", Role.MINISTRY: "ministry_id"}
ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
OFFICIAL_ROLES = (*REVIEWER_ROLES, Role.NATIONAL)


class User(ChoiceDisplayMixin, AbstractUser):
    """A person with exactly one role; the role's scope is the one foreign key it requires."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        "applications.Organisation", verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members")
    city = models.ForeignKey(City, verbose_name=_("city"), null=True, blank=True, on_delete=models.PROTECT)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), null=True, blank=True, on_delete=models.PROTECT)
    ministry = models.ForeignKey(
        Ministry, verbose_name=_("ministry"), null=True, blank=True, on_delete=models.PROTECT)
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Moved on whenever the account's sessions must end for good (it is disabled): part of the hash each session
    # carries, so every session signed in before no longer matches, whatever happens to the account afterwards.
    sessions_epoch = models.PositiveIntegerField(default=0, editable=False)
    # The language the user last chose or signed in with: their mails are written in it (navportal.notify).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    # The e-mail address is encrypted at rest (SPEC §11, navportal.fields); the account is found by it through its
    # blind index (navportal.identifiers: sign-in, password reset, registration). Applicants' user names are
    # opaque ("contact-…"), so that no column holds the address in plain.
    email = EncryptedEmailField(_("e-mail"), blank=True)
    email_index = BlindIndexField(source="email")
    # The version of the personal information rules (navportal.privacy_rules) the person acknowledged when they
    # registered, and when; empty for an account made by an administrator.
    privacy_version = models.CharField(max_length=10, blank=True, default="", editable=False)
    privacy_acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    crypt_id = row_identity()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known"),
            # Each role carries exactly the scope it acts in, and no other: a city reviewer cannot also
            # hold a province, an applicant belongs to one organisation.
            models.CheckConstraint(
                name="user_scope_matches_role",
                condition=(
                    Q(role=Role.APPLICANT, organisation__isnull=False, city__isnull=True,
                      province__isnull=True, ministry__isnull=True)
                    | Q(role=Role.CITY, organisation__isnull=True, city__isnull=False,
                        province__isnull=True, ministry__isnull=True)
                    | Q(role=Role.PROVINCE, organisation__isnull=True, city__isnull=True,
                        province__isnull=False, ministry__isnull=True)
                    | Q(role=Role.MINISTRY, organisation__isnull=True, city__isnull=True,
                        province__isnull=True, ministry__isnull=False)
                    | Q(role__in=(Role.NATIONAL, *ADMIN_ROLES), organisation__isnull=True, city__isnull=True,
                        province__isnull=True, ministry__isnull=True)
                ),
            ),
            # One account per user name whatever its case: "Wang" and "wang" are one person to a reader.
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            # One account per e-mail address whatever its case (the index is of the address in lower case): an
            # address signs in one account, and resets one password. Contacts' addresses were unique as their
            # user names before; officials' are now too.
            models.UniqueConstraint(fields=["email_index"], condition=~Q(email_index=""), name="user_email_unique"),
            # No superuser and no staff flag: every power comes from the role, and the roles never mix.
            models.CheckConstraint(name="user_no_superuser", condition=Q(is_superuser=False, is_staff=False)),
        ]

    def __str__(self):
        return self.display_name or self.username

    def save(self, *args, **kwargs):
        # The blind index is computed by its field's pre_save, which runs only for the fields saved: a save of the
        # e-mail address alone saves its index with it.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "email" in update_fields and "email_index" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "email_index"]
        super().save(*args, **kwargs)

    save.alters_data = True

    def _get_session_auth_hash(self, secret=None):
        """Django's session hash (of the password, so a new password ends the other sessions), with the sessions'
        epoch: disabling the account ends its sessions, and enabling it again does not revive them. Epoch 0 gives
        Django's own hash (sessions signed in before the epoch existed stay valid). Django's get_session_auth_hash
        and its fallbacks for SECRET_KEY_FALLBACKS both call this method."""
        if not self.sessions_epoch:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "navportal.models.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}:{self.sessions_epoch}", secret=secret,
                           algorithm="sha256").hexdigest()

    @property
    def has_strict_password(self):
        """Officials and administrators: passwords expire after 90 days and the last five may not return."""
        return self.role in (*OFFICIAL_ROLES, *ADMIN_ROLES)

    @property
    def place_id(self):
        """The id of the city, province or ministry whose bureau the user works at (PLACE_FIELD); None for the other
        roles, and for an official whose account names no place."""
        field = PLACE_FIELD.get(self.role)
        return getattr(self, field) if field else None

    def has_perm(self, perm, obj=None):
        """Asked of the rules (navportal/rules.py and the apps' rules.py) directly: every power comes from them —
        there are no permission rows and no superuser (the database refuses them), so Django's way, asking each
        authentication backend in turn (each made anew per question), gives the same answer for more work, a
        dozen times on a reviewer's page. tests/test_rules.py holds the two together."""
        return rules.has_perm(perm, self, obj)

    @property
    def scope_label(self):
        """The unit a user acts for, as shown in the header."""
        if self.role == Role.APPLICANT:
            return str(self.organisation)
        scope = self.city or self.province or self.ministry
        return f"{self.get_role_display()} · {scope}" if scope else self.get_role_display()


class AccountRequestKind(models.TextChoices):
    CREATE = "create", _("New account")
    CHANGE = "change", _("Change of role, scope or e-mail")


class AccountRequestState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", pgettext_lazy("account request", "Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AccountRequest(models.Model):
    """A power the system administrator asks for and the security administrator grants (two people for powers,
    SPEC §10): a new official's account, or a change of an official's role, scope or e-mail address. Nothing of it
    takes effect before approval — a requested account does not exist until then (navportal/administration.py).

    It holds the whole state asked for (name, e-mail, role and its one scope); for a change, `target_digest` is
    the digest of the account as it was when asked (administration.account_digest), so that an approval of an
    account that changed meanwhile is refused as stale. Decided requests stay as the record of who asked and who
    decided; the audit trail has both values.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=AccountRequestKind.choices)
    state = models.CharField(_("status"), max_length=10, choices=AccountRequestState.choices,
                             default=AccountRequestState.PENDING)
    # The account changed; for a new account, the account made on approval.
    target = models.ForeignKey(User, verbose_name=_("account"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="account_requests")
    target_digest = models.CharField(max_length=64, blank=True)
    username = models.CharField(_("user name"), max_length=150, validators=[UnicodeUsernameValidator()])
    display_name = models.CharField(_("name"), max_length=60)
    email = EncryptedEmailField(_("e-mail"))  # encrypted at rest (SPEC §11, navportal.fields)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    city = models.ForeignKey(City, verbose_name=_("city"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    province = models.ForeignKey(Province, verbose_name=_("province"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    ministry = models.ForeignKey(Ministry, verbose_name=_("ministry"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(User, verbose_name=_("requested by"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(User, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    crypt_id = row_identity()

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AccountRequestKind.values), name="account_request_kind_known"),
            models.CheckConstraint(condition=Q(state__in=AccountRequestState.values),
                                   name="account_request_state_known"),
            # Only officials' roles, each with exactly its scope (as on User).
            models.CheckConstraint(
                name="account_request_scope_matches_role",
                condition=(
                    Q(role=Role.CITY, city__isnull=False, province__isnull=True, ministry__isnull=True)
                    | Q(role=Role.PROVINCE, city__isnull=True, province__isnull=False, ministry__isnull=True)
                    | Q(role=Role.MINISTRY, city__isnull=True, province__isnull=True, ministry__isnull=False)
                    | Q(role=Role.NATIONAL, city__isnull=True, province__isnull=True, ministry__isnull=True)
                ),
            ),
            # A change names its account from the start; a new account has one only once approved.
            models.CheckConstraint(
                name="account_request_target_matches_kind",
                condition=(Q(kind=AccountRequestKind.CHANGE, target__isnull=False)
                           | Q(kind=AccountRequestKind.CREATE, state=AccountRequestState.APPROVED,
                               target__isnull=False)
                           | (Q(kind=AccountRequestKind.CREATE, target__isnull=True)
                              & ~Q(state=AccountRequestState.APPROVED))),
            ),
            # Two people: whoever approves or refuses is not who asked. A withdrawal is the requester's own and
            # names no decider; a refusal gives its reason.
            models.CheckConstraint(
                name="account_request_decided_by_another",
                condition=(Q(state__in=(AccountRequestState.PENDING, AccountRequestState.WITHDRAWN),
                             decided_by__isnull=True)
                           | (Q(state__in=(AccountRequestState.APPROVED, AccountRequestState.REFUSED),
                                decided_by__isnull=False) & ~Q(decided_by=models.F("requested_by")))),
            ),
            models.CheckConstraint(name="account_request_refusal_has_reason",
                                   condition=~Q(state=AccountRequestState.REFUSED, reason="")),
            # At most one pending request per account, and a pending new account's user name is reserved
            # (whatever its case, as on User).
            models.UniqueConstraint(fields=["target"], condition=Q(state=AccountRequestState.PENDING),
                                    name="one_pending_request_per_account"),
            models.UniqueConstraint(Lower("username"), condition=Q(state=AccountRequestState.PENDING,
                                                                   kind=AccountRequestKind.CREATE),
                                    name="one_pending_request_per_username"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.username}"

    @property
    def scope(self):
        return self.city or self.province or self.ministry

    @property
    def scope_label(self):
        """The role and the unit asked for, as User.scope_label shows an account's."""
        return f"{self.get_role_display()} · {self.scope}" if self.scope else self.get_role_display()


class PasswordHistory(models.Model):
    """Hashes of a user's earlier passwords, so that officials cannot reuse their last five."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")


class AuditEvent(models.Model):
    """One append-only line of the audit trail: who did what to which object, from which state to which.

    Written in the same transaction as the change it records, so a change without its audit line cannot
    be committed. Tamper-evident: each row's `hash` is the HMAC-SM3 of its content and the previous row's hash
    under the audit key of `key_id` (navportal.keys, outside the database), so editing or removing a row breaks
    the chain at that row (manage.py verify_audit finds it), and nobody without the key can re-hash it
    consistently. On PostgreSQL a trigger refuses UPDATE (but of the chain's own columns while a re-chain under
    a new key runs, and of `ip` to NULL while retention removes addresses: navportal.audit.audit_forget_addresses)
    and DELETE of rows younger than the retention period.
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(_("user name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The keyed digest of `ip` (navportal.audit.address_digest), which the chain covers instead of the address: so
    # retention can remove an address (ip → NULL) and the chain still holds, while a changed address does not.
    ip_digest = models.CharField(max_length=64, blank=True)
    action = models.CharField(_("event"), max_length=60)
    result = models.CharField(_("result"), max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    from_state = models.CharField(_("from"), max_length=40, blank=True)
    to_state = models.CharField(_("to"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["action", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def content(self):
        """What the row's MAC covers: its content chained to the previous row's hash, as bytes."""
        from .audit import chain_content

        return chain_content(self)

    def content_digest(self, key_id=None):
        """The hash this row must carry: HMAC-SM3 of its content under the audit key of `key_id` (its own)."""
        from .keys import keyring

        return keyring().mac("audit", self.content(), key_id or self.key_id).hex()

    def seal(self):
        """Sets the row's hash under the current audit key (before it is saved)."""
        from .audit import address_digest
        from .keys import keyring

        self.key_id = keyring().current_id
        self.ip_digest = address_digest(self.ip, self.key_id)
        self.hash = self.content_digest()

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")


class AuditHead(models.Model):
    """The single row holding the newest audit hash. Locking it orders concurrent audit writes, so the
    chain never forks; it is held only until the writing transaction commits."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row")]


class Message(models.Model):
    """An in-portal message, the twin of a notification e-mail."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="messages")
    created_at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.subject


class ReferenceCounter(models.Model):
    """The last reference number (受理编号) given in one series and year: SB-2026-000123 is the 123rd of
    series SB in 2026. The row is locked while a number is taken (navportal.references), so numbers are
    given one at a time, without gaps in a committed year; the unique reference fields are the last guard."""

    series = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="one_reference_counter")]

    def __str__(self):
        return f"{self.series}-{self.year}: {self.last}"


class PlatformIdentity(models.Model):
    """A person known to the government identity platform (统一身份认证, OpenID Connect), linked to one account:
    the platform's issuer and subject (`sub`) name them for good, whatever their e-mail becomes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="platform_identities")
    issuer = models.CharField(max_length=200)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_platform_subject")]

    def __str__(self):
        return f"{self.issuer} {self.subject}"
