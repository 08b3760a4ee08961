"""The ME evaluation matrix: each ME placed by % of its VAM targets (node share of its EMC's
contract goals, scaled to the scoring period), quadrants by the configured bands, and the MEs
that moved. World: tests/judging/conftest.py; ME L took 100.00 (30.00 refunded) core, ME N 300.00
non-core in the 90 days; a contract version whose monthly goals are 100 of user-paid value and
100 of ecosystem revenue (L holds 60%, N 40%: targets 180 and 120 over 90 days)."""

import datetime as dt

import pytest
from django.urls import reverse

from judging.matrix import quadrant
from judging.models import MatrixPoint
from tests.factories import UserFactory
from tests.ledger.factories import START, approved_contract


@pytest.fixture
def goals(judged):
    approved_contract(
        judged.world,
        effective_from=START + dt.timedelta(days=1),
        goals=[
            {"axis": "horizontal", "metric": "user_paid_value", "target": "100", "unit": "CNY"},
            {"axis": "vertical", "metric": "ecosystem_revenue", "target": "100", "unit": "CNY"},
        ],
    )
    return judged


def test_each_me_is_placed_by_its_share_of_the_contract_goals(goals, night):
    night()
    w = goals.world
    lead = MatrixPoint.objects.get(me=w.lead_me, day=goals.day)
    node = MatrixPoint.objects.get(me=w.node_me, day=goals.day)
    assert (str(lead.x), str(lead.y), lead.quadrant) == ("38.89", "0.00", "lagging")
    assert (str(node.x), str(node.y), node.quadrant) == ("250.00", "250.00", "leading")
    assert lead.figures["x"]["user_paid_value"]["target"] == "180.00"
    assert lead.previous_quadrant == ""  # nothing placed a period before


def test_without_goals_an_me_is_not_placed(judged, night):
    night()
    # the world's own contract has a horizontal goal only: no user-value axis
    point = MatrixPoint.objects.get(me=judged.world.lead_me, day=judged.day)
    assert point.x is not None and point.y is None and point.quadrant == "unplaced"


def test_without_saved_bands_the_settings_apply(db, settings):
    settings.JUDGING_MATRIX_X_BAND, settings.JUDGING_MATRIX_Y_BAND = 30, 0
    assert quadrant(38, 0) == "leading"
    settings.JUDGING_MATRIX_X_BAND = 50
    assert quadrant(38, 0) == "user" and quadrant(None, 5) == "unplaced"
    assert quadrant(38, 0, (30, 40)) == "market"  # bands given: the night's own


def test_the_matrix_page_and_api_filter_by_emc_and_show_who_moved(client, goals, night):
    night()
    w = goals.world
    MatrixPoint.objects.filter(me=w.node_me).update(previous_quadrant="lagging")
    client.force_login(UserFactory(roles=["auditor"]))
    page = client.get(reverse("judging:me-matrix"))
    assert page.status_code == 200
    assert [p["me"] for p in page.context["data"]["moved"]] == [w.node_me.code]
    api = client.get(reverse("api-judging-matrix"), {"emc": w.emc.code})
    assert api.status_code == 200 and {p["me"] for p in api.json()["points"]} == {
        w.lead_me.code,
        w.node_me.code,
    }
    assert client.get(reverse("api-judging-matrix"), {"emc": "nowhere"}).json()["points"] == []
    bad = client.get(reverse("api-judging-matrix"), {"date": "2025-13-01"})
    assert bad.status_code == 400 and "date" in bad.json()["errors"]


def test_a_partner_user_cannot_see_the_matrix(client, judged, night):
    from orgs.models import PartnerUser

    night()
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=judged.world.partner)
    client.force_login(user)
    assert client.get(reverse("judging:me-matrix")).status_code == 403
    assert client.get(reverse("api-judging-matrix")).status_code == 403
