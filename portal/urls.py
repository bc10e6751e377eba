from django.urls import path

from . import platform, views

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("help/contact/", views.contact_edit, name="contact_edit"),
    path("privacy/", views.privacy_rules, name="privacy_rules"),
    path("organisation/personal-data/", views.personal_data, name="personal_data"),
    path("organisation/personal-data/export.json", views.personal_data_export, name="personal_data_export"),
    path("notice/objection/personal-data/", views.objector_data_request, name="objector_data_request"),
    path("review/data-requests/", views.data_request_list, name="data_requests"),
    path("review/data-requests/<id:pk>/answer/", views.data_request_answer, name="data_request_answer"),
    # Sign-in through the government identity platform: 404 unless it is configured (portal/platform.py).
    path("accounts/platform/login/", platform.platform_login, name="platform_login"),
    path("accounts/platform/callback/", platform.platform_callback, name="platform_callback"),
]
