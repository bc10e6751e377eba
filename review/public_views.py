"""The public's pages (no login): the public notice, its objection form, the final list (SPEC §6).

What the public may see is the notice's frozen entries — name, province, industry — and nothing else:
never an applicant's data, never an objection. Whether an objection is accepted is decided by
national.objection_submit; these views only validate the form and show its answer.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.db.models import Min
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from navportal import seals
from navportal.compiled import CompiledQuery
from navportal.errors import PortalError
from navportal.pages import shared_page
from navportal.privacy import masked_email
from navportal.privacy_rules import RULES_VERSION
from navportal.security import client_ip
from navportal.throttle import throttle, throttled_response

from . import deadlines, national
from .models import Notice, NoticeEntry
from .public_forms import BasesFilterForm, ObjectionForm
from .selectors import with_final_numbers

# A refusal because of the moment or the list (not the input) conflicts with the state: 409; the rest is 400.
CONFLICT_CODES = {"period", "not_found", "state"}


def _period(notice):
    """Where the objection period stands now: "open", "upcoming", "ended" or "final" (review.deadlines)."""
    return deadlines.notice_phase(notice, timezone.now())


# The notice of a call with its call, read on every request of the most requested page: compiled once
# (navportal.compiled, prepared on PostgreSQL).
NOTICE = CompiledQuery(lambda call_id: Notice.objects.select_related("call").filter(call_id=call_id),
                       "review_public_notice")


def _published_notice(call_id):
    notice = NOTICE.get(call_id)
    if notice is None:
        raise Http404
    return notice


@require_safe
def notice_current(request):
    notice = Notice.objects.order_by("-published_at", "-pk").only("call_id").first()
    if notice is None:
        return render(request, "public/notice_none.html")
    return redirect("notice_detail", call_id=notice.call_id)


# The public pages are the most requested ones and the same for everyone, so their content is cached
# ({% cache %} in the templates), keyed on the version counters the writers move: the notice's (review.national:
# dates corrected, an entry removed, the list confirmed) and the call's (review.calls: its title), plus the
# period's phase, which only the clock moves. The key is read from the database on every request (one query), so a
# change shows at once on every server, whichever cache backend is configured; nothing is deleted from the cache.
#
# The list's seal (navportal.seals) is verified whenever the notice's content epoch moves, and its verdict shown
# outside the cached fragment: a change by SQL — an attacker's — moves no version counter, but the database moves
# the epoch with any change of the notice or its entries, whoever makes it (Notice.cached_verdict). The cached
# fragment may then still show the list as it was when rendered; the alarm above it says that what the database
# now holds is not what was published.

@require_safe
def notice_detail(request, call_id):
    notice = _published_notice(call_id)
    period = _period(notice)
    entries = notice.entries.filter(removed_at__isnull=True).order_by("number")  # read only when not cached
    if notice.is_final:
        entries = with_final_numbers(entries)  # numbered as on the final list
    # Every change of what the fragment shows moves one of these: the notice's version (dates, entries removed,
    # the list confirmed), the call's (its title), and the clock (the period's phase).
    version = [notice.pk, notice.version, notice.call.version, period, get_language()]
    verdict = notice.cached_verdict()
    return shared_page(request, [*version, verdict], lambda: render(request, "public/notice.html", {
        "notice": notice, "call": notice.call, "entries": entries, "period": period, "verdict": verdict,
        "fragment_version": "|".join(map(str, version))}))


@require_http_methods(["GET", "HEAD", "POST"])
def objection_create(request, call_id, entry_id):
    notice = _published_notice(call_id)
    # Only a base still on this call's list can be objected to; anything else does not exist here.
    entry = get_object_or_404(NoticeEntry, pk=entry_id, notice=notice, removed_at__isnull=True)
    status = 200
    if request.method == "POST":
        form = ObjectionForm(request.POST, request.FILES)
        refusal = throttle(request, "objection", email=request.POST.get("email", ""))
        if refusal:
            return throttled_response(request, "public/objection_form.html", {
                "notice": notice, "call": notice.call, "entry": entry, "form": form, "period": _period(notice),
                "files_dropped": bool(request.FILES)}, refusal)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                objection = national.objection_submit(
                    entry_id=entry.pk, kind=data["kind"], name=data["name"], phone=data["phone"],
                    email=data["email"], reasons=data["reasons"], signature=data["signature"],
                    letter=data["letter"], evidence=data["evidence"], ip=client_ip(request),
                    privacy_version=RULES_VERSION, site_url=request.build_absolute_uri("/"))
            except PortalError as exc:
                form.add_error(None, exc.message)
                status = 409 if exc.code in CONFLICT_CODES else 400
            else:
                # The next page tells this visitor (only: not in the address) where the confirmation link went.
                request.session["objection_sent_to"] = masked_email(objection.email)
                request.session.pop("objection_reference", None)
                return redirect("objection_done", call_id=notice.call_id)
    else:
        form = ObjectionForm()
    return render(request, "public/objection_form.html", {
        "notice": notice, "call": notice.call, "entry": entry, "form": form, "period": _period(notice),
        "files_dropped": form.is_bound and bool(request.FILES)}, status=status)


@require_safe
def objection_done(request, call_id):
    """After sending: where the confirmation link went. After confirming: the reference number."""
    notice = _published_notice(call_id)
    return render(request, "public/objection_done.html", {
        "notice": notice, "call": notice.call, "reference": request.session.get("objection_reference", ""),
        "sent_to": request.session.get("objection_sent_to", ""), "hours": national.OBJECTION_CONFIRM_HOURS})


@require_http_methods(["GET", "HEAD", "POST"])
def objection_confirm(request, token):
    """The link mailed to the objector. A GET only shows a button: mail scanners that open links confirm nothing;
    the POST confirms (national.objection_confirm), and a second POST changes nothing."""
    if request.method == "POST":
        try:
            objection = national.objection_confirm(token=token)
        except PortalError as exc:
            return render(request, "public/objection_confirm.html", {"error": exc.message},
                          status=404 if exc.code == "not_found" else 409)
        request.session["objection_reference"] = objection.reference
        request.session.pop("objection_sent_to", None)
        return redirect("objection_done", call_id=objection.entry.notice.call_id)
    return render(request, "public/objection_confirm.html", {})


# The confirmed notices with their calls, read on every request of the final list: compiled once (navportal.compiled).
CONFIRMED = CompiledQuery(lambda _value: Notice.objects.filter(confirmed_at__isnull=False).select_related(
    "call").defer("call__notice_text").order_by("pk"), "public_confirmed_notices")


@require_safe
def bases(request):
    """The final list: the entries of every confirmed notice still on its list, newest call first.

    Cached like the notice: the version is what the confirmed lists hold, and the filters and page asked for.
    The form, the count and the rows are worked out only when the template renders them (a cache miss)."""
    listed = NoticeEntry.objects.filter(notice__confirmed_at__isnull=False, removed_at__isnull=True)
    # The confirmed notices: each list's seal verdict under its content epoch (above; its entries are read only to
    # verify again), and their versions and their calls' (the titles shown) are the cache's key. One query.
    confirmed = CONFIRMED.list()
    version = [(notice.pk, notice.version, notice.call.version) for notice in confirmed]
    verdicts = [(notice.call.title, notice.cached_verdict()) for notice in confirmed]

    def filters():
        # The provinces present, in the official order of their codes.
        provinces = [row["province_name"] for row in listed.values("province_name").annotate(
            code=Min("application__province__code")).order_by("code", "province_name")]
        return BasesFilterForm(request.GET, provinces=provinces)

    filters = SimpleLazyObject(filters)

    def page():
        # With each base's standing since (bases.Base: active, under rectification, revoked by document); its
        # writer moves the notice's version, the key above.
        rows = with_final_numbers(filters.apply(listed)).select_related("notice", "notice__call", "base").only(
            "pk", "number", "name", "province_name", "industry", "notice__id", "notice__final_document_number",
            "notice__final_document_date", "notice__call__id", "notice__call__title",
            "notice__call__opens_at", "base__id", "base__status", "base__revoked_document",
            "base__revoked_on").order_by("-notice__call__opens_at", "notice_id", "number")
        return Paginator(rows, 50).get_page(request.GET.get("page"))

    query = request.GET.copy()
    query.pop("page", None)
    return shared_page(request, [*version, *verdicts], lambda: render(request, "public/bases.html", {
        "seal_alarms": [(title, verdict) for title, verdict in verdicts if not verdict.intact],
        "seal_verdict": seals.combined([verdict for _title, verdict in verdicts]),
        "filters": filters, "page": SimpleLazyObject(page), "query": query.urlencode(),
        "filtered": any(request.GET.get(name) for name in ("province", "industry", "q")),
        "fragment_version": "|".join(map(str, [*version, get_language(), request.GET.urlencode()]))}))
