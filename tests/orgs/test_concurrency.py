"""Row locks: two admins acting on the same partner at once cannot both win."""

import threading

import pytest
from django.db import connection

from config.errors import ConflictError
from orgs import services
from orgs.models import Partner, PartnerTransition
from tests.factories import PartnerFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_phase_out_and_watch_leave_one_consistent_outcome():
    admin = UserFactory(roles=["platform_admin"])
    partner = PartnerFactory(state="active")
    barrier = threading.Barrier(2)
    outcomes = []

    def act(action):
        try:
            barrier.wait()
            services.partner_act(partner=partner, action=action, actor=admin, reason=f"concurrent {action}")
            outcomes.append(("ok", action))
        except ConflictError:
            outcomes.append(("conflict", action))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(a,)) for a in ("phase_out", "phase_out")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o[0] for o in outcomes) == ["conflict", "ok"]
    assert Partner.objects.get(pk=partner.pk).state == "phased_out"
    assert PartnerTransition.objects.filter(partner=partner, to_value="phased_out").count() == 1
