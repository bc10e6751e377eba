from django.urls import path

from . import platform, views

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("help/contact/", views.contact_edit, name="contact_edit"),
    # Sign-in through the government identity platform: 404 unless it is configured (portal/platform.py).
    path("accounts/platform/login/", platform.platform_login, name="platform_login"),
    path("accounts/platform/callback/", platform.platform_callback, name="platform_callback"),
]
