"""Who may do what: the one place permissions are decided.

django-rules registers these with Django's permission system, so `user.has_perm(name, obj)`
answers the same in views, the API (`config.permissions.HasRulePermission`) and the admin.
"""

import rules

from orgs.roles import Role


def _role(code: str):
    @rules.predicate(name=f"has_role_{code}")
    def check(user) -> bool:
        from orgs.roles import user_roles

        return code in user_roles(user)

    return check


is_platform_admin = _role(Role.PLATFORM_ADMIN)
is_me_leader = _role(Role.ME_LEADER)
is_me_member = _role(Role.ME_MEMBER)
is_finance = _role(Role.FINANCE)
is_auditor = _role(Role.AUDITOR)
has_any_role = is_platform_admin | is_me_leader | is_me_member | is_finance | is_auditor
is_partner_user = _role(Role.PARTNER)


@rules.predicate
def represents_partner(user, partner) -> bool:
    """The user is a partner user of this partner (object-level; False without an object)."""
    if partner is None or not user.is_authenticated:
        return False
    from orgs.selectors import partner_of_user

    own = partner_of_user(user=user)
    return own is not None and own.pk == partner.pk


@rules.predicate
def leads_me(user, me) -> bool:
    """The user leads this ME (object-level; False without an object)."""
    return me is not None and user.is_authenticated and me.leader_id == user.pk


@rules.predicate
def belongs_to_me(user, me) -> bool:
    if me is None or not user.is_authenticated:
        return False
    return me.leader_id == user.pk or me.memberships.filter(user=user, left_on__isnull=True).exists()


# organization
rules.add_perm("orgs.view", has_any_role)
rules.add_perm("orgs.manage", is_platform_admin)
rules.add_perm("orgs.manage_me_members", is_platform_admin | (is_me_leader & leads_me))
rules.add_perm("orgs.manage_partners", is_platform_admin)
rules.add_perm("orgs.manage_tokens", is_platform_admin)  # list and revoke any user's API token
rules.add_perm("orgs.view_audit", is_platform_admin | is_auditor | is_finance)
# a partner user sees its own partner (and, through the apps, only its own figures)
rules.add_perm("orgs.view_partner", has_any_role | (is_partner_user & represents_partner))

# ledger
rules.add_perm("ledger.view", has_any_role)
rules.add_perm("ledger.view_me_ledger", is_platform_admin | is_finance | is_auditor | belongs_to_me)
rules.add_perm("ledger.log_value", is_platform_admin | (is_me_leader & leads_me))
rules.add_perm("ledger.log_value_any", is_platform_admin | is_me_leader)
rules.add_perm("ledger.manage_contracts", is_platform_admin)
rules.add_perm("ledger.approve_contract", is_platform_admin)
rules.add_perm("ledger.reverse", is_platform_admin | is_finance)
rules.add_perm("ledger.view_all", is_platform_admin | is_finance | is_auditor)

# scoring / payouts
rules.add_perm("scoring.view", has_any_role)
rules.add_perm("scoring.run", is_platform_admin)
