from django.urls import path

from . import registry_views

urlpatterns = [
    path("", registry_views.registry_list, name="registry_list"),
    path("template.xlsx", registry_views.registry_template, name="registry_template"),
    path("import/", registry_views.registry_import, name="registry_import"),
]
