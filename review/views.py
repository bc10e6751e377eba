"""Reviewers' pages: the queue of their own scope and a read-only view of an application."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from applications.enums import State
from applications.selectors import ApplicationContent, applications_for_user
from navportal.models import OFFICIAL_ROLES, Role

from .forms import QueueFilterForm

# The desk each role works at: the queue opens filtered to it.
DESK = {
    Role.CITY: State.CITY_REVIEW,
    Role.PROVINCE: State.PROVINCE_REVIEW,
    Role.MINISTRY: State.MINISTRY_REVIEW,
    Role.NATIONAL: State.NATIONAL_REVIEW,
}


def _official(request):
    if request.user.role not in OFFICIAL_ROLES:
        raise Http404
    return request.user


@login_required
def queue(request):
    user = _official(request)
    scope = applications_for_user(user)
    states = [s for s in State if s != State.DRAFT]
    params = request.GET.copy()
    if "state" not in params:
        params["state"] = DESK[user.role]
    filters = QueueFilterForm(params, states=states)
    rows = filters.apply(scope).select_related("call", "province", "city", "organisation").order_by(
        "submitted_at", "pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(request, "review/queue.html", {
        "filters": filters, "page": page, "query": query.urlencode(), "desk": DESK[user.role]})


@login_required
def application_detail(request, pk):
    user = _official(request)
    application = get_object_or_404(applications_for_user(user).select_related(
        "call", "organisation", "province", "city", "ministry"), pk=pk)
    return render(request, "review/application.html", {
        "application": application, "content": ApplicationContent(application),
        "versions": application.versions.all()})
