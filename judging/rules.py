"""Who may see the judgments: the company's own people see every partner's scorecard and the
comparison; a partner user sees its own partner's scorecard only (orgs.rules decides who
represents which partner)."""

import rules

from orgs.rules import (
    belongs_to_me,
    has_any_role,
    is_auditor,
    is_finance,
    is_me_leader,
    is_partner_user,
    is_platform_admin,
    leads_me,
    represents_partner,
)

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


# the Win-Win Value-Added Statement: the company's own people (a partner user none); an ME's
# statement for finance, auditors and admins, or the ME's own leader and members; an EMC's for
# finance, auditors and admins. Costs and hours are logged as value is (orgs.rules).
@rules.predicate
def sees_me_statement(user, me) -> bool:
    if me is None:
        return False
    return is_platform_admin(user) or is_finance(user) or is_auditor(user) or belongs_to_me(user, me)


rules.add_perm("judging.view_statements", has_any_role)
rules.add_perm("judging.view_me_statement", has_any_role & sees_me_statement)
rules.add_perm("judging.view_emc_statement", is_platform_admin | is_finance | is_auditor)
rules.add_perm("judging.log_costs", is_platform_admin | (is_me_leader & leads_me))
rules.add_perm("judging.log_costs_any", is_platform_admin | is_me_leader)
rules.add_perm("judging.correct_costs", is_platform_admin | is_finance)
