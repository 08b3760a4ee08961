"""Who may do what with payout reports (django-rules; the predicates are orgs'): finance runs
the lifecycle, auditors and admins read, a person reads only their own statement lines."""

import rules

from orgs.rules import has_any_role, is_auditor, is_finance, is_platform_admin

rules.add_perm("payouts.view_reports", is_finance | is_auditor | is_platform_admin)
rules.add_perm("payouts.compute", is_finance | is_platform_admin)
rules.add_perm("payouts.submit", is_finance)
rules.add_perm("payouts.approve", is_finance)
rules.add_perm("payouts.lock", is_finance)
rules.add_perm("payouts.export", is_finance | is_auditor)
# every staff member may open their own statement (it shows only their own lines)
rules.add_perm("payouts.view_statement", has_any_role)
