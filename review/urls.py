from django.urls import path

from . import views

urlpatterns = [
    path("", views.queue, name="review_queue"),
    path("applications/<int:pk>/", views.application_detail, name="review_application"),
]
