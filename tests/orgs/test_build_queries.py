"""The new list pages cost the same number of queries whatever the data (the pages' pins)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs.models import Industry, Partner, PartnerRole
from tests.factories import (
    CategoryFactory,
    MicroenterpriseFactory,
    PartnerFactory,
    ScenarioFactory,
    SolutionFactory,
)

pytestmark = pytest.mark.django_db


def _grow(n):
    roles = list(PartnerRole.objects.all()[:2])
    industries = list(Industry.objects.filter(level="class")[:2])
    for _ in range(n):
        partner = PartnerFactory(state=Partner.State.APPLIED, offer="Something")
        partner.roles.set(roles)
        partner.industries.set(industries)
        scenario = ScenarioFactory()
        CategoryFactory()
        solution = SolutionFactory(scenario=scenario)
        solution.versions.create(number=1, released_on="2026-01-01")
        solution.provider_mes.add(MicroenterpriseFactory())


def _queries(client, user, url) -> int:
    client.force_login(get_user_model().objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/catalog/", "/partners/applications/", "/", "/account/"])
def test_new_pages_keep_a_constant_query_count(client, admin, url):
    _grow(2)
    small = _queries(client, admin, url)
    _grow(20)
    assert _queries(client, admin, url) == small
