"""The bureaus' verification of registrations (SPEC §10): a queue of the organisations whose applications they first
receive, waiting for verification or for a decision on a transfer request, and a page per organisation with its
documents. Each POST: fetch in scope (404 outside) → validate → one service → message."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from applications import organisations
from applications.enums import TransferStatus, Verification
from applications.models import OrganisationDocument, OrganisationTransfer
from navportal.access import get_in_scope, permission_required_404
from navportal.errors import PortalError

from .forms import TransferDecisionForm, VerificationRefuseForm

# What the queue shows: what waits for the bureau by default, everything in its scope on request.
SHOW = {"waiting", "all"}


@permission_required_404("review.view_verifications")
def verification_queue(request):
    show = request.GET.get("show", "waiting")
    if show not in SHOW:
        show = "waiting"
    pending_transfer = OrganisationTransfer.objects.filter(organisation=OuterRef("pk"), status=TransferStatus.PENDING)
    rows = organisations.organisations_for_user(request.user).annotate(
        transfer_waiting=Exists(pending_transfer)).select_related("province", "city", "ministry")
    if show == "waiting":
        rows = rows.filter(Exists(pending_transfer) | Q(verification=Verification.PENDING))
    page = Paginator(rows.order_by("created_at", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "review/verification_queue.html", {"page": page, "show": show,
                                                               "query": f"show={show}"})


def _scoped(request, pk):
    return get_in_scope(request, organisations.organisations_for_user(request.user).select_related(
        "province", "city", "ministry").prefetch_related("members"), pk)


@permission_required_404("review.view_verifications")
def verification_detail(request, pk, bound=None, status=200):
    organisation = _scoped(request, pk)
    transfer = (organisation.transfers.filter(status=TransferStatus.PENDING).select_related("requester")
                .prefetch_related(Prefetch("documents", queryset=OrganisationDocument.objects.order_by("kind")))
                .first())
    history = list(organisation.transfers.exclude(status=TransferStatus.PENDING).select_related(
        "requester", "decided_by"))
    may_decide = request.user.has_perm("applications.verify_organisation", organisation)
    forms = {}
    if may_decide:
        if organisation.verification == Verification.PENDING:
            forms["refuse"] = VerificationRefuseForm(prefix="refuse")
        if transfer is not None:
            forms["transfer"] = TransferDecisionForm(prefix="transfer")
    if bound is not None:
        forms[bound[0]] = bound[1]
    return render(request, "review/verification_detail.html", {
        "organisation": organisation, "documents": list(organisation.documents.filter(transfer__isnull=True)),
        "transfer": transfer, "history": history, "forms": forms, "may_decide": may_decide,
        "contacts": [m for m in organisation.members.all() if m.is_active],
        "desk": organisations.desk_name(organisation),
    }, status=status)


@permission_required_404("review.view_verifications", methods=["POST"])
def organisation_verify(request, pk):
    organisation = _scoped(request, pk)
    try:
        organisations.organisation_verify(actor=request.user, organisation_id=organisation.pk)
    except PortalError as exc:
        messages.error(request, exc.message)
        return verification_detail(request, pk, status=409)
    messages.success(request, _("The registration is verified: the organisation can submit its applications."))
    return redirect("verification_queue")


@permission_required_404("review.view_verifications", methods=["POST"])
def organisation_refuse(request, pk):
    organisation = _scoped(request, pk)
    form = VerificationRefuseForm(request.POST, prefix="refuse")
    if not form.is_valid():
        return verification_detail(request, pk, bound=("refuse", form), status=400)
    try:
        organisations.organisation_refuse(actor=request.user, organisation_id=organisation.pk,
                                          reason=form.cleaned_data["reason"])
    except PortalError as exc:
        messages.error(request, exc.message)
        return verification_detail(request, pk, bound=("refuse", form), status=409)
    messages.success(request, _("Recorded: not verified. The applicant may upload the documents again."))
    return redirect("verification_queue")


@permission_required_404("review.view_verifications", methods=["POST"])
def organisation_transfer_decide(request, pk):
    organisation = _scoped(request, pk)
    form = TransferDecisionForm(request.POST, prefix="transfer")
    if not form.is_valid():
        return verification_detail(request, pk, bound=("transfer", form), status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        organisations.organisation_transfer_decide(actor=request.user, organisation_id=organisation.pk,
                                                   approve=approve, reason=form.cleaned_data["reason"])
    except PortalError as exc:
        messages.error(request, exc.message)
        return verification_detail(request, pk, bound=("transfer", form), status=409)
    messages.success(request, _("The account was transferred to the new contact person.") if approve
                     else _("The transfer was refused; both contact persons are told by mail."))
    return redirect("verification_queue")
