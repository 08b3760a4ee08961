"""The metric catalogue: every figure the nightly scoring computes, named once.

The white paper's standard (IoT Ecosystem Brand White Paper, 2020, section 2.2) has three
perspectives, seven criteria and nineteen metrics; the VAM goal figures are what contracts bet on
(`ledger.ContractGoal.metric` takes its choices from `goal_choices()`). This module holds only
names and properties (code, name as the standards table words it, perspective, criterion, unit,
direction, axis): it lives low in `orgs` so the ledger can validate a goal without importing
scoring. The computations, definitions and subjects are in `scoring.registry`.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

UP, DOWN = "up", "down"  # direction: is a larger figure better or worse
HORIZONTAL, VERTICAL = "horizontal", "vertical"  # VAM axes: enterprise value / user-network value


@dataclass(frozen=True)
class Perspective:
    code: str
    name: str


@dataclass(frozen=True)
class Criterion:
    code: str
    perspective: str
    name: str


@dataclass(frozen=True)
class MetricEntry:
    code: str
    name: str
    unit: str
    direction: str = UP
    number: int | None = None  # 1..19 for the standard's metrics
    criterion: str = ""  # criterion code (the standard's metrics only)
    axis: str = ""  # VAM goal figures only

    @property
    def perspective(self) -> str:
        return CRITERIA[self.criterion].perspective if self.criterion else ""

    @property
    def is_standard(self) -> bool:
        return self.number is not None


PERSPECTIVES = {
    p.code: p
    for p in [
        Perspective("purpose", _("Brand Purpose Perspective")),
        Perspective("user", _("User Perspective")),
        Perspective("partner", _("Partner Perspective")),
    ]
}

CRITERIA = {
    c.code: c
    for c in [
        Criterion(
            "value_for_society",
            "purpose",
            _("Strive to continuously create and pass on greater value for the society"),
        ),
        Criterion("unbounded_offer", "user", _("Offer unbounded products/services")),
        Criterion(
            "evolving_solutions", "user", _("Provide ever-evolving and customized integrated solutions")
        ),
        Criterion("lifelong_users", "user", _("Make life-long users")),
        Criterion("open_ecosystem", "partner", _("Keep an open, diverse and dynamic ecosystem")),
        Criterion("sharing_cocreation", "partner", _("Enable sharing, collaboration and co-creation")),
        Criterion("value_added_sharing", "partner", _("Achieve value-added sharing and win-win symbiosis")),
    ]
}

STANDARD = [
    MetricEntry(
        "sustainability",
        _("Committed to the sustainability of environment and resources"),
        "kg CO2e",
        number=1,
        criterion="value_for_society",
    ),
    MetricEntry(
        "improving_lives",
        _("Devoted to constantly improving peoples' lives"),
        _("people"),
        number=2,
        criterion="value_for_society",
    ),
    MetricEntry(
        "empowering_enterprises",
        _(
            "Empower various enterprises and entrepreneurs to continuously foster higher-level economic development"
        ),
        _("partners + MEs"),
        number=3,
        criterion="value_for_society",
    ),
    MetricEntry(
        "categories_industries",
        _("Have a large number of categories/industries in the ecosystem"),
        _("categories"),
        number=4,
        criterion="unbounded_offer",
    ),
    MetricEntry(
        "integrated_solutions",
        _("Offer scenario-based, seamless and integrated solutions"),
        "%",
        number=5,
        criterion="evolving_solutions",
    ),
    MetricEntry(
        "customized",
        _("Provide customized products/services/solutions based on users' needs"),
        "%",
        number=6,
        criterion="evolving_solutions",
    ),
    MetricEntry(
        "continuous_evolution",
        _(
            "Make continuous evolution of products/services/solutions based on on-going interaction with users"
        ),
        _("iterations"),
        number=7,
        criterion="evolving_solutions",
    ),
    MetricEntry(
        "superior_experience",
        _(
            "Superior experience: users continue to have better-than-expected brand experience in the ecosystem"
        ),
        "%",
        number=8,
        criterion="lifelong_users",
    ),
    MetricEntry(
        "cocreation_willingness",
        _(
            "High willingness in co-creation: users are willing to interact with brand to co-create "
            'products/services/solutions and become "prosumer"'
        ),
        "%",
        number=9,
        criterion="lifelong_users",
    ),
    MetricEntry(
        "recommendation",
        _("Strong recommendation: users are willing to share their good brand experience with others"),
        "%",
        number=10,
        criterion="lifelong_users",
    ),
    MetricEntry(
        "related_purchase",
        _(
            "High related purchase: users own multiple ecosystem products or purchase related ecosystem "
            "services after buying ecosystem products"
        ),
        "%",
        number=11,
        criterion="lifelong_users",
    ),
    MetricEntry(
        "diverse_industries",
        _("Consist of diverse industries"),
        _("ISIC divisions"),
        number=12,
        criterion="open_ecosystem",
    ),
    MetricEntry(
        "diverse_roles",
        _("Have diverse types of players with different roles"),
        _("roles"),
        number=13,
        criterion="open_ecosystem",
    ),
    MetricEntry(
        "open_entry",
        _(
            "Maintain an open entry and dynamic optimization mechanism to continuously attract new members "
            "and eliminate underperformed members"
        ),
        "%",
        number=14,
        criterion="open_ecosystem",
    ),
    MetricEntry(
        "sharing_spirit",
        _(
            "Have a spirit of sharing (e.g. sharing underlying IoT technology, data resources or general "
            "business capability)"
        ),
        "%",
        number=15,
        criterion="sharing_cocreation",
    ),
    MetricEntry(
        "efficient_collaboration",
        _(
            "Facilitate efficient collaboration among multiple partners in the ecosystem (e.g. by setting "
            "unified technical standards, business conduct standards, etc.)"
        ),
        "%",
        number=16,
        criterion="sharing_cocreation",
    ),
    MetricEntry(
        "comparative_advantage",
        _("Enable each partner to bring its comparative advantage into play to jointly create solutions"),
        "%",
        number=17,
        criterion="sharing_cocreation",
    ),
    MetricEntry(
        "ecosystem_revenue_growth",
        _("IoT ecosystem brand and its partners can both achieve growth in ecosystem revenue"),
        "%",
        number=18,
        criterion="value_added_sharing",
    ),
    MetricEntry(
        "added_value_shared",
        _("IoT ecosystem brand and its partners can both share added value derived in the ecosystem"),
        "%",
        number=19,
        criterion="value_added_sharing",
    ),
]

# The VAM goal figures (the codes contracts already store). Horizontal: enterprise value;
# vertical: user / network value.
VAM = [
    MetricEntry("user_paid_value", _("User-paid value"), "currency", axis=HORIZONTAL),
    MetricEntry(
        "profit", _("Margin (value kept after partner shares and platform fee)"), "currency", axis=HORIZONTAL
    ),
    MetricEntry("lifelong_users", _("Life-long users"), "users", axis=VERTICAL),
    MetricEntry("ecosystem_revenue", _("Ecosystem revenue"), "currency", axis=VERTICAL),
    MetricEntry("user_experience", _("User experience rating"), "%", axis=VERTICAL),
    MetricEntry("co_creation", _("Co-creation participation"), "participations", axis=VERTICAL),
]

METRICS = {m.code: m for m in [*STANDARD, *VAM]}


def metric(code: str) -> MetricEntry:
    return METRICS[code]


def standard_metrics() -> list[MetricEntry]:
    return list(STANDARD)


def criterion_metrics(criterion: str) -> list[MetricEntry]:
    return [m for m in STANDARD if m.criterion == criterion]


def perspective_criteria(perspective: str) -> list[Criterion]:
    return [c for c in CRITERIA.values() if c.perspective == perspective]


def goal_choices() -> list[tuple[str, str]]:
    """Choices of a contract's VAM goal metric: the VAM goal figures."""
    return [(m.code, m.name) for m in VAM]


def goal_axis(code: str) -> str:
    """The VAM axis a goal metric belongs to ('' for an unknown code)."""
    entry = METRICS.get(code)
    return entry.axis if entry else ""
