"""The confirmation step of an irreversible act: the preview (review.previews) first, then the act on the
digest the user confirmed. Shared by the package's hand-in and CNIPA's notice, final list and objections."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from navportal.errors import PortalError


class ConfirmedForm(forms.Form):
    # The digest of the preview the user confirmed (review.previews.Plan.digest); empty: show the preview first.
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)


def render_preview(request, plan, *, title, action, hidden, back, status=200, **context):
    """The preview page: the plan's list, facts, messages and refusals, and the confirmation form carrying
    `hidden` (what the user typed before) and the plan's digest."""
    return render(request, "review/preview.html", {
        "plan": plan, "title": title, "action": action, "hidden": hidden, "back": back, **context}, status=status)


def confirm_or_preview(request, form, preview, act, done, done_url):
    """Without a confirmed digest: the preview. With one: the act; a refusal or a plan that changed meanwhile
    shows the preview again, as things now stand, with the reason above it (409)."""
    confirmed = form.cleaned_data.get("confirmed") or None
    if confirmed is None:
        return preview(200)
    try:
        act(confirmed)
    except PortalError as exc:
        messages.error(request, exc.message)
        return preview(409)
    messages.success(request, done)
    return redirect(done_url)
