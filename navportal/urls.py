from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import admin_views, audit_views, health, mail_views, second_factor, views
from .access import permission_required_404
from .forms import SignInForm

# Django's own password-change views, behind the same gate as every other signed-in page.
password_change = permission_required_404("navportal.change_password")

urlpatterns = [
    path("", include("portal.urls")),  # the home page
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm,
                                                         redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/second-factor/setup/", second_factor.otp_setup, name="otp_setup"),
    path("accounts/second-factor/", second_factor.otp_verify, name="otp_verify"),
    path("accounts/password/", password_change(views.PasswordChangeView.as_view()), name="password_change"),
    path("accounts/password/done/", password_change(auth_views.PasswordChangeDoneView.as_view()),
         name="password_change_done"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(
        extra_email_context={"site_url": settings.SITE_URL}), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("messages/", views.message_list, name="messages"),
    path("messages/read/", views.messages_mark_read, name="messages_mark_read"),
    path("admin/accounts/", admin_views.account_list, name="account_list"),
    path("admin/accounts/new/", admin_views.account_create, name="account_create"),
    path("admin/accounts/<id:pk>/", admin_views.account_edit, name="account_edit"),
    path("admin/accounts/<id:pk>/active/", admin_views.account_active, name="account_active"),
    path("admin/mail/", mail_views.mail_list, name="mail_list"),
    path("admin/mail/<id:pk>/resend/", mail_views.mail_resend, name="mail_resend"),
    path("admin/accounts/requests/", admin_views.account_requests, name="account_requests"),
    path("admin/accounts/requests/<id:pk>/withdraw/", admin_views.account_request_withdraw,
         name="account_request_withdraw"),
    path("admin/security/requests/", admin_views.account_approvals, name="account_approvals"),
    path("admin/security/requests/<id:pk>/approve/", admin_views.account_request_approve,
         name="account_request_approve"),
    path("admin/security/requests/<id:pk>/refuse/", admin_views.account_request_refuse,
         name="account_request_refuse"),
    path("admin/security/", admin_views.security_home, name="security_home"),
    path("admin/security/lockouts/<id:pk>/reset/", admin_views.lockout_reset, name="lockout_reset"),
    path("admin/security/users/<id:pk>/second-factor/reset/", admin_views.second_factor_reset,
         name="second_factor_reset"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export.xlsx", audit_views.audit_export, name="audit_export"),
    # Public: the load balancer's and monitoring's health checks (navportal/health.py).
    path("health/", health.HealthView.as_view(checks=health.SERVER_CHECKS), name="health"),
    path("health/outbox/", health.HealthView.as_view(checks=health.OUTBOX_CHECKS), name="health_outbox"),
    path("i18n/setlang/", views.set_language, name="set_language"),  # Django's, remembering the choice
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("review.public_urls")),
    path("", include("applications.urls")),
    path("", include("bases.urls")),  # before review.urls: review/bases/ is the bases app's
    path("review/registry/", include("review.registry_urls")),
    path("review/", include("review.urls")),
]
