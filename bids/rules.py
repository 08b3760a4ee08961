"""Who may put orders out, bid, award and rate.

Putting out, awarding, rating and cancelling: a platform admin, or the leader of the EMC's lead
ME (for that EMC; without an object: a leader who leads an active EMC's lead ME). Bidding for an
ME: its leader (or an admin); for a partner: a partner user of it (or an admin on its behalf).
The company's people and partner users read the orders and bids.
"""

import rules

from orgs.rules import (
    has_any_role,
    is_me_leader,
    is_partner_user,
    is_platform_admin,
    leads_me,
    represents_partner,
)


@rules.predicate
def leads_emc(user, target=None) -> bool:
    """The user leads the lead ME of this EMC (or of this order's EMC); without an object, of any
    active EMC."""
    if not user.is_authenticated:
        return False
    from orgs.models import EMC

    if target is None:  # asked by the menu and the page of one request: once, cached on the user
        if not hasattr(user, "_leads_an_emc"):
            user._leads_an_emc = EMC.objects.filter(lead_me__leader=user, status=EMC.Status.ACTIVE).exists()
        return user._leads_an_emc
    emc = getattr(target, "emc", target)
    return emc.lead_me.leader_id == user.pk


@rules.predicate
def may_bid_for(user, bidder=None) -> bool:
    """For an ME: the user leads it; for a partner: the user represents it; without an object:
    the user is an ME leader or a partner user."""
    from orgs.models import Microenterprise

    if bidder is None:
        return is_me_leader(user) or is_partner_user(user)
    if isinstance(bidder, Microenterprise):
        return is_me_leader(user) and leads_me(user, bidder)
    return is_partner_user(user) and represents_partner(user, bidder)


rules.add_perm("bids.view", has_any_role | is_partner_user)
rules.add_perm("bids.manage", is_platform_admin | (is_me_leader & leads_emc))
rules.add_perm("bids.bid", is_platform_admin | may_bid_for)
