"""The quota, exemption and priority rules of SPEC §5 as pure functions: no database, no side effects."""

from applications.enums import ClaimStatus, State



def is_exempt(application, call):
    """Exempt only on a claim verified by the bureau and not rejected by CNIPA, of a category the call
    grants (示范 parks only: the 试点 pilot parks were never offered as a category)."""
    return (bool(application.exempt_category)
            and application.exemption_status == ClaimStatus.VERIFIED
            and application.national_exemption_status != ClaimStatus.REJECTED
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
    """(counted, exempt, over) of a package's recommendations. `over` is how far the counted ones exceed
    the quota — possible only after CNIPA rejects an exemption; `quota` None means no quota."""
    counted = exempt = 0
    for recommendation in recommendations:
        if recommendation.application.state in State.DROPPED:
            continue
        if counts_against_quota(recommendation.application, call):
            counted += 1
        else:
            exempt += 1
    return counted, exempt, over_quota(counted, quota)


def over_quota(counted, quota):
    """How far `counted` recommendations exceed `quota` (None: no quota)."""
    return max(0, counted - quota) if quota is not None else 0
