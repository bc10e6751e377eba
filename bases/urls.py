from django.urls import path

from . import report_views, views

urlpatterns = [
    path("review/bases/", views.base_list, name="base_list"),
    path("review/bases/<id:pk>/", views.base_detail, name="base_detail"),
    path("review/bases/<id:pk>/rectify/", views.base_rectify, name="base_rectify"),
    path("review/bases/<id:pk>/rectification/close/", views.base_rectification_close, name="base_rectification_close"),
    path("review/bases/<id:pk>/revoke/", views.base_revoke, name="base_revoke"),
    path("review/bases/<id:pk>/plan/check/", views.plan_check, name="base_plan_check"),
    path("review/bases/<id:pk>/projects/<id:project_pk>/", views.project_detail, name="base_project"),
    path("review/bases/<id:pk>/projects/<id:project_pk>/check/", views.project_check, name="base_project_check"),
    path("review/bases/<id:pk>/projects/<id:project_pk>/exemplary/", views.project_exemplary,
         name="base_project_exemplary"),
    path("review/bases/<id:pk>/services/<id:service_pk>/check/", views.service_check, name="base_service_check"),
    path("bases/<id:pk>/plan.pdf", views.plan_download, name="base_plan_file"),
    path("bases/<id:pk>/projects/<id:project_pk>/evidence.pdf", views.evidence_download, name="base_project_evidence"),
    path("bases/cases/", views.exemplary_cases, name="exemplary_cases"),
    path("review/reports/", report_views.period_list, name="reporting_periods"),
    path("review/reports/<id:pk>/", report_views.period_detail, name="reporting_period"),
    path("review/reports/<id:period_pk>/<id:pk>/", report_views.report_detail, name="report_detail"),
    path("review/reports/<id:period_pk>/<id:pk>/review/", report_views.report_review, name="report_review"),
    path("review/reports/<id:period_pk>/<id:pk>/receive/", report_views.report_receive, name="report_receive"),
    path("bases/<id:pk>/reports/<id:report_pk>/attachment.pdf", report_views.report_attachment,
         name="report_attachment"),
    path("base/<id:pk>/reports/<id:period_pk>/", report_views.base_report, name="base_report"),
    path("base/", views.own_base, name="own_base"),
    path("base/<id:pk>/plan/", views.plan_edit, name="base_plan_edit"),
    path("base/<id:pk>/projects/new/", views.project_edit, name="base_project_new"),
    path("base/<id:pk>/projects/<id:project_pk>/", views.project_edit, name="base_project_edit"),
    path("base/<id:pk>/services/new/", views.service_new, name="base_service_new"),
    path("base/<id:pk>/rectification/answer/", views.rectification_answer, name="rectification_answer"),
]
