"""Choices of the applicant's side. Stored values never change once written; labels may."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApplicantType(models.TextChoices):
    NATIONAL_PARK = "national_park", _("National-level industrial park")
    PROVINCIAL_PARK = "provincial_park", _("Provincial-level industrial park")
    INSTITUTION = "institution", _("Public-welfare institution")
    # Registered so that an organisation of another kind learns at once why it cannot apply (SPEC §3.1).
    OTHER = "other", _("Other (not eligible)")


PARK_TYPES = (ApplicantType.NATIONAL_PARK, ApplicantType.PROVINCIAL_PARK)
ELIGIBLE_TYPES = (*PARK_TYPES, ApplicantType.INSTITUTION)


class Affiliation(models.TextChoices):
    PROVINCE = "province", _("Province-affiliated")
    CITY = "city", _("City- or county-affiliated")
    MINISTRY = "ministry", _("Affiliated with a central ministry")


class Route(models.TextChoices):
    """Who reviews first (SPEC §4); fixed at submission from type and affiliation."""

    CITY = "city", _("City consent, then province")
    PROVINCE = "province", _("Provincial bureau")
    MINISTRY = "ministry", _("Ministry")


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CITY_REVIEW = "city_review", _("Awaiting city consent")
    CITY_DECLINED = "city_declined", _("City did not consent")
    PROVINCE_REVIEW = "province_review", _("Under provincial review")
    MINISTRY_REVIEW = "ministry_review", _("Under ministry review")
    RETURNED = "returned", _("Returned for revision")
    RECOMMENDED = "recommended", _("Recommended")
    NOT_RECOMMENDED = "not_recommended", _("Not recommended")
    NATIONAL_REVIEW = "national_review", _("Under CNIPA re-check")
    RECHECK_PASSED = "recheck_passed", _("Passed re-check")
    RECHECK_FAILED = "recheck_failed", _("Failed re-check")
    RETURNED_TO_UNIT = "returned_to_unit", _("Returned to the recommending bureau")
    ON_NOTICE = "on_notice", _("On public notice")
    DESIGNATED = "designated", _("Designated")
    NOT_DESIGNATED = "not_designated", _("Not designated")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# State groups, defined once here and used everywhere (pretalx's SubmissionStates keeps its groups on the enum
# too). Attributes set after the class body are plain attributes, not members of the enum.
State.EDITABLE = frozenset({State.DRAFT, State.RETURNED})
State.NOT_SUBMITTED = frozenset({State.DRAFT})
# A reviewer's desk before any recommendation: the city's (consent) and the recommending bureaus'.
State.FIRST_REVIEW = frozenset({State.CITY_REVIEW, State.PROVINCE_REVIEW, State.MINISTRY_REVIEW})
# Waiting at the recommending bureau (province or ministry): recommend, decline or return.
State.RECOMMENDING_DESK = frozenset({State.PROVINCE_REVIEW, State.MINISTRY_REVIEW})
# Until recommended, the applicant may take the application back (SPEC §8).
State.WITHDRAWABLE = State.FIRST_REVIEW | {State.RETURNED}
# Recommended by its bureau, whatever happened after.
State.RECOMMENDED_ONWARD = frozenset({
    State.RECOMMENDED, State.NATIONAL_REVIEW, State.RECHECK_PASSED, State.RECHECK_FAILED, State.RETURNED_TO_UNIT,
    State.ON_NOTICE, State.DESIGNATED, State.NOT_DESIGNATED})
# Recommendations that no longer count against the quota: CNIPA failed them, the bureau dropped them after a
# return, or an objection was upheld.
State.DROPPED = frozenset({State.RECHECK_FAILED, State.NOT_RECOMMENDED, State.NOT_DESIGNATED})
# Handed in to CNIPA and not yet decided by its re-check: publishing waits for none of these.
State.PENDING_RECHECK = frozenset({State.NATIONAL_REVIEW, State.RETURNED_TO_UNIT})
# Where the recommending bureau checks the claims, and where CNIPA checks the exemption again.
State.UNIT_CLAIM_CHECK = State.RECOMMENDING_DESK | {State.RECOMMENDED}
State.NATIONAL_CLAIM_CHECK = frozenset({State.NATIONAL_REVIEW, State.RECHECK_PASSED})
# What the public may ever see.
State.PUBLIC = frozenset({State.ON_NOTICE, State.DESIGNATED})


# What the applicant sees: the internal back-and-forth between bureaus is not theirs to follow (SPEC §7).
APPLICANT_LABELS = {
    State.DRAFT: _("Draft"),
    State.CITY_REVIEW: _("Submitted — with the city bureau"),
    State.CITY_DECLINED: _("Not consented by the city bureau"),
    State.PROVINCE_REVIEW: _("Submitted — under review"),
    State.MINISTRY_REVIEW: _("Submitted — under review"),
    State.RETURNED: _("Returned to you for revision"),
    # Until the package is handed in a recommendation can still be taken back: not the applicant's news yet.
    State.RECOMMENDED: _("Submitted — under review"),
    State.NOT_RECOMMENDED: _("Not recommended"),
    State.NATIONAL_REVIEW: _("Recommended to CNIPA"),
    State.RECHECK_PASSED: _("Recommended to CNIPA"),
    State.RECHECK_FAILED: _("Not designated"),
    State.RETURNED_TO_UNIT: _("Recommended to CNIPA"),
    State.ON_NOTICE: _("On public notice"),
    State.DESIGNATED: _("Designated national-level base"),
    State.NOT_DESIGNATED: _("Not designated"),
    State.WITHDRAWN: _("Withdrawn"),
}


class ClientKind(models.TextChoices):
    AUTHORITY = "authority", _("Industry authority")
    INNOVATOR = "innovator", _("Innovation entity")


class NavigationType(models.TextChoices):
    """GB/T 39551 专利导航指南."""

    REGIONAL = "regional", _("Regional planning")
    INDUSTRY = "industry", _("Industry planning")
    ENTERPRISE = "enterprise", _("Enterprise operation")
    RESEARCH = "research", _("R&D activity")
    TALENT = "talent", _("Talent management")
    OTHER = "other", pgettext_lazy("navigation type", "Other")


class Employment(models.TextChoices):
    FULL_TIME = "full", _("Full-time")
    PART_TIME = "part", _("Part-time")


class ExemptCategory(models.TextChoices):
    """Bodies that do not count against their province's quota (SPEC §5)."""

    PROTECTION_CENTRE = "protection_centre", _("National IP protection centre")
    DEMONSTRATION_PARK = "demonstration_park", _("National IP-power demonstration park (示范 only)")
    EXPERIMENTAL_ZONE = "experimental_zone", _("Former national patent-navigation industry development experimental zone")
    PILOT_BASE = "pilot_base", _("Former national patent-navigation pilot project research base")


class ClaimStatus(models.TextChoices):
    """A reviewer's check of an exemption or priority claim; only a verified claim counts (SPEC §5)."""

    PENDING = "pending", _("Not yet checked")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class AttachmentKind(models.TextChoices):
    EXEMPTION_DOCUMENT = "exemption_document", _("Exemption designation document")
    LOCAL_BASE_DOCUMENT = "local_base_document", _("Local base designation document")
    SEALED_SCAN = "sealed_scan", _("Sealed application form (PDF scan)")


class Verification(models.TextChoices):
    """Where an organisation's registration stands (SPEC §10): provisional until the bureau that first receives
    its applications verifies it, or a government identity platform vouches for its credit code."""

    AWAITING = "awaiting", _("Awaiting the documents")
    PENDING = "pending", _("Awaiting verification")
    VERIFIED = "verified", _("Verified")
    REFUSED = "refused", _("Verification refused")


# Provisional: drafts may be written, nothing submitted.
PROVISIONAL = (Verification.AWAITING, Verification.PENDING, Verification.REFUSED)


class VerifiedVia(models.TextChoices):
    BUREAU = "bureau", _("by the bureau, from the documents")
    PLATFORM = "platform", _("by the government identity platform")
    # Registered before verification existed: accepted under the old rules (data migration 0012).
    LEGACY = "legacy", _("registered before verification was required")


class DocumentKind(models.TextChoices):
    """The two documents that prove who registers an organisation (SPEC §10)."""

    AUTHORISATION = "authorisation", _("Sealed letter of authorisation (法人授权委托书) naming the contact person")
    LICENCE = "licence", _("Legal-person certificate or business licence")


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the bureau's decision")
    APPROVED = "approved", _("Approved: the account was transferred")
    REFUSED = "refused", _("Refused")
