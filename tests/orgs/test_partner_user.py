"""The partner user role: an outside firm's login acts for its one partner and nothing else."""

from orgs.models import PartnerUser
from orgs.selectors import partner_of_user
from tests.factories import PartnerFactory, UserFactory


def test_a_partner_user_sees_its_own_partner_and_not_the_organization(db):
    own, other = PartnerFactory(), PartnerFactory()
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=own)

    assert partner_of_user(user=user) == own
    assert user.has_perm("orgs.view_partner", own)
    assert not user.has_perm("orgs.view_partner", other)
    # the organization's pages and the ledger are for the company's own people
    assert not user.has_perm("orgs.view")
    assert not user.has_perm("ledger.view")


def test_the_partner_role_without_a_link_sees_no_partner(db):
    user = UserFactory(roles=["partner"])
    assert partner_of_user(user=user) is None
    assert not user.has_perm("orgs.view_partner", PartnerFactory())


def test_staff_roles_still_see_every_partner(user_with_role):
    partner = PartnerFactory()
    assert user_with_role("auditor").has_perm("orgs.view_partner", partner)
    assert not UserFactory(roles=[]).has_perm("orgs.view_partner", partner)
