"""The public pages, at the site root: no login."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("notice/", public_views.notice_current, name="notice_current"),
    path("notice/<id:call_id>/", public_views.notice_detail, name="notice_detail"),
    path("notice/<id:call_id>/object/<id:entry_id>/", public_views.objection_create, name="objection_create"),
    path("notice/<id:call_id>/object/done/", public_views.objection_done, name="objection_done"),
    # The link mailed to an objector (its token: secrets.token_urlsafe, 43 characters of [A-Za-z0-9_-]).
    path("notice/objection/confirm/<slug:token>/", public_views.objection_confirm, name="objection_confirm"),
    path("bases/", public_views.bases, name="bases"),
]
