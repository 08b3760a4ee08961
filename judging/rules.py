"""Who may see the judgments: the company's own people see every partner's scorecard and the
comparison; a partner user sees its own partner's scorecard only (orgs.rules decides who
represents which partner)."""

import rules

from orgs.rules import has_any_role, is_partner_user, represents_partner

rules.add_perm("judging.compare", has_any_role)
rules.add_perm("judging.view_scorecard", has_any_role | (is_partner_user & represents_partner))
