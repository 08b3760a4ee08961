"""The roles, kept as Django groups so admins assign them in the admin like any group.

Five are the company's own people. The sixth, `partner`, is an outside firm's user: linked to
one partner (`orgs.PartnerUser`), it sees only that partner's own figures and never the
organization's pages (it is not among `STAFF_ROLES`, which `orgs.rules.has_any_role` checks).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")
    ME_LEADER = "me_leader", _("ME leader")
    ME_MEMBER = "me_member", _("ME member")
    FINANCE = "finance", _("Finance")
    AUDITOR = "auditor", _("Auditor (read-only)")
    PARTNER = "partner", _("Partner user")


STAFF_ROLES = (Role.PLATFORM_ADMIN, Role.ME_LEADER, Role.ME_MEMBER, Role.FINANCE, Role.AUDITOR)
# Who may not lead or belong to an ME: partner users act for an outside firm; finance approves and
# pays payouts and auditors check them, so neither holds an ME pay share (separation of duties).
ROLES_OUTSIDE_MES = (Role.PARTNER, Role.FINANCE, Role.AUDITOR)


def user_roles(user) -> set[str]:
    """Return the role codes of a user (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_codes", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(Role.PLATFORM_ADMIN)
        user._role_codes = cached
    return cached
