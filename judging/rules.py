"""Who may see the judgments: the company's own people see every partner's scorecard and the
comparison; a partner user sees its own partner's scorecard only (orgs.rules decides who
represents which partner)."""

import rules

from orgs.rules import has_any_role, is_auditor, is_partner_user, is_platform_admin, represents_partner

rules.add_perm("judging.compare", has_any_role)
rules.add_perm("judging.view_scorecard", has_any_role | (is_partner_user & represents_partner))


@rules.predicate
def represents_proposal_partner(user, proposal) -> bool:
    return proposal is not None and represents_partner(user, proposal.partner)


rules.add_perm("judging.decide", is_platform_admin)
rules.add_perm("judging.manage_rules", is_platform_admin)
rules.add_perm("judging.view_proposals", is_platform_admin | is_auditor)
rules.add_perm(
    "judging.view_proposal", is_platform_admin | is_auditor | (is_partner_user & represents_proposal_partner)
)
rules.add_perm("judging.appeal", is_partner_user & represents_proposal_partner)
