"""The dashboard (portal: the organization's counts beside the ledger's user-paid value)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import EMCFactory, MicroenterpriseFactory, PartnerFactory, UserFactory
from tests.ledger.factories import world_build

pytestmark = pytest.mark.django_db


def _log(world, n):
    from ledger import services

    for i in range(n):
        services.value_event_log(
            actor=world.leader,
            me=world.lead_me,
            emc=world.emc,
            scenario=world.scenario,
            category=world.category,
            user_ref=f"u-{i:05d}",
            amount="10.00",
            currency="CNY",
            occurred_at=timezone.now() - dt.timedelta(days=i % 20, minutes=5),
        )


def test_the_dashboard_costs_the_same_queries_whatever_the_data(client):
    world = world_build()
    client.force_login(UserFactory(roles=["platform_admin"]))
    _log(world, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    # given ten times the organization and the payments
    for _ in range(20):
        MicroenterpriseFactory()
        EMCFactory()
        PartnerFactory()
    _log(world, 20)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/")
    # then the page costs the same number of queries and shows the larger figures
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    overview = response.context["panel"]["overview"]
    assert overview["summary"]["mes"]["total"] >= 22
    assert sum(float(v) for v in overview["daily_value"]["series"]["CNY"]) == pytest.approx(220.0)
