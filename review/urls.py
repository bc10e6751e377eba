from django.urls import path

from . import national_views, views

urlpatterns = [
    path("", views.queue, name="review_queue"),
    path("applications/<int:pk>/", views.application_detail, name="review_application"),
    path("applications/<int:pk>/decide/<slug:action>/", views.application_decide, name="review_decide"),
    path("applications/<int:pk>/claims/<slug:claim>/", views.claim_check, name="review_claim"),
    path("package/", views.package_current, name="package_current"),
    path("packages/", views.package_list, name="package_list"),
    path("packages/<int:pk>/", views.package_detail, name="package_detail"),
    path("packages/<int:pk>/rank/", views.package_rank, name="package_rank"),
    path("packages/<int:pk>/move/<int:recommendation_id>/<slug:direction>/", views.package_move,
         name="package_move"),
    path("packages/<int:pk>/recommendations/<int:recommendation_id>/", views.recommendation_update,
         name="recommendation_update"),
    path("packages/<int:pk>/justification/", views.package_justify, name="package_justify"),
    path("packages/<int:pk>/letter/", views.package_letter, name="package_letter"),
    path("packages/<int:pk>/letter/download/", views.package_letter_download, name="package_letter_download"),
    path("packages/<int:pk>/submit/", views.package_submit, name="package_submit"),
    path("packages/<int:pk>/reopen/", views.package_reopen, name="package_reopen"),
    path("packages/<int:pk>/summary.xlsx", views.package_export, name="package_export"),
    path("dashboard/", national_views.dashboard, name="dashboard"),
    path("dashboard/summary.xlsx", national_views.national_summary, name="national_summary"),
    path("calls/<int:call_id>/notice/", national_views.notice_manage, name="notice_manage"),
    path("calls/<int:call_id>/notice/publish/", national_views.notice_publish, name="notice_publish"),
    path("calls/<int:call_id>/notice/dates/", national_views.notice_dates, name="notice_dates"),
    path("calls/<int:call_id>/notice/final/", national_views.notice_final, name="notice_final"),
    path("calls/<int:call_id>/notice/<slug:which>.xlsx", national_views.notice_export, name="notice_export"),
    path("objections/<int:pk>/", national_views.objection_detail, name="objection_detail"),
    path("objections/<int:pk>/decide/", national_views.objection_decide, name="objection_decide"),
    path("objections/<int:pk>/<slug:which>/", national_views.objection_file, name="objection_file"),
]
