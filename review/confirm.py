"""The confirmation step of an irreversible act: the preview (review.previews) first, then the act on the
digest the user confirmed. Shared by the package's hand-in and CNIPA's notice, final list and objections."""

from django.contrib import messages
from django.shortcuts import redirect, render

from navportal.errors import PortalError


def render_preview(request, plan, *, title, action, hidden, back, status=200, **context):
    """The preview page: the plan's list, facts, messages and refusals, and the confirmation form carrying
    `hidden` (what the user typed before) and the plan's digest."""
    return render(request, "review/preview.html", {
        "plan": plan, "title": title, "action": action, "hidden": hidden, "back": back, **context}, status=status)


def confirm_or_preview(request, preview, act, done, done_url):
    """Without a confirmed digest (the hidden field "confirmed", the plan's digest — not a form field: whatever
    it holds, it either equals the plan's digest or is refused as "changed"): the preview. With one: the act; a
    refusal or a plan that changed meanwhile shows the preview again, as things now stand, with the reason above
    it (409)."""
    confirmed = request.POST.get("confirmed", "").strip() or None
    if confirmed is None:
        return preview(200)
    try:
        act(confirmed)
    except PortalError as exc:
        messages.error(request, exc.message)
        return preview(409)
    messages.success(request, done)
    return redirect(done_url)
