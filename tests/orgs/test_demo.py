"""The demo organization loads through the services, tells the dryer story, and loads once."""

import pytest

from orgs.demo import demo_users_load
from orgs.demo_org import DRYER_BRANDS, demo_org_load
from orgs.models import EMC, AuditEntry, EMCParticipation, Membership, Microenterprise, Partner
from orgs.selectors import partners_creditable_in_emc

pytestmark = pytest.mark.django_db


def test_demo_org_loads_once_with_history():
    users = demo_users_load()
    summary = demo_org_load(users=users, progress=lambda *_: None)
    assert "MEs" in summary
    states = set(Partner.objects.values_list("state", flat=True))
    assert states == set(Partner.State.values)
    assert Microenterprise.objects.get(code="balcony-me").leader == users["leader"]
    assert Membership.objects.filter(
        me__code="balcony-me", user=users["member"], left_on__isnull=True
    ).exists()
    balcony = EMC.objects.get(code="balcony-sol")
    dryers = EMCParticipation.objects.filter(emc=balcony, partner__name__in=DRYER_BRANDS)
    assert dryers.count() == 5
    assert dryers.filter(ended_on__isnull=False).count() == 2
    import datetime as dt

    creditable = set(
        partners_creditable_in_emc(emc_id=balcony.pk, on=dt.date.today()).values_list("name", flat=True)
    )
    assert set(DRYER_BRANDS[:3]) <= creditable and not set(DRYER_BRANDS[3:]) & creditable
    assert {"me.split", "me.merge", "me.dissolve", "emc.disband", "partner.phase_out"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )
    audit_rows = AuditEntry.objects.count()
    assert demo_org_load(users=users, progress=lambda *_: None) == "demo organization already loaded"
    assert AuditEntry.objects.count() == audit_rows
