"""Reviewers' pages: the queue of their scope, an application with the decisions they may take, and the
recommendation package. Each POST: fetch in scope (404 outside) → validate → one service → message."""

import hashlib
from typing import Callable, NamedTuple

from django.contrib import messages
from django.core.cache.utils import make_template_fragment_key
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.enums import Route, State
from applications.models import Application
from applications.selectors import (
    ApplicationContent, applications_for_user, in_scope, verified_versions, versions_alarm,
)
from applications.units import Unit
from applications.workflow import desk_state
from navportal.access import found_in_scope, get_in_scope, permission_required_404
from navportal.audit import audit_record
from navportal.compiled import CompiledQuery
from navportal.errors import PortalError
from navportal.files import private_download
from navportal.models import Role
from navportal.rules import is_cnipa, is_recommending_bureau

from . import deadlines, exports, national, previews, services
from .confirm import confirm_or_preview, render_preview
from .forms import (
    ClaimForm, ConsentForm, JustificationForm, LetterForm, QueueFilterForm, RankForm, ReasonForm, RecommendForm,
    ReopenForm, ReturnForm, TakeBackForm,
)
from .models import Call, Notice, Package, PackageStatus
from .quota import counts_against_quota, has_priority, is_exempt, priority_overrides, quota_usage
from .registry import registry_hint
from .selectors import (
    beside_package, list_published, package_in_scope, package_recommendations, packages_for_user,
    queue_first_page, queue_light, version_changes,
)
from .trail import application_trail

# The desk each role works at: the queue opens filtered to it.
DESK = {
    Role.CITY: State.CITY_REVIEW,
    Role.PROVINCE: State.PROVINCE_REVIEW,
    Role.MINISTRY: State.MINISTRY_REVIEW,
    Role.NATIONAL: State.NATIONAL_REVIEW,
}


def _scoped_application(request, pk):
    return get_in_scope(request, applications_for_user(request.user).select_related(
        "call", "organisation", "province", "city", "ministry"), pk)


@permission_required_404("review.view_queue")
def queue(request):
    user = request.user
    states = [s for s in State if s != State.DRAFT]
    params = request.GET.copy()
    if "state" not in params:
        params["state"] = DESK[user.role]
    # Rendering the filter form costs more than the 50 rows: the form, the count and the rows are one cached
    # fragment, under what each shows (one round trip to the cache): its choices are part of that.
    filters = QueueFilterForm(params, states=states, units=user.has_perm("review.filter_by_unit"))
    choices = filters.choices
    # Only the columns the queue shows: an application row is wide, and 50 of them are read per page.
    def rows():
        return filters.apply(applications_for_user(user)).select_related(
            "call", "province", "city", "organisation").only(
            "name", "applicant_type", "industry_fields", "state", "submitted_at", "updated_at", "call__title",
            "contact_name", "contact_mobile", "contact_phone", "crypt_id",  # crypt_id: the phones decrypt with it
            "organisation__credit_code", "province__name", "province__name_en", "city__name", "city__name_en",
        ).order_by("submitted_at", "pk")
    # The rows show the application's own fields, its call's title and reference names that only a migration
    # changes: their rendering is cached under the version counters the writers move — each application's
    # lock_version (applications.transitions) and its call's version (review.calls) —, read by a light query that
    # brings the count too (a window over the whole selection); the rows themselves are read only when that
    # rendering is missing. The queue as it opens (one state, its first page) reads the light query compiled.
    number = request.GET.get("page")
    number = int(number) if number and number.isdigit() and int(number) > 0 else 1
    state = filters.state_alone() if number == 1 else None
    shown = queue_first_page(user, state) if state is not None else None
    if shown is not None:
        paginator = Paginator((), 50)
        paginator.count = shown[0][3] if shown else 0
        page = Page(SimpleLazyObject(lambda: list(rows()[:50])), 1, paginator)
    else:
        light = queue_light(filters.apply(applications_for_user(user)))
        paginator = Paginator(rows(), 50)
        shown = [(a.pk, a.lock_version, a.call.version, a.total) for a in light[(number - 1) * 50:number * 50]]
        if shown:
            paginator.count = shown[0][3]  # the page's count, as Paginator.count would have read it
        page = paginator.get_page(number)  # past the last page (nothing shown): counted, and the last page instead
        if page.number != number:
            shown = [(a.pk, a.lock_version, a.call.version, a.total)
                     for a in light[(page.number - 1) * 50:page.number * 50]]
    query = params.copy()
    query.pop("page", None)
    rows_version = hashlib.sha256(repr([get_language(), *[row[:3] for row in shown]]).encode()).hexdigest()
    return render(request, "review/queue.html", {
        "filters": filters, "page": page, "query": query.urlencode(), "desk": DESK[user.role],
        "rows_version": rows_version,
        "filters_version": "|".join(map(str, [user.role, get_language(), query.urlencode(), choices]))})


# The decisions on one application: form class and the service that carries it out.
class Decision(NamedTuple):
    """A decision on one application: its form, the service that carries it out (actor, id, the form's data), what
    the reviewer is told after it, its name on its fold and whether it moves the application on (a primary
    button)."""

    form: type
    service: Callable
    done: str
    label: str
    forward: bool


DECISIONS = {
    "city_consent": Decision(
        ConsentForm,
        lambda actor, pk, data: services.application_city_consent(
            actor=actor, application_id=pk, note=data["note"]),
        gettext_lazy("Consented; the application is now with the province."),
        gettext_lazy("Consent (同意)"), True),
    "city_decline": Decision(
        ReasonForm,
        lambda actor, pk, data: services.application_city_decline(
            actor=actor, application_id=pk, reason=data["reason"]),
        gettext_lazy("Recorded: the city does not consent."),
        gettext_lazy("Do not consent"), False),
    "return": Decision(
        ReturnForm,
        lambda actor, pk, data: services.application_return(
            actor=actor, application_id=pk, reason=data["reason"], sections=data["sections"]),
        gettext_lazy("Returned to the applicant for revision."),
        gettext_lazy("Return for revision"), False),
    "decline": Decision(
        ReasonForm,
        lambda actor, pk, data: services.application_decline(
            actor=actor, application_id=pk, reason=data["reason"]),
        gettext_lazy("Recorded: not recommended."),
        gettext_lazy("Do not recommend"), False),
    "recommend": Decision(
        RecommendForm,
        lambda actor, pk, data: services.application_recommend(
            actor=actor, application_id=pk, opinion=data["opinion"], score=data["score"]),
        gettext_lazy("Recommended: the application is now in your package."),
        gettext_lazy("Recommend"), True),
    "unrecommend": Decision(
        ConsentForm,
        lambda actor, pk, data: services.application_unrecommend(
            actor=actor, application_id=pk),
        gettext_lazy("The recommendation was taken back."),
        gettext_lazy("Take the recommendation back"), False),
    "recheck_pass": Decision(
        ConsentForm,
        lambda actor, pk, data: national.recheck_pass(
            actor=actor, application_id=pk, note=data["note"]),
        gettext_lazy("Recorded: passes the re-check."),
        gettext_lazy("Passes the re-check"), True),
    "recheck_fail": Decision(
        ReasonForm,
        lambda actor, pk, data: national.recheck_fail(
            actor=actor, application_id=pk, reason=data["reason"]),
        gettext_lazy("Recorded: fails the re-check."),
        gettext_lazy("Fails the re-check"), False),
    "return_to_unit": Decision(
        ReasonForm,
        lambda actor, pk, data: national.recheck_return_to_unit(
            actor=actor, application_id=pk, reason=data["reason"]),
        gettext_lazy("Returned to the recommending bureau."),
        gettext_lazy("Return to the recommending bureau"), False),
    "unit_resubmit": Decision(
        ConsentForm,
        lambda actor, pk, data: national.unit_resubmit(
            actor=actor, application_id=pk, note=data["note"]),
        gettext_lazy("Handed back in to CNIPA."),
        gettext_lazy("Hand back in to CNIPA"), True),
    "unit_drop": Decision(
        ReasonForm,
        lambda actor, pk, data: national.unit_drop(
            actor=actor, application_id=pk, reason=data["reason"]),
        gettext_lazy("The recommendation was withdrawn."),
        gettext_lazy("Withdraw the recommendation"), False),
    "take_back": Decision(
        TakeBackForm,
        lambda actor, pk, data: services.application_take_back(
            actor=actor, application_id=pk, reason=data["reason"]),
        gettext_lazy("The decision was taken back; the application is at the desk again."),
        gettext_lazy("Take back the decision"), False),
}
# Decisions after which the reviewer stays on the application (the others go back to the queue).
STAY = {"recommend", "take_back"}




def _decision_forms(request, application, bound=None):
    """The decision forms this user may use on this application, each with `decision_label` and
    `decision_primary`; a refused one comes back bound."""
    forms = {}
    for action, decision in DECISIONS.items():
        if request.user.has_perm(f"review.{action}", application):
            form = forms[action] = bound[1] if bound and bound[0] == action else decision.form(prefix=action)
            form.decision_label, form.decision_primary = decision.label, decision.forward
            if action == "take_back" and application.state == State.PROVINCE_REVIEW:
                form.decision_label = _("Take back the consent")
    return forms


# Fields that only the form's content shows (the cached part of the detail page): not read on a cache hit.
CONTENT_ONLY_FIELDS = (
    "address", "postcode", "head_name", "contact_position", "contact_email", "department_name",
    "department_founded", "department_duties", "mechanism", "funding_amount", "funding_source", "office_area",
    "office_address", "data_resources", "plan_goals", "plan_demand", "plan_organisation", "plan_promotion",
    "integrity_declared", "declarant_name", "declaration_date")


# The detail page's application, read by its primary key with a query compiled once (navportal.compiled) and held
# against the user's scope by applications.selectors.in_scope — the rules of applications_for_user on the loaded
# row, kept in agreement with it by tests/applications/test_scope.py.
DETAIL = CompiledQuery(lambda pk: Application.objects.select_related("call", "organisation", "recommendation").defer(
    *CONTENT_ONLY_FIELDS).filter(pk=pk), "review_application_detail")


@permission_required_404("review.view_application")
def application_detail(request, pk, bound=None, status=200):
    user = request.user
    # What the page shows outside the cached content, its recommendation (one at most) included, in one query
    # of as few tables as that needs: on a new database connection each table joined costs more to plan than to
    # read (docs/performance.md).
    application = DETAIL.get(pk)
    application = found_in_scope(request, Application, pk, application,
                                 application is not None and in_scope(user, application))
    # The form's content (the whole application, its rows and documents) is read only when its cached rendering
    # is missing: the rendering is cached under the application's lock_version, which the one writer
    # (applications.transitions) moves with every change of the application, its rows or its documents.
    content = SimpleLazyObject(lambda: ApplicationContent(Application.objects.select_related(
        "call", "organisation", "province", "city", "ministry").get(pk=application.pk)))
    content_version = "|".join(map(str, [application.pk, application.lock_version, get_language()]))
    claim_forms = {}
    if request.user.has_perm("review.claim_check", application):
        if application.exempt_category:
            claim_forms["exemption"] = ClaimForm(prefix="exemption")
        if application.local_base:
            claim_forms["priority"] = ClaimForm(prefix="priority")
    if request.user.has_perm("review.national_claim_check", application):
        claim_forms["national"] = ClaimForm(prefix="national")
    if bound and bound[0] in claim_forms:
        claim_forms[bound[0]] = bound[1]
    recommendation = getattr(application, "recommendation", None)
    # The registry's word on each claim, on the call's deadline (a title ended by then does not exempt).
    on = timezone.localdate(application.call.deadline)
    registry = {
        "exemption": registry_hint(application, application.exempt_category, on)
        if application.exempt_category else None,
        "priority": registry_hint(application, "local_base", on) if application.local_base else None,
    } if is_recommending_bureau(user) or is_cnipa(user) else {}
    # The decision trail and what changed since the previous version change only with the application — a
    # submission, a decision, a revised opinion —, that is, only when the one writer moves its lock_version: they
    # are rendered with the form's content, in the one fragment kept under it, and read only when it is missing.
    # The submitted versions, oldest first, each with its PDF, the last one the current, are read on every
    # request: each with the verdict of its seal, kept under the version's content epoch, which the database moves
    # with any change of the row (a change by SQL moves no version counter, but that one).
    trail = SimpleLazyObject(lambda: application_trail(application))
    # The fragment read with the seals' verdicts, in one round trip (the template's {% cache %} reads it itself, and
    # keeps it, only when it is missing).
    kept = {make_template_fragment_key("application_main", [content_version]): None}
    versions = verified_versions(application, also=kept)
    changes = SimpleLazyObject(lambda: version_changes(application, versions))
    return render(request, "review/application.html", {
        "registry": registry,
        "application": application, "content": content, "content_version": content_version,
        "main_html": next(iter(kept.values())),
        "versions": versions, "versions_alarm": versions_alarm(versions),
        # The submission this desk is looking at, with its reference number (受理编号).
        "current_version": versions[-1] if versions else None,
        "changes": changes, "decisions": _decision_forms(request, application, bound),
        "trail": trail,
        "claim_forms": claim_forms, "recommendation": recommendation,
        "exempt": is_exempt(application, application.call), "priority": has_priority(application),
    }, status=status)


@permission_required_404("review.view_application", methods=["POST"])
def application_decide(request, pk, action):
    application = _scoped_application(request, pk)
    if action not in DECISIONS:
        raise Http404
    decision = DECISIONS[action]
    form = decision.form(request.POST, prefix=action)
    if form.is_valid():
        try:
            decision.service(request.user, application.pk, form.cleaned_data)
        except PortalError as exc:
            messages.error(request, exc.message)
            return application_detail(request, pk, bound=(action, form), status=409)
        messages.success(request, decision.done)
        return redirect("review_queue") if action not in STAY else redirect("review_application", pk=pk)
    return application_detail(request, pk, bound=(action, form), status=400)


@permission_required_404("review.view_application", methods=["POST"])
def claim_check(request, pk, claim):
    application = _scoped_application(request, pk)
    if claim not in ("exemption", "priority", "national"):
        raise Http404
    form = ClaimForm(request.POST, prefix=claim)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if claim == "national":
                national.national_claim_check(actor=request.user, application_id=application.pk,
                                              status=data["status"], note=data["note"])
            else:
                services.claim_check(actor=request.user, application_id=application.pk, claim=claim,
                                     status=data["status"], note=data["note"])
            messages.success(request, _("The claim check was recorded."))
            return redirect("review_application", pk=pk)
        except PortalError as exc:
            messages.error(request, exc.message)
            return application_detail(request, pk, bound=(claim, form), status=409)
    return application_detail(request, pk, bound=(claim, form), status=400)


# --- The package ---------------------------------------------------------------------------------

@permission_required_404("review.view_package")
def package_current(request):
    """The bureau's package for the call at hand (the newest call, or ?call=); CNIPA has every unit's."""
    user = request.user
    if user.has_perm("review.list_packages"):
        return redirect("package_list")
    wanted = request.GET.get("call", "")
    if wanted and not (wanted.isdigit() and len(wanted) <= 18):
        raise Http404
    call = get_object_or_404(Call, pk=wanted) if wanted else Call.objects.order_by("-opens_at").first()
    if call is None:
        raise Http404
    unit = Unit.of_user(user)
    package = Package.objects.filter(call=call, **unit.package_fields()).first()
    if package is not None:
        return redirect("package_detail", pk=package.pk)
    # No package yet: the page as it will be, without a row. Opening it changes nothing (a GET never does); the
    # package is made by the first recommendation (services.application_recommend), with its quota fixed then.
    quota = call.ministry_quota if unit.is_ministry else call.quota
    unsaved = Package(call=call, quota=quota, status=PackageStatus.OPEN, **unit.package_fields())
    return render(request, "review/package.html", package_context(request, unsaved))


@permission_required_404("review.view_package")
def package_list(request):
    """Every unit's package, for CNIPA; a bureau has its own."""
    user = request.user
    if not user.has_perm("review.list_packages"):
        return redirect("package_current")
    packages = packages_for_user(user).select_related("call", "province", "ministry").order_by(
        "-call__opens_at", "province__code", "ministry__code")
    page = Paginator(packages, 60).get_page(request.GET.get("page"))
    return render(request, "review/package_list.html", {"page": page})


# A package read by its id with a query compiled once (navportal.compiled), held against the user's scope by
# review.selectors.package_in_scope — packages_for_user's rules on the loaded row —, with whether its call's
# proposed list is published (review.selectors.list_published's answer, in the same query).
PACKAGE = CompiledQuery(lambda pk: Package.objects.select_related("call", "province", "ministry").annotate(
    list_published=Exists(Notice.objects.filter(call_id=OuterRef("call_id")))).filter(pk=pk), "review_package")


def _package(request, pk):
    package = PACKAGE.get(pk)
    return found_in_scope(request, Package, pk, package,
                          package is not None and package_in_scope(request.user, package))


def package_context(request, package, **forms):
    # Of the applications, what the page and the quota and priority rules read.
    # A package not made yet (package_current: an unsaved one) has no recommendations and nothing to change.
    recommendations = package_recommendations(package) if package.pk else []
    call = package.call
    counted, exempt, over = quota_usage(recommendations, call, package.quota)
    route = Route.MINISTRY if package.ministry_id else Route.PROVINCE
    # Only what the page lists of them: names and claims. A saved package's bureau sees its unit's applications
    # (package_in_scope): those of its scope, read by a compiled query of the package (review.selectors).
    bureau = not is_cnipa(request.user)
    if bureau and package.pk:
        undecided, passed_over = beside_package(package)
    else:
        undecided = list(applications_for_user(request.user).filter(call=call, state=desk_state(route)).only(
            "name", "exempt_category", "local_base", "lock_version").order_by("submitted_at")) if bureau else []
    for recommendation in recommendations:
        recommendation.counts = counts_against_quota(recommendation.application, call)
        recommendation.priority = has_priority(recommendation.application)
        bound = forms.get("bound_recommendation")
        recommendation.form = bound[1] if bound and bound[0] == recommendation.pk else RecommendForm(
            prefix=f"r{recommendation.pk}", initial={"opinion": recommendation.opinion, "score": recommendation.score})
    overrides = priority_overrides([r.application for r in recommendations])
    if not (bureau and package.pk):
        passed_over = services.passed_over_priority(package, applications_for_user(request.user)) if bureau else []
    published = getattr(package, "list_published", None)  # read with the package (PACKAGE), or now
    window = deadlines.package_window(package, timezone.now(), list_published=list_published(package.call_id)
                                      if published is None else published)
    editable = package.pk is not None and request.user.has_perm("review.change_package", package) and window.is_open
    # The list of those still at the desk shows what only the one writer changes, with each one's lock_version:
    # its rendering is kept under those (and the language), as the queue's rows are.
    undecided_version = hashlib.sha256(repr(
        [get_language(), *[(a.pk, a.lock_version) for a in undecided]]).encode()).hexdigest()
    return {
        "package": package, "window": window, "recommendations": recommendations, "counted": counted,
        "exempt": exempt, "over": over, "undecided": undecided, "undecided_version": undecided_version,
        "overrides": overrides, "passed_over": passed_over,
        "needs_justification": services.justification_needed(recommendations, passed_over),
        "editable": editable,
        "problems": services.package_problems(package, recommendations, len(undecided), passed_over)
        if editable else [],
        "justification_form": forms.get("justification_form") or JustificationForm(
            initial={"justification": package.priority_justification}),
        "letter_form": forms.get("letter_form") or LetterForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        "can_reopen": request.user.has_perm("review.reopen_package", package)
        and window.status != deadlines.LIST_PUBLISHED,
    }


@permission_required_404("review.view_package")
def package_detail(request, pk):
    package = _package(request, pk)
    return render(request, "review/package.html", package_context(request, package))


def _package_post(request, pk, work, done, anchor="", **form):
    package = _package(request, pk)
    try:
        work(package)
    except PortalError as exc:
        messages.error(request, exc.message)
        return render(request, "review/package.html", package_context(request, package, **form), status=409)
    if done:
        messages.success(request, done)
    return redirect(package.get_absolute_url() + anchor)


@permission_required_404("review.view_package", methods=["POST"])
def package_rank(request, pk):
    form = RankForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The ranking could not be read; reload the page and try again."))
        return redirect("package_detail", pk=pk)
    return _package_post(request, pk, lambda p: services.package_rank(
        actor=request.user, package_id=p.pk, order=form.cleaned_data["order"]), _("The ranking was saved."))


@permission_required_404("review.view_package", methods=["POST"])
def package_move(request, pk, recommendation_id, direction):
    steps = {"up": -1, "down": 1}.get(direction)
    if steps is None:
        raise Http404
    # Back to the button just used (portal.js focuses it), so that a keyboard user can press Enter again.
    return _package_post(request, pk, lambda p: services.package_move(
        actor=request.user, package_id=p.pk, recommendation_id=recommendation_id, steps=steps), "",
        anchor=f"#move-{recommendation_id}-{direction}")


@permission_required_404("review.view_package", methods=["POST"])
def recommendation_update(request, pk, recommendation_id):
    package = _package(request, pk)
    recommendation = get_object_or_404(package.recommendations, pk=recommendation_id)
    form = RecommendForm(request.POST, prefix=f"r{recommendation.pk}")
    if not form.is_valid():
        # The page again, with this row's form as typed and its errors: nothing typed is lost.
        messages.error(request, _("The opinion is required and a score lies between 0 and 100."))
        return render(request, "review/package.html",
                      package_context(request, package, bound_recommendation=(recommendation.pk, form)), status=400)
    return _package_post(request, pk, lambda p: services.recommendation_update(
        actor=request.user, application_id=recommendation.application_id, opinion=form.cleaned_data["opinion"],
        score=form.cleaned_data["score"]), _("The opinion was saved."))


@permission_required_404("review.view_package", methods=["POST"])
def package_justify(request, pk):
    form = JustificationForm(request.POST)
    if not form.is_valid():
        package = _package(request, pk)
        return render(request, "review/package.html", package_context(request, package, justification_form=form),
                      status=400)
    return _package_post(request, pk, lambda p: services.package_update(
        actor=request.user, package_id=p.pk, justification=form.cleaned_data.get("justification", "")),
        _("The justification was saved."), justification_form=form)


@permission_required_404("review.view_package", methods=["POST"])
def package_letter(request, pk):
    form = LetterForm(request.POST, request.FILES)
    if not form.is_valid():
        package = _package(request, pk)
        return render(request, "review/package.html", package_context(request, package, letter_form=form),
                      status=400)
    return _package_post(request, pk, lambda p: services.package_attach_letter(
        actor=request.user, package_id=p.pk, upload=form.cleaned_data["letter"]),
        _("The recommendation letter was uploaded."), letter_form=form)


@permission_required_404("review.view_package")
def package_letter_download(request, pk):
    package = _package(request, pk)
    if not package.letter:
        raise Http404
    audit_record(actor=request.user, action="package_letter_download", obj=package)
    return private_download(package.letter, package.letter_name or "letter.pdf", "application/pdf")


@permission_required_404("review.view_package", methods=["POST"])
def package_submit(request, pk):
    """The hand-in's preview (review.previews.hand_in_plan), then, with its digest confirmed, the hand-in."""
    package = _package(request, pk)
    def preview(status):
        plan = previews.hand_in_plan(package, request.user)
        return render_preview(request, plan, title=_("Preview: handing in the recommendation package"),
                              action=reverse("package_submit", args=[package.pk]), status=status, package=package,
                              hidden={}, back=package.get_absolute_url())
    return confirm_or_preview(request, preview, lambda confirmed: services.package_submit(
        actor=request.user, package_id=package.pk, confirmed=confirmed),
        _("The package was handed in to CNIPA. It is now locked."), package.get_absolute_url())


@permission_required_404("review.view_package", methods=["POST"])
def package_reopen(request, pk):
    form = ReopenForm(request.POST)
    if not form.is_valid():
        package = _package(request, pk)
        return render(request, "review/package.html", package_context(request, package, reopen_form=form),
                      status=400)
    return _package_post(request, pk, lambda p: services.package_reopen(
        actor=request.user, package_id=p.pk, reason=form.cleaned_data["reason"], until=form.cleaned_data["until"]),
        _("The package was reopened."), reopen_form=form)


@permission_required_404("review.view_package")
def package_export(request, pk):
    package = _package(request, pk)
    audit_record(actor=request.user, action="package_export", obj=package)
    return exports.package_summary_response(package, request.user)
