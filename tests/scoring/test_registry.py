"""The registry holds the white paper's standard (section 2.2) exactly: 3 perspectives, 7 criteria,
19 metrics, named as the standards table names them, each with a definition and a computation."""

from ledger.models import ContractGoal
from orgs import metric_catalog as catalog
from scoring import registry

# The standards table, as printed in the IoT Ecosystem Brand White Paper (2020), section 2.2
STANDARDS_TABLE = {
    "Brand Purpose Perspective": {
        "Strive to continuously create and pass on greater value for the society": [
            "Committed to the sustainability of environment and resources",
            "Devoted to constantly improving peoples' lives",
            "Empower various enterprises and entrepreneurs to continuously foster higher-level economic development",
        ],
    },
    "User Perspective": {
        "Offer unbounded products/services": [
            "Have a large number of categories/industries in the ecosystem",
        ],
        "Provide ever-evolving and customized integrated solutions": [
            "Offer scenario-based, seamless and integrated solutions",
            "Provide customized products/services/solutions based on users' needs",
            "Make continuous evolution of products/services/solutions based on on-going interaction with users",
        ],
        "Make life-long users": [
            "Superior experience: users continue to have better-than-expected brand experience in the ecosystem",
            "High willingness in co-creation: users are willing to interact with brand to co-create "
            'products/services/solutions and become "prosumer"',
            "Strong recommendation: users are willing to share their good brand experience with others",
            "High related purchase: users own multiple ecosystem products or purchase related ecosystem "
            "services after buying ecosystem products",
        ],
    },
    "Partner Perspective": {
        "Keep an open, diverse and dynamic ecosystem": [
            "Consist of diverse industries",
            "Have diverse types of players with different roles",
            "Maintain an open entry and dynamic optimization mechanism to continuously attract new members "
            "and eliminate underperformed members",
        ],
        "Enable sharing, collaboration and co-creation": [
            "Have a spirit of sharing (e.g. sharing underlying IoT technology, data resources or general "
            "business capability)",
            "Facilitate efficient collaboration among multiple partners in the ecosystem (e.g. by setting "
            "unified technical standards, business conduct standards, etc.)",
            "Enable each partner to bring its comparative advantage into play to jointly create solutions",
        ],
        "Achieve value-added sharing and win-win symbiosis": [
            "IoT ecosystem brand and its partners can both achieve growth in ecosystem revenue",
            "IoT ecosystem brand and its partners can both share added value derived in the ecosystem",
        ],
    },
}


def test_the_catalogue_is_the_standards_table_in_order():
    built = {}
    for entry in catalog.standard_metrics():
        perspective = str(catalog.PERSPECTIVES[entry.perspective].name)
        criterion = str(catalog.CRITERIA[entry.criterion].name)
        built.setdefault(perspective, {}).setdefault(criterion, []).append(str(entry.name))
    assert built == STANDARDS_TABLE
    assert [e.number for e in catalog.standard_metrics()] == list(range(1, 20))
    assert (len(catalog.PERSPECTIVES), len(catalog.CRITERIA), len(catalog.STANDARD)) == (3, 7, 19)


def test_every_metric_is_registered_with_a_definition_a_computation_and_subjects():
    assert set(registry.REGISTRY) == set(catalog.METRICS)
    for spec in registry.REGISTRY.values():
        assert str(spec.definition).strip() and str(spec.headline).strip(), spec.code
        assert callable(spec.compute), spec.code
        assert spec.subjects and set(spec.subjects) <= {"ecosystem", "emc", "me", "partner"}, spec.code
        assert spec.entry.unit and spec.entry.direction in (catalog.UP, catalog.DOWN)
        if "partner" in spec.subjects:
            assert callable(spec.per_partner), spec.code
    for spec in registry.standard():
        assert spec.target is not None and spec.target > 0, spec.code
    # the VAM goals per ME (payouts' vertical goals and the ME matrix read these)
    me = {s.code for s in registry.for_subject("me")}
    assert {"user_paid_value", "profit", "lifelong_users", "ecosystem_revenue", "co_creation"} <= me


def test_contract_goals_take_their_metrics_and_axes_from_the_catalogue():
    assert ContractGoal.Metric.values == [m.code for m in catalog.VAM]
    assert ContractGoal._meta.get_field("metric").choices == [(m.code, m.name) for m in catalog.VAM]
    assert catalog.goal_axis("user_paid_value") == catalog.goal_axis("profit") == catalog.HORIZONTAL
    assert {catalog.goal_axis(c) for c in ("lifelong_users", "ecosystem_revenue", "co_creation")} == {
        catalog.VERTICAL
    }
