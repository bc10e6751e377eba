"""The deadline refusals of the transitions: the applicant's window and the bureau's open package.

The moments themselves are decided in one place, the pure module review.deadlines; this module turns its
answer into the message a user reads.
"""

from django.utils.translation import gettext as _

from navportal.errors import PortalError
from navportal.notify import local_moment


def applicant_deadline(application):
    """The moment from which the applicant can no longer submit (the province's own deadline where it applies)."""
    from review import deadlines
    from review.selectors import province_deadline_for

    return deadlines.applicant_deadline(application.call, province_deadline_for(application))


def applicant_window_message(window):
    if window.not_yet_open:
        return _("This call is not open yet.")
    return (_("The deadline (%(deadline)s) has passed; nothing more can be submitted to this call.")
            % {"deadline": local_moment(window.closes_at)})


# check_applicant_window's default: the province's deadline is read there.
UNREAD = object()


def check_applicant_window(application, now, *, province_deadline=UNREAD):
    """Refuse unless the applicant may start, submit or take up the application again at `now`.

    province_deadline: the province's own deadline (review.selectors.province_deadline_for) when the caller has
    read it already in the transaction under way — a submission checks its window before its content and again
    in the one writer, and needs the row once; read here when not given."""
    from review import deadlines
    from review.selectors import province_deadline_for

    if province_deadline is UNREAD:
        province_deadline = province_deadline_for(application)
    window = deadlines.applicant_window(application.call, province_deadline, now)
    if not window.is_open:
        raise PortalError(applicant_window_message(window), code="deadline")


def check_package_open(package, now):
    """Refuse unless the bureau may still change its package: not handed in, before its deadline (the
    call's, or CNIPA's extension after a reopening), and the call's proposed list not yet published (it is
    drawn from the packages: a recommendation made after it could never reach the list)."""
    from review import deadlines
    from review.models import Notice

    window = deadlines.package_window(package, now,
                                      list_published=Notice.objects.filter(call_id=package.call_id).exists())
    if window.status == deadlines.LIST_PUBLISHED:
        raise PortalError(_("The proposed list of this call has been published: its packages are closed."),
                          code="locked")
    if window.status == deadlines.HANDED_IN:
        raise PortalError(_("The package has been handed in and is locked; only CNIPA can reopen it."),
                          code="locked")
    if window.passed:
        raise PortalError(
            _("The deadline (%(deadline)s) has passed; the package is locked. Only CNIPA can reopen it.")
            % {"deadline": local_moment(window.closes_at)}, code="deadline")
