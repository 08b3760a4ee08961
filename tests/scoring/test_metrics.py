"""Every figure of the small ecosystem in conftest.py, worked out by hand (see its docstring)."""

from decimal import Decimal

import pytest

from scoring.models import Snapshot
from tests.scoring.conftest import run_night

pytestmark = pytest.mark.django_db


def figures(run, kind: str, subject_id: int) -> dict[str, Snapshot]:
    return {s.metric: s for s in Snapshot.objects.filter(run=run, subject_kind=kind, subject_id=subject_id)}


@pytest.fixture
def night(scored):
    run = run_night(scored.day)
    assert run.status == "done", run.error
    return run


def value(snapshot) -> str | None:
    return None if snapshot.value is None else format(snapshot.value.normalize(), "f")


# each row: metric, the EMC's headline (= the ecosystem's here), secondary figures, inputs
EMC_EXPECTED = [
    # 120.5 kg CO2e; per 10,000 of the 400.00 user-paid value: 120.5 * 10000 / 400
    (
        "sustainability",
        "120.5",
        {"kwh_saved": "50.0000", "units_recycled": "0.0000", "kg_co2e_per_10k_revenue": "3012.5000"},
        {"entries": 2},
    ),
    ("improving_lives", "300", {}, {"entries": 1}),
    # C (50 net... 100) and C2 (300) have value; C3 was refunded in full: 2 categories, ISIC 2750 and 9601
    ("categories_industries", "2", {"isic_classes": 2, "isic_divisions": 2}, {"categories": 2}),
    # Sol (bundles C and C2) brought 100 of the 400: 25%
    (
        "integrated_solutions",
        "25",
        {"active_solutions": 1, "active_integrated_solutions": 1, "integrated_value": "100.0000"},
        None,
    ),
    # 1 of 3 payments customized
    ("customized", "33.3333", {}, {"payments": 3, "customized": 1}),
    # versions on D-40 and D-10 fall in the period; gaps 60 and 30 days: median 45
    (
        "continuous_evolution",
        "2",
        {"median_days_between_iterations": "45.0000"},
        {"solutions": 1, "intervals": 2},
    ),
    # ratings 5 vs 3 (above) and 2 vs 4 (below): 50%, mean margin (2 - 2) / 2 = 0
    ("superior_experience", "50", {"mean_margin": "0.0000"}, {"ratings": 2, "above_expectation": 1}),
    # 4 active users (u-0001..u-0004: u-0003 paid, even if refunded): u-0001 co-created, shared a
    # story and owns 6 products
    ("cocreation_willingness", "25", {}, {"active_users": 4, "users_with_signal": 1}),
    ("recommendation", "25", {}, {"active_users": 4, "users_with_signal": 1}),
    ("related_purchase", "25", {}, {"active_users": 4, "users_with_signal": 1}),
    # P: divisions 27 and 62, P2: 52; P's 100.00 split equally over 27 and 62: H = ln 2
    (
        "diverse_industries",
        "3",
        {"shannon_value_by_industry": "0.6931"},
        {"active_partners": 2, "partners_with_value": 1},
    ),
    ("diverse_roles", "2", {"shannon_roles": "0.6931"}, {"active_partners": 2}),
    # P uses the IoT cloud, P2 does not; P2 is certified, P is not
    ("sharing_spirit", "50", {"resources_in_use": 1}, {"active_partners": 2, "partners_using": 1}),
    ("efficient_collaboration", "50", {}, {"active_partners": 2, "certified": 1}),
    # Sol is provided by P, of two ISIC divisions: its 100 of 400
    ("comparative_advantage", "25", {"cross_industry_solutions": 1}, None),
    # non-core value 300 now, 200 in the previous period: +50%; P's value fell from 200 to 100
    ("ecosystem_revenue_growth", "50", {"partners_with_growth_pct": "0.0000"}, {"partners_compared": 1}),
    # P earned 7.5% of 100 + 7.5% of 200 = 22.50 in the year > its 5.00 baseline; P2 earned nothing:
    # 1 of 2; P alone earned in the period and brought all the partners' value: fairness 1
    ("added_value_shared", "50", {"fairness": "1.0000"}, {"active_partners": 2, "above_baseline": 1}),
    # VAM figures: 100 + 300 + 40 - 40
    ("user_paid_value", "400", None, {"payments": 3}),
    ("ecosystem_revenue", "300", None, None),
    # node shares (no holdback at posting: the holdback is the payout's): e1 100 - 5.00 fee - 7.50
    # partner = 87.50: 52.50 + 35.00; e2 300 - 15.00 fee = 285.00: 171.00 + 114.00; e3 refunded in full
    ("profit", "372.5", None, {"mes": 2}),
    ("lifelong_users", "1", {"transactional": 3, "interactive": 0, "lifelong": 1}, {"active_users": 4}),
    ("user_experience", "50", None, None),
    ("co_creation", "1", None, None),
]


@pytest.mark.parametrize(
    ("metric", "headline", "secondary", "counts"), EMC_EXPECTED, ids=[r[0] for r in EMC_EXPECTED]
)
def test_each_emc_figure_is_the_hand_computed_one(scored, night, metric, headline, secondary, counts):
    snap = figures(night, "emc", scored.world.emc.pk)[metric]
    assert value(snap) == headline
    for name, expected in (secondary or {}).items():
        assert snap.figures[name] == expected, name
    for name, expected in (counts or {}).items():
        assert snap.inputs[name] == expected, name


def test_the_ecosystem_adds_the_figures_only_it_has(scored, night):
    eco = figures(night, "ecosystem", 0)
    # P earned in the year (P2 did not); no incubating ME was founded in the period
    assert value(eco["empowering_enterprises"]) == "1"
    assert eco["empowering_enterprises"].figures == {"partners_with_value_added": 1, "mes_incubated": 0}
    # P2 was admitted (applied -> probation) in the period: 1 per 2 active partners; activated
    # 30 days after applying; no exit
    assert value(eco["open_entry"]) == "50"
    assert eco["open_entry"].figures == {
        "exit_rate": "0.0000",
        "median_days_applied_to_active": "30.0000",
        "exits_driven_by_user_value": None,
    }
    for metric, headline, *_rest in EMC_EXPECTED:  # the empty EMC adds nothing
        assert value(eco[metric]) == headline, metric


def test_an_emc_without_data_shows_no_data_not_zero(scored, night):
    empty = figures(night, "emc", scored.empty.pk)
    registered = {m for m, *_ in EMC_EXPECTED}
    assert registered <= set(empty)
    assert all(empty[m].value is None for m in registered), {
        m: empty[m].value for m in registered if empty[m].value is not None
    }
    assert empty["index"].value is None


def test_per_me_figures_for_the_vam_goals(scored, night):
    lead = figures(night, "me", scored.world.lead_me.pk)
    node = figures(night, "me", scored.world.node_me.pk)
    assert value(lead["user_paid_value"]) == "100" and value(node["user_paid_value"]) == "300"
    assert value(lead["ecosystem_revenue"]) == "0" and value(node["ecosystem_revenue"]) == "300"
    assert value(lead["profit"]) == "223.5" and value(node["profit"]) == "149"  # 52.50 + 171.00; 35 + 114
    assert value(lead["lifelong_users"]) == "1" and value(node["lifelong_users"]) == "0"
    assert value(lead["co_creation"]) == "1" and node["co_creation"].value == Decimal("0")
    assert value(lead["user_experience"]) == "100" and value(node["user_experience"]) == "0"


def test_per_partner_figures_for_the_scorecards(scored, night):
    p = figures(night, "partner", scored.world.partner.pk)
    p2 = figures(night, "partner", scored.p2.pk)
    assert value(p["sharing_spirit"]) == "1" and value(p2["sharing_spirit"]) == "0"
    assert value(p["efficient_collaboration"]) == "0" and value(p2["efficient_collaboration"]) == "1"
    assert value(p["ecosystem_revenue_growth"]) == "-50"  # 200 -> 100
    assert p2["ecosystem_revenue_growth"].value is None  # no value before: no data
    assert value(p["added_value_shared"]) == "450"  # earned 22.50 against a 5.00 baseline
    assert p2["added_value_shared"].value is None  # no baseline declared


def test_the_index_scores_each_metric_against_its_target_and_rolls_up(scored, night):
    eco = figures(night, "ecosystem", 0)
    # customized 33.3333% against the default target 30: capped at 100
    assert eco["customized"].score == Decimal("100.00")
    # integrated solutions 25% against 60: 41.67
    assert eco["integrated_solutions"].score == Decimal("41.67")
    contributions = eco["index.criterion.evolving_solutions"].figures["contributions"]
    assert contributions["integrated_solutions"]["score"] == "41.67"
    # (41.67 * 33.34 + 100 * 33.33 + 33.33 * 33.33) / 100, continuous evolution 2 of 6 iterations
    assert eco["index.criterion.evolving_solutions"].value == Decimal("58.33")
    overall = eco["index"].figures["contributions"]
    assert set(overall) == {"purpose", "user", "partner"}
    assert eco["index"].value is not None
