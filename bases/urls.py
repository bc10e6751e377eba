from django.urls import path

from . import views

urlpatterns = [
    path("review/bases/", views.base_list, name="base_list"),
    path("review/bases/<id:pk>/", views.base_detail, name="base_detail"),
    path("review/bases/<id:pk>/rectify/", views.base_rectify, name="base_rectify"),
    path("review/bases/<id:pk>/rectification/close/", views.base_rectification_close, name="base_rectification_close"),
    path("review/bases/<id:pk>/revoke/", views.base_revoke, name="base_revoke"),
    path("base/", views.own_base, name="own_base"),
    path("base/<id:pk>/rectification/answer/", views.rectification_answer, name="rectification_answer"),
]
