"""The labels of the apps' audit events, registered with the core's audit pages (navportal.audit_labels) when
the portal is ready: the portal is the one place that knows every app."""

from django.utils.translation import gettext_lazy as _

from applications.enums import AttachmentKind, ClaimStatus, DocumentKind, State, TransferStatus, Verification
from applications.workflow import TRANSITIONS
from navportal.audit_labels import register
from review.models import ObjectionDecision, ObjectorKind, PackageStatus
from review.trail import STEPS, submission_note

ACTIONS = {
    # The applicant's side.
    "organisation_register": _("Organisation registered"),
    "privacy_acknowledge": _("Personal information rules acknowledged"),
    "retention_apply": _("Personal information removed at the end of its retention period"),
    "personal_data_export": _("Personal information exported by the applicant"),
    "data_request": _("Request about personal information received"),
    "data_request_answer": _("Request about personal information answered"),
    "organisation_documents_upload": _("Registration documents uploaded"),
    "organisation_document_download": _("Registration document downloaded"),
    "organisation_verify": _("Registration verified by the bureau"),
    "organisation_verify_platform": _("Registration verified by the identity platform"),
    "organisation_refuse": _("Registration not verified"),
    "organisation_transfer_request": _("Request to transfer the account"),
    "organisation_transfer_approve": _("Account transferred"),
    "organisation_transfer_refuse": _("Transfer of the account refused"),
    "platform_login": _("Sign-in through the identity platform"),
    "platform_link": _("Account linked to the identity platform"),
    "application_start": _("Application started"),
    "application_pledge": _("Truthfulness pledge accepted"),
    "application_attach": _("Document attached"),
    "attachment_download": _("Document downloaded"),
    "version_pdf_make": _("PDF of the submitted version made"),
    # The decisions on an application (as the decision trail names them).
    **{action: step.label for action, step in STEPS.items()},
    # The recommendation package.
    "package_rank": _("Package ranking changed"),
    "package_update": _("Priority justification saved"),
    "package_letter": _("Recommendation letter uploaded"),
    "package_letter_download": _("Recommendation letter downloaded"),
    "package_submit": _("Package handed in to CNIPA"),
    "package_reopen": _("Package reopened by CNIPA"),
    "package_export": _("Recommendation summary exported"),
    # Calls, deadlines, the registry.
    "call_create": _("Call opened"),
    "call_update": _("Call changed"),
    "province_deadline_set": _("Province's own deadline set"),
    "registry_import": _("Registry imported"),
    # CNIPA's exports, the notice, objections, the final list.
    "national_summary_export": _("National summary exported"),
    "proposed_list_export": _("Proposed list exported"),
    "final_list_export": _("Final list exported"),
    "notice_publish": _("Proposed list published (public notice opened)"),
    "notice_confirm_dates": _("Notice dates confirmed"),
    "objection_submit": _("Objection sent (to be confirmed by e-mail)"),
    "objection_confirm": _("Objection confirmed by e-mail (received)"),
    "objections_purge": _("Unconfirmed objections removed"),
    "objection_decide": _("Objection decided"),
    "objection_file_download": _("Objection file downloaded"),
    "final_confirm": _("Final list confirmed"),
    # A change made on a published list whose integrity seal no longer verified (review.national.notice_seal_check).
}


def register_labels():
    missing = {t.audit for t in TRANSITIONS.values() if t.audit} - set(ACTIONS)
    # Every audited row of the transition table has its words (the trail's, or the applicant's side above).
    assert not missing, f"audit actions without a label: {sorted(missing)}"
    register(actions=ACTIONS, states={
        # An application's states, and its claims' statuses (the claim checks record from → to status).
        "applications.application": {**dict(ClaimStatus.choices), **dict(State.choices)},
        "review.package": dict(PackageStatus.choices),
        "review.objection": {**dict(ObjectionDecision.choices), "unconfirmed": _("E-mail not confirmed"),
                             "confirmed": _("E-mail confirmed")},
        # A registration's verification, and its transfer requests (recorded on the organisation).
        "applications.organisation": {**dict(TransferStatus.choices), **dict(Verification.choices)},
    }, terms={**dict(AttachmentKind.choices), **dict(ObjectorKind.choices), **dict(DocumentKind.choices)},
        notes={"application_submit": submission_note})
