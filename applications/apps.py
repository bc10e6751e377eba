from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Applications")

    def ready(self):
        from navportal import seals

        from .models import ApplicationVersion, version_seal_content

        seals.register(ApplicationVersion, content=version_seal_content)
