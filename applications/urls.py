from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/confirm/<slug:token>/", views.register_confirm, name="register_confirm"),
    path("register/transfer/<slug:token>/", views.register_transfer, name="register_transfer"),
    path("organisation/", views.organisation_own, name="organisation_own"),
    path("organisations/documents/<id:pk>/", views.organisation_document, name="organisation_document"),
    path("applications/", views.application_list, name="application_list"),
    path("applications/start/<id:call_id>/", views.application_start, name="application_start"),
    path("applications/<id:pk>/", views.application_tasks, name="application_tasks"),
    path("applications/<id:pk>/pledge/", views.application_pledge, name="application_pledge"),
    path("applications/<id:pk>/sections/<slug:section_key>/", views.application_section,
         name="application_section"),
    path("applications/<id:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<id:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<id:pk>/reopen/", views.application_reopen, name="application_reopen"),
    path("applications/<id:pk>/print/", views.application_print, name="application_print"),
    path("applications/<id:pk>/print.pdf", views.application_print_pdf, name="application_print_pdf"),
    path("applications/<id:pk>/versions/<id:number>.pdf", views.application_version_pdf,
         name="application_version_pdf"),
    path("applications/<id:pk>/attachments/<slug:kind>/", views.attachment_download,
         name="attachment_download"),
]
