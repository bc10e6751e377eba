from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BasesConfig(AppConfig):
    name = "bases"
    verbose_name = _("Bases after designation")

    def ready(self):
        from navportal.audit_labels import register

        from .models import BaseStatus, FilingState, Grade, IndicatorKind, RectificationReason, ReportState
        from .workflow import TRANSITIONS

        actions = {
            "base_designate": _("Base designated"),
            "base_rectify": _("Rectification opened"),
            "base_rectification_answer": _("Rectification answered by the base"),
            "base_restore": _("Rectification closed: base active again"),
            "base_revoke": _("Title revoked by document"),
            "base_plan_file": _("Construction plan filed"),
            "base_plan_check": _("Construction plan checked by the bureau"),
            "base_project_file": _("Navigation project filed"),
            "base_project_check": _("Navigation project checked by the bureau"),
            "base_project_exemplary": _("Exemplary case marked or unmarked"),
            "base_service_file": _("Public-welfare service or training filed"),
            "base_service_check": _("Public-welfare service or training checked by the bureau"),
            "base_file_download": _("A base's filed document downloaded"),
        }
        actions.update({
            "base_report_submit": _("Annual report submitted"),
            "base_report_review": _("Annual report reviewed by the bureau"),
            "base_report_receive": _("Annual report received by CNIPA"),
            "reporting_period_open": _("Reporting period opened"),
            "base_assessment_score": _("Base scored on an indicator"),
            "base_assessment_result": _("Assessment result of a base"),
            "assessment_scheme": _("Assessment thresholds set"),
            "assessment_indicator": _("Assessment indicator added or removed"),
            "assessment_publish": _("Assessment published"),
        })
        missing = {t.audit for t in TRANSITIONS.values() if t.audit} - set(actions)
        assert not missing, f"audit actions without a label: {sorted(missing)}"
        register(actions=actions, states={"bases.base": {**dict(BaseStatus.choices), **dict(FilingState.choices),
                                                         **dict(ReportState.choices), **dict(Grade.choices),
                                                         "open": _("open"), "answered": _("answered"),
                                                         "exemplary": _("exemplary case")}},
                 terms=dict(RectificationReason.choices))
        register(states={"bases.assessmentscheme": {**dict(IndicatorKind.choices), "removed": _("removed")}})
