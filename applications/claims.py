"""The claims of SPEC §5 and what a change of them means: pure, no database.

A claim is checked by the recommending bureau and, for the exemption, again by CNIPA. Whatever was checked
is what counts: any change of a claim's category, document number, date or file puts it back to pending at
every level.
"""

from .enums import AttachmentKind, ClaimStatus

EXEMPTION_FIELDS = ("exempt_category", "exempt_document_number", "exempt_document_date")
PRIORITY_FIELDS = ("local_base", "local_base_document_number", "local_base_document_date")

EXEMPTION_RESET = {"exemption_status": ClaimStatus.PENDING, "exemption_note": "",
                   "national_exemption_status": ClaimStatus.PENDING}
PRIORITY_RESET = {"priority_status": ClaimStatus.PENDING, "priority_note": ""}

DOCUMENT_RESETS = {
    AttachmentKind.EXEMPTION_DOCUMENT: EXEMPTION_RESET,
    AttachmentKind.LOCAL_BASE_DOCUMENT: PRIORITY_RESET,
}


def _changed(application, values, names):
    return any(name in values and values[name] != getattr(application, name) for name in names)


def claim_resets(application, values):
    """The status fields to put back to pending when `values` (field → new value) change a claim."""
    resets = {}
    if _changed(application, values, EXEMPTION_FIELDS):
        resets.update(EXEMPTION_RESET)
    if _changed(application, values, PRIORITY_FIELDS):
        resets.update(PRIORITY_RESET)
    return resets


def document_resets(kind):
    """The status fields a new document of `kind` puts back to pending."""
    return dict(DOCUMENT_RESETS.get(kind, {}))
