from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NavportalConfig(AppConfig):
    name = "navportal"
    verbose_name = _("Portal core")

    def ready(self):
        from . import signals  # noqa: F401 - connects the sign-in audit receivers
        from .converters import register_id_converter

        register_id_converter()  # <id:…> in every URLconf: registered before any URLconf is read

        from .crypto import self_test

        self_test()  # SM3 and SM4 answer the standards' test vectors, or the portal does not start (SPEC §11)

        from .keys import keyring

        keyring()  # and the keys are there and well-formed (navportal.keys), or it does not start either

        from django.core import checks

        from .dbfeatures import check_database

        # A server database that lacks what the portal needs is refused before `migrate` touches it (the WSGI
        # start, which runs no checks, refuses it in navportal.wsgi).
        checks.register(check_database, checks.Tags.database)
