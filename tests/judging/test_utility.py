"""The ecosystem brand utility of a partner: each term from its source, "no data" where a term
lacks its inputs (never a constant), U the sum of the terms that have data."""

from decimal import Decimal

from django.urls import reverse

from judging.models import Scorecard
from judging.utility import _density
from tests.factories import UserFactory


def test_each_term_comes_from_its_source_and_missing_ones_say_no_data(judged, night):
    night()
    u = Scorecard.objects.get(day=judged.day, partner=judged.world.partner).figures["utility"]
    t = u["terms"]
    # P: 5.25 credited; d: mean margin -0.50 -> 0.5 point short; sigma = P / 4
    assert t["P"] == "5.25" and t["sigma_d"] == "0.66"
    # its only payment in the window was its own: no co-creator, all its value outside a micro-ecosystem
    assert t["theta_M"] == "0.0000" and t["theta_G"] == "1.0000" and t["C_e"] == "0.00"
    assert t["delta_M"] is None and t["f_e"] is None  # a lone node has no density; no fees recorded
    assert u["missing"] == ["delta_M", "f_e"]
    assert Decimal(u["U"]) == Decimal("5.25") - Decimal("0.66") + Decimal(t["delta_G"]) * 1 * Decimal(
        t["C_E_e"]
    )


def test_a_shared_solution_links_partners_in_the_graph(judged, night):
    judged.world.solution.provider_partners.add(judged.p2)
    night()
    mine = Scorecard.objects.get(day=judged.day, partner=judged.world.partner).figures["utility"]
    assert [n["id"] for n in mine["graph"]["neighbours"]] == [judged.p2.pk]
    assert mine["terms"]["delta_M"] == "1.0000"


def test_density_counts_links_present_over_links_possible():
    assert _density({1, 2, 3}, {(1, 2)}) == Decimal("0.3333")
    assert _density({1}, set()) is None


def test_the_page_shows_the_terms_and_the_graph_to_staff_only(client, judged, night):
    from orgs.models import PartnerUser

    night()
    p = judged.world.partner
    client.force_login(UserFactory(roles=["auditor"]))
    html = client.get(reverse("judging:scorecard-detail", args=[p.code])).content.decode()
    assert 'data-term="f_e"' in html and 'data-testid="utility-graph"' in html
    user = UserFactory(roles=["partner"])
    PartnerUser.objects.create(user=user, partner=p)
    client.force_login(user)
    html = client.get(reverse("judging:scorecard-detail", args=[p.code])).content.decode()
    assert 'data-term="f_e"' in html and 'data-testid="utility-graph"' not in html


def test_every_term_is_named_and_defined_in_chinese():
    from django.utils import translation

    from judging.utility import TERMS

    for code, name, _unit, definition in TERMS:
        with translation.override("en"):
            english = (str(name), str(definition))
        with translation.override("zh-hans"):
            chinese = (str(name), str(definition))
        assert chinese[0] != english[0] and chinese[1] != english[1], code
