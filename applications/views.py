"""The applicant's pages. Each view: fetch in scope (404 outside) → validate → one service call → message."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.access import found_in_scope, get_in_scope, permission_required_404
from navportal.audit import audit_record
from navportal.compiled import CompiledQuery
from navportal.errors import PortalError
from navportal.files import private_download
from navportal.privacy_rules import RULES_VERSION
from navportal.throttle import throttle, throttled_response
from review import deadlines
from review.models import Call
from review.selectors import province_deadline_for, province_deadlines_for_organisation
from review.trail import application_trail

from . import organisations, printing, services
from .enums import AttachmentKind, State
from .forms import (
    AttachmentsForm, DocumentsForm, PledgeForm, RegistrationForm, WithdrawForm, formset_rows, row_formset_class,
    section_form_class,
)
from .models import Application
from .sections import PERSONAL_SECTIONS, SECTION_BY_KEY, SECTIONS, SectionStatus, section_status
from .selectors import ApplicationContent, applications_for_user, in_scope, verified_versions, versions_alarm

# The session key under which portal.platform keeps the claims of a platform sign-in to register (the apps do not
# import the portal: the key is the contract).
PLATFORM_REGISTRATION_KEY = "platform_registration"

# The application of an applicant's page, read by its id with a query compiled once (navportal.compiled) and held
# against the user's scope by selectors.in_scope — applications_for_user's rules on the loaded row.
APPLICATION = CompiledQuery(lambda pk: Application.objects.select_related(
    "call", "organisation", "province", "city", "ministry").filter(pk=pk), "applications_application")


def _scoped(request, pk):
    """The application if the user may see it; otherwise 404, exactly as if it did not exist (and the refusal
    recorded). On the pages of applications.apply the scope is the organisation's own applications."""
    application = APPLICATION.get(pk)
    return found_in_scope(request, Application, pk, application,
                          application is not None and in_scope(request.user, application))


def register(request):
    """An organisation registers with its contact person's account. The public form answers the same whatever
    exists (SPEC §7): the rest comes by mail — a link that finishes a new registration (register_confirm), or for a
    registered credit code a link to request the transfer of its account with the documents (register_transfer).
    After a sign-in through the government identity platform that vouched for a credit code not registered yet, the
    form is prefilled from its claims, the code fixed, and the organisation registered verified at once: the
    platform vouched for the person, so there is no mail round trip. The registration is provisional until its
    bureau verifies the documents (uploaded on the organisation's page) — SPEC §10."""
    if request.user.is_authenticated:
        return redirect("home")
    posted = request.method == "POST"
    vouched = request.session.get(PLATFORM_REGISTRATION_KEY) if getattr(settings, "OIDC_RP_CLIENT_ID", "") else None
    form = RegistrationForm(request.POST if posted else None, vouched=vouched)
    context = {"form": form, "vouched": vouched}
    if posted:
        refusal = throttle(request, "registration", email=request.POST.get("email", ""))
        if refusal:
            return throttled_response(request, "applications/register.html", context, refusal)
    if not (posted and form.is_valid()):
        return render(request, "applications/register.html", context)
    data = form.cleaned_data
    values = dict(name=data["name"], credit_code=data["credit_code"], applicant_type=data["applicant_type"],
                  affiliation=data["affiliation"], ministry=data["ministry"], province=data["province"],
                  city=data["city"], contact_name=data["contact_name"], email=data["email"],
                  password=data["password1"], privacy_version=RULES_VERSION)
    try:
        if vouched is None:
            services.registration_request(**values, site_url=request.build_absolute_uri("/"))
        else:
            user = services.organisation_register(**values, platform=(vouched["issuer"], vouched["subject"]))
    except PortalError as exc:
        form.add_error(None, exc.message)
        return render(request, "applications/register.html", context, status=400 if vouched is None else 409)
    if vouched is None:
        # The same page whether the address or the code was known or not: the mail tells the rest.
        return render(request, "applications/register_sent.html", {
            "email": data["email"], "hours": services.REGISTRATION_CONFIRM_HOURS})
    request.session.pop(PLATFORM_REGISTRATION_KEY, None)
    login(request, user, backend="navportal.auth.ScopedModelBackend")
    messages.success(request, _("Your organisation is registered and verified through the identity platform. "
                                "You can now start an application."))
    return redirect("application_list")


def register_confirm(request, token):
    """The link mailed by the registration of a new organisation: a GET shows a button (a mail scanner opening links
    registers nothing), the POST creates the organisation (provisional) and the account and signs its contact person
    in, on the organisation's page, which asks for the documents."""
    if request.method == "POST":
        try:
            user = services.registration_confirm(token=token)
        except PortalError as exc:
            return render(request, "applications/register_confirm.html", {"error": exc.message},
                          status=404 if exc.code == "not_found" else 409)
        login(request, user, backend="navportal.auth.ScopedModelBackend")
        messages.success(request, _("Your organisation is registered. You can start an application now; it can "
                                    "be submitted once %(desk)s has verified the registration.")
                         % {"desk": organisations.desk_name(user.organisation)})
        return redirect("organisation_own")
    return render(request, "applications/register_confirm.html", {})


def register_transfer(request, token):
    """The link mailed to whoever registered a credit code that is registered already: the form asks for the two
    documents, the POST makes the request to transfer the organisation's account to the sender (decided by its
    bureau; the sender's account stays disabled until then)."""
    posted = request.method == "POST"
    try:
        pending = services.registration_transfer_pending(token=token)
    except PortalError as exc:
        return render(request, "applications/register_transfer_form.html", {"error": exc.message},
                      status=404 if exc.code == "not_found" else 409)
    form = DocumentsForm(request.POST if posted else None, request.FILES if posted else None)
    context = {"form": form, "credit_code": pending.values["credit_code"], "email": pending.email}
    if posted:
        refusal = throttle(request, "registration_transfer")
        if refusal:
            return throttled_response(request, "applications/register_transfer_form.html", context, refusal)
        if form.is_valid():
            try:
                transfer = services.registration_transfer(token=token, documents=form.uploads())
            except PortalError as exc:
                form.add_error(None, exc.message)
            else:
                return render(request, "applications/register_transfer.html",
                              {"desk": organisations.desk_name(transfer.organisation)})
        return render(request, "applications/register_transfer_form.html", context, status=400)
    return render(request, "applications/register_transfer_form.html", context)


@permission_required_404("applications.apply")
def organisation_own(request):
    """The applicant's organisation: its registration's verification, its documents, and their upload."""
    organisation = organisations.organisations_for_user(request.user).select_related(
        "province", "city", "ministry").get(pk=request.user.organisation_id)
    form = DocumentsForm(request.POST if request.method == "POST" else None,
                         request.FILES if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid() and form.uploads():
            try:
                organisations.organisation_documents_upload(actor=request.user, documents=form.uploads())
            except PortalError as exc:
                messages.error(request, exc.message)
                return redirect("organisation_own")
            messages.success(request, _("The documents were uploaded."))
            return redirect("organisation_own")
        if not form.errors:
            form.add_error(None, _("Choose the documents to upload."))
        status = 400
    else:
        status = 200
    return render(request, "applications/organisation.html", {
        "organisation": organisation, "form": form,
        "documents": list(organisation.documents.filter(transfer__isnull=True)),
        "desk": organisations.desk_name(organisation), "blocker": organisations.submission_blocker(organisation),
    }, status=status)


@permission_required_404("applications.view_organisation_documents")
def organisation_document(request, pk):
    """A registration document, for the applicant (its organisation's) and the bureaus whose scope holds it."""
    document = get_in_scope(request, organisations.documents_for_user(request.user), pk)
    audit_record(actor=request.user, action="organisation_document_download", obj=document.organisation,
                 note=f"{document.kind}{f' (transfer {document.transfer_id})' if document.transfer_id else ''}")
    return private_download(document.file, document.original_name, document.content_type)


@permission_required_404("applications.apply")
def application_list(request):
    applications = list(applications_for_user(request.user).select_related("call").order_by("-call__opens_at"))
    applied = {a.call_id for a in applications}
    # The calls this organisation may still apply to, by its own deadline: the province's, if it set one.
    own = province_deadlines_for_organisation(request.user.organisation)
    now = timezone.now()
    windows = [(call, deadlines.applicant_window(call, own.get(call.pk), now))
               for call in Call.objects.order_by("-opens_at") if call.pk not in applied]
    open_calls = [(call, window) for call, window in windows if window.is_open]
    return render(request, "applications/list.html", {
        "applications": applications, "open_calls": open_calls,
        "blocker": organisations.submission_blocker(request.user.organisation)})


@permission_required_404("applications.apply", methods=["POST"])
def application_start(request, call_id):
    call = get_object_or_404(Call, pk=call_id)
    try:
        application = services.application_start(actor=request.user, call=call)
    except PortalError as exc:
        messages.error(request, exc.message)
        return redirect("application_list")
    return redirect("application_tasks", pk=application.pk)


@permission_required_404("applications.apply")
def application_pledge(request, pk):
    application = _scoped(request, pk)
    form = PledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_pledge(actor=request.user, application_id=application.pk)
        except PortalError as exc:
            messages.error(request, exc.message)
        return redirect("application_tasks", pk=application.pk)
    return render(request, "applications/pledge.html", {"application": application, "form": form})


def _task_list(application, content):
    problems = content.problems()
    by_section = {}
    for problem in problems:
        by_section.setdefault(problem.section, []).append(problem)
    failed = application.submit_failed_at is not None
    tasks = []
    for section in SECTIONS:
        status = section_status(
            section, saved=section.key in application.sections_saved, problems=by_section.get(section.key),
            attention=failed, flagged=section.key in application.flagged_sections)
        tasks.append({"section": section, "status": status, "label": SectionStatus.LABELS[status],
                      "problems": by_section.get(section.key, [])})
    return tasks, problems


@permission_required_404("applications.apply")
def application_tasks(request, pk):
    application = _scoped(request, pk)
    content = ApplicationContent(application)
    tasks, problems = _task_list(application, content)
    complete = sum(task["status"] == SectionStatus.COMPLETE for task in tasks)
    versions = verified_versions(application)
    return render(request, "applications/tasks.html", {
        "application": application, "tasks": tasks, "complete": complete, "total": len(tasks),
        "problems": problems if application.submit_failed_at else [],
        "deadline": deadlines.applicant_deadline(application.call, province_deadline_for(application)),
        # Each with the verdict of its seal (navportal.seals: kept under the version's content epoch).
        "versions": versions, "versions_alarm": versions_alarm(versions),
        "trail": application_trail(application, for_applicant=True),
        # Said up front: a provisional registration drafts but does not submit (SPEC §10).
        "blocker": organisations.submission_blocker(application.organisation),
    })


@permission_required_404("applications.apply")
def application_section(request, pk, section_key):
    application = _scoped(request, pk)
    section = SECTION_BY_KEY.get(section_key)
    if section is None:
        raise Http404
    if application.pledged_at is None:
        return redirect("application_pledge", pk=application.pk)
    editable = request.user.has_perm("applications.change_application", application)
    form_class = section_form_class(section.key)
    if request.method == "POST":
        if not editable:
            messages.error(request, _("This application can no longer be changed."))
            return redirect("application_tasks", pk=application.pk)
        return _save_section(request, application, section, form_class)
    # Read as instances, not values(): the roster's names are encrypted at rest (navportal.fields).
    fields = row_formset_class(section.rows).form._meta.fields if section.rows else ()
    rows = [{name: getattr(row, name) for name in fields} for row in getattr(application, section.rows).all()] \
        if section.rows else []
    extra = 1 if request.GET.get("add") else max(0, 5 - len(rows)) if section.rows else 0
    formset = (row_formset_class(section.rows, extra=extra)(initial=rows, prefix=section.rows)
               if section.rows else None)
    return _render_section(request, application, section, form_class(instance=application), formset,
                           AttachmentsForm(kinds=section.attachments), application.lock_version, editable)


def _save_section(request, application, section, form_class):
    """Store every value the page's forms accept and every valid upload; re-show the page with what was not
    stored, as typed and with its reason. The service checks again what it is given (validators)."""
    form = form_class(request.POST, instance=application)
    formset = row_formset_class(section.rows)(request.POST, prefix=section.rows) if section.rows else None
    uploads = AttachmentsForm(request.POST, request.FILES, kinds=section.attachments)
    try:
        lock_version = int(request.POST.get("lock_version", ""))
    except ValueError:
        lock_version = -1
    form_ok = form.is_valid()
    rows_ok = formset is None or formset.is_valid()  # both checked: each names its own refusals
    fields_ok = form_ok and rows_ok
    saved_at = None
    try:
        saved = services.application_save_section(
            actor=request.user, application_id=application.pk, section_key=section.key,
            values=form.savable_values(), rows=formset_rows(formset) if formset is not None else None,
            lock_version=lock_version, privacy_version=form.acknowledged)
        lock_version = saved.lock_version
        saved_at = timezone.localtime()
        # A file that passed its checks is kept even when another field on the page was wrong.
        for kind, upload in uploads.valid_uploads():
            attachment = services.application_attach(
                actor=request.user, application_id=application.pk, kind=kind, upload=upload,
                content_type=upload.checked_content_type, lock_version=lock_version)
            lock_version = attachment.application.lock_version
            messages.success(request, _("“%(name)s” was uploaded.") % {"name": upload.name})
    except PortalError as exc:
        if exc.code == "privacy" and "privacy" in form.fields:
            form.add_error("privacy", exc.message)  # listed with the page's other refusals, at the tick box
        else:
            messages.error(request, exc.message)
        fields_ok = False
    if fields_ok and not uploads.errors:
        messages.success(request, _("Saved at %(time)s.") % {"time": saved_at.strftime("%H:%M:%S")})
        if "add_row" in request.POST:
            return redirect(f"{request.path}?add=1#rows")
        if "save_next" in request.POST:
            following = [s for s in SECTIONS if s.number == section.number + 1]
            if following:
                return redirect("application_section", pk=application.pk, section_key=following[0].key)
            return redirect("application_tasks", pk=application.pk)
        return redirect(request.path)
    application.refresh_from_db()
    return _render_section(request, application, section, form, formset, uploads, lock_version, True,
                           status=400, saved_at=saved_at)


def _render_section(request, application, section, form, formset, uploads, lock_version, editable, status=200,
                    saved_at=None):
    attachments = {a.kind: a for a in application.attachments.all()}
    upload_rows = [(uploads[kind], attachments.get(kind)) for kind in section.attachments]
    following = [s for s in SECTIONS if s.number == section.number + 1]
    return render(request, "applications/section.html", {
        "application": application, "section": section, "sections": SECTIONS, "form": form,
        "formset": formset, "uploads": uploads, "upload_rows": upload_rows, "lock_version": lock_version,
        "editable": editable, "next_section": following[0] if following else None,
        "fingerprint": ApplicationContent(application).fingerprint if section.key == "declaration" else "",
        # Re-shown after a save: when the valid entries were stored (None: nothing was).
        "saved_at": saved_at, "unsaved": status != 200,
        "acknowledged": section.key in PERSONAL_SECTIONS and application.privacy_version == RULES_VERSION,
    }, status=status)


@permission_required_404("applications.apply", methods=["POST"])
def application_submit(request, pk):
    application = _scoped(request, pk)
    try:
        problems = services.application_submit(actor=request.user, application_id=application.pk)
    except PortalError as exc:
        application.refresh_from_db(fields=["state", "submitted_at"])
        if exc.code == "state" and application.submitted_at and application.state not in (
                State.DRAFT, State.RETURNED):
            # A second click, a second tab or a retried request: the first one did it. Say so, politely,
            # rather than report an error about an application that was submitted.
            messages.info(request, _("This application was submitted at %(time)s; nothing more to do.")
                          % {"time": timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M")})
        else:
            messages.error(request, exc.message)
        return redirect("application_tasks", pk=application.pk)
    if problems:
        messages.error(request, _("The application was not submitted; the problems are listed below."))
        return redirect(f"/applications/{application.pk}/#problems")
    reference = application.versions.order_by("-number").values_list("reference", flat=True).first()
    messages.success(request, _("Submitted. Its reference number is %(reference)s; please quote it when you contact "
                                "the bureau. You will be told of every decision by e-mail and here.")
                     % {"reference": reference})
    return redirect("application_tasks", pk=application.pk)


@permission_required_404("applications.apply", methods=["POST"])
def application_withdraw(request, pk):
    application = _scoped(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect("application_tasks", pk=application.pk)
    try:
        services.application_withdraw(actor=request.user, application_id=application.pk,
                                      reason=form.cleaned_data["reason"])
        messages.success(request, _("The application was withdrawn."))
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect("application_tasks", pk=application.pk)


@permission_required_404("applications.apply", methods=["POST"])
def application_reopen(request, pk):
    application = _scoped(request, pk)
    try:
        services.application_reopen(actor=request.user, application_id=application.pk)
        messages.success(request, _("The application is a draft again; submit it once more when ready."))
    except PortalError as exc:
        messages.error(request, exc.message)
    return redirect("application_tasks", pk=application.pk)


@permission_required_404("applications.print_application")
def application_print(request, pk):
    application = _scoped(request, pk)
    return render(request, "applications/print.html", printing.print_context(application))


@permission_required_404("applications.print_application")
def application_print_pdf(request, pk):
    """The print view as a PDF, laid out on the server: the same page in every browser, with the check code of
    the content as it is now."""
    application = _scoped(request, pk)
    content = ApplicationContent(application)
    pdf = printing.application_pdf(application, content=content)
    return _pdf_response(pdf, f"{_('Application form')}-{content.fingerprint}.pdf")


@permission_required_404("applications.print_application")
def application_version_pdf(request, pk, number):
    """The PDF of a submitted version, laid out from its page as frozen at its submission: what the sealed scan is
    compared with. Only while the version's seal verifies (checked on every download, a file kept by an earlier
    release too): otherwise refused, with the reason, on the page the user came from."""
    application = _scoped(request, pk)
    version = get_object_or_404(application.versions.all(), number=number)
    try:
        if version.pdf:
            services.check_version_seal(version)
        else:
            pdf = services.version_pdf(version)
    except PortalError as exc:
        messages.error(request, exc.message)
        back = "application_tasks" if request.user.has_perm("applications.apply") else "review_application"
        return redirect(back, pk=application.pk)
    audit_record(actor=request.user, action="attachment_download", obj=application,
                 note=f"version {version.number} PDF, {version.reference}")
    if version.pdf:
        return private_download(version.pdf, f"{version.reference}.pdf", "application/pdf")
    return _pdf_response(pdf, f"{version.reference}.pdf")


def _pdf_response(pdf, filename):
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@permission_required_404("applications.download_attachment")
def attachment_download(request, pk, kind):
    application = _scoped(request, pk)
    if kind not in AttachmentKind.values:
        raise Http404
    attachment = get_object_or_404(application.attachments, kind=kind)
    audit_record(actor=request.user, action="attachment_download", obj=application, note=kind)
    return private_download(attachment.file, attachment.original_name, attachment.content_type)

