from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BasesConfig(AppConfig):
    name = "bases"
    verbose_name = _("Bases after designation")

    def ready(self):
        from navportal.audit_labels import register

        from .models import BaseStatus, RectificationReason
        from .workflow import TRANSITIONS

        actions = {
            "base_designate": _("Base designated"),
            "base_rectify": _("Rectification opened"),
            "base_rectification_answer": _("Rectification answered by the base"),
            "base_restore": _("Rectification closed: base active again"),
            "base_revoke": _("Title revoked by document"),
        }
        missing = {t.audit for t in TRANSITIONS.values()} - set(actions)
        assert not missing, f"audit actions without a label: {sorted(missing)}"
        register(actions=actions, states={"bases.base": {**dict(BaseStatus.choices), "open": _("open"),
                                                         "answered": _("answered")}},
                 terms=dict(RectificationReason.choices))
