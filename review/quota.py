"""The quota, exemption and priority rules of SPEC §5 as pure functions: no database, no side effects."""

from applications.enums import ClaimStatus


def is_exempt(application, call):
    """Exempt only on a verified claim of a category the call grants (示范 parks only: the 试点 pilot parks
    were never offered as a category)."""
    return (bool(application.exempt_category)
            and application.exemption_status == ClaimStatus.VERIFIED
            and application.exempt_category in call.exempt_categories)


def counts_against_quota(application, call):
    return not is_exempt(application, call)


def has_priority(application):
    """A verified local patent-navigation service base must be recommended ahead of the others."""
    return application.local_base and application.priority_status == ClaimStatus.VERIFIED


def priority_overrides(ranked):
    """Pairs (above, below) where a non-priority application is ranked above a priority one.

    `ranked` is the list of applications in rank order. Any pair makes a written justification necessary.
    """
    pairs = []
    for index, application in enumerate(ranked):
        if has_priority(application):
            pairs.extend((above, application) for above in ranked[:index] if not has_priority(above))
    return pairs


def quota_usage(recommendations, call, quota):
    """(counted, exempt, over): how many recommendations count, how many are exempt, and how many count
    without holding a slot (possible only after CNIPA rejects an exemption). `quota` None: no quota."""
    counted = exempt = over = 0
    for recommendation in recommendations:
        if counts_against_quota(recommendation.application, call):
            counted += 1
            over += quota is not None and recommendation.slot_id is None
        else:
            exempt += 1
    return counted, exempt, over
