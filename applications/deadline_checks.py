"""The deadline refusals of the transitions: the applicant's window and the bureau's open package.

The moments themselves are decided in one place (review.deadlines); this module turns them into the
messages a user reads.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from navportal.errors import PortalError


def _moment(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def applicant_deadline(application):
    """The moment after which the applicant can no longer submit: the province's own deadline if it set
    one (not for the ministry route), otherwise the call's."""
    call = application.call
    if application.affiliation != "ministry":
        own = call.province_deadlines.filter(province_id=application.province_id).first()
        if own is not None:
            return min(own.deadline, call.deadline)
    return call.deadline


def check_applicant_window(application, now):
    if now < application.call.opens_at:
        raise PortalError(_("This call is not open yet."), code="deadline")
    deadline = applicant_deadline(application)
    if now >= deadline:
        raise PortalError(
            _("The deadline (%(deadline)s) has passed; nothing more can be submitted to this call.")
            % {"deadline": _moment(deadline)}, code="deadline")


def check_package_open(package, now):
    """Refuse unless the bureau may still change its package: not handed in, and before its deadline (the
    call's, or CNIPA's extension after a reopening)."""
    from review.models import PackageStatus

    if package.status != PackageStatus.OPEN:
        raise PortalError(_("The package has been handed in and is locked; only CNIPA can reopen it."),
                          code="locked")
    if now >= package.deadline():
        raise PortalError(
            _("The deadline (%(deadline)s) has passed; the package is locked. Only CNIPA can reopen it.")
            % {"deadline": _moment(package.deadline())}, code="deadline")
