from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("Review")

    def ready(self):
        from navportal import seals

        from .models import Notice, notice_seal_content

        seals.register(Notice, content=notice_seal_content, rows=lambda notices: notices.prefetch_related("entries"))
