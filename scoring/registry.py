"""The metric registry: each catalogue entry (orgs.metric_catalog) with its operational
definition, headline and secondary figures, subjects, computing function and default target.

Definitions where the white paper is loose (settings in config/settings/base.py, SCORING_*):

- *period*: the trailing SCORING_PERIOD_DAYS days (90) ending on the run's date; the *year*:
  the trailing SCORING_YEAR_DAYS (365). Windows are by the day an event occurred; what counts is
  what was recorded up to the run's cut-off.
- *active user*: an end user (pseudonymous `user_ref`, the same reference across EMCs) who made
  a payment in the trailing SCORING_ACTIVE_DAYS (365) days; per EMC and per ME, one who paid
  there. A reversed or refunded payment still shows the user was active.
- *the four life-long signals* (metrics 8-11), each held for SCORING_SIGNAL_DAYS (365) after it
  was shown: a rating above the user's prior expectation; a co-creation (idea, test, crowd
  streaming); a shared experience story; owning SCORING_OWNED_PRODUCTS (5) or more ecosystem
  products or a related purchase. *Loyalty classes* of active users: transactional (none of
  the four), interactive (some), life-long (at least SCORING_LIFELONG_SIGNALS of them, 4).
- *ecosystem revenue*: user-paid value from non-core categories (`Category.is_core` False).
- *active partner*: a partner with an EMC participation covering the date.
- *value-added* of a partner: what the ledger credited it (its share legs, net of refunds and
  reversals); its *baseline* is the ecosystem revenue it declared at entry.
- *fairness* (metric 19): 1 - half the sum over partners of |share of partner earnings - share
  of the value of the events partners took part in|: 1 when pay follows contribution exactly.
- money: per currency; shares of value are read in SCORING_CURRENCY (CNY); other currencies are
  shown beside, never converted.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from orgs import metric_catalog as catalog
from scoring import metrics as m

ECOSYSTEM, EMC, ME, PARTNER = "ecosystem", "emc", "me", "partner"


@dataclass(frozen=True)
class Metric:
    code: str
    definition: str
    headline: str
    compute: Callable
    subjects: tuple[str, ...] = (ECOSYSTEM, EMC)
    secondary: tuple[str, ...] = ()
    target: Decimal | None = None  # default target of the headline (standard metrics)
    per_partner: Callable | None = None
    needs_facts: bool = False  # takes the ecosystem-only facts (transitions, incubated MEs)

    @property
    def entry(self) -> catalog.MetricEntry:
        return catalog.metric(self.code)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def unit(self) -> str:
        return self.entry.unit

    @property
    def direction(self) -> str:
        return self.entry.direction


D = Decimal
REGISTRY = {
    spec.code: spec
    for spec in [
        Metric(
            "sustainability",
            _(
                "kg CO2e avoided in the period, from the purpose indicators logged per EMC; beside it kWh "
                "saved, units recycled and kg CO2e per 10,000 of user-paid value."
            ),
            _("kg CO2e avoided in the period"),
            m.sustainability,
            secondary=("kwh_saved", "units_recycled", "kg_co2e_per_10k_revenue"),
            target=D(10000),
        ),
        Metric(
            "improving_lives",
            _("People served in the period (e.g. vaccination sites covered), from the purpose indicators."),
            _("People served in the period"),
            m.improving_lives,
            target=D(5000),
        ),
        Metric(
            "empowering_enterprises",
            _(
                "Partners with positive value-added in the year (what the ledger credited them) plus "
                "incubating MEs founded in the period."
            ),
            _("Partners with value-added + MEs incubated"),
            m.empowering_enterprises,
            subjects=(ECOSYSTEM,),
            secondary=("partners_with_value_added", "mes_incubated"),
            target=D(50),
            needs_facts=True,
        ),
        Metric(
            "categories_industries",
            _(
                "Categories with positive user-paid value in the trailing year; beside it the ISIC classes "
                "and divisions of those categories."
            ),
            _("Categories with user-paid value in the year"),
            m.categories_industries,
            secondary=("isic_classes", "isic_divisions"),
            target=D(20),
        ),
        Metric(
            "integrated_solutions",
            _(
                "Share of the period's user-paid value from solutions bundling at least 2 categories or "
                "2 providers (MEs and partners); beside it the active scenario solutions."
            ),
            _("Share of value from integrated solutions (%)"),
            m.integrated_solutions,
            secondary=("active_solutions", "active_integrated_solutions", "integrated_value"),
            target=D(60),
        ),
        Metric(
            "customized",
            _("Share of the period's payments marked customized for the user."),
            _("Share of payments customized (%)"),
            m.customized,
            target=D(30),
        ),
        Metric(
            "continuous_evolution",
            _(
                "Solution iterations (versions released) in the period, for the solutions of the subject's "
                "scenarios; beside it the median days between consecutive iterations."
            ),
            _("Solution iterations in the period"),
            m.continuous_evolution,
            secondary=("median_days_between_iterations",),
            target=D(6),
        ),
        Metric(
            "superior_experience",
            _(
                "Share of the period's ratings above the user's prior expectation; beside it the mean "
                "margin (rating minus expectation)."
            ),
            _("Share of ratings above expectation (%)"),
            m.superior_experience,
            subjects=(ECOSYSTEM, EMC),
            secondary=("mean_margin",),
            target=D(70),
        ),
        Metric(
            "cocreation_willingness",
            _("Share of active users who co-created (idea, test, crowd streaming) within the signal window."),
            _("Share of active users who co-created (%)"),
            m.cocreation_willingness,
            target=D(20),
        ),
        Metric(
            "recommendation",
            _("Share of active users who shared an experience story within the signal window (not NPS)."),
            _("Share of active users who shared a story (%)"),
            m.recommendation,
            target=D(20),
        ),
        Metric(
            "related_purchase",
            _(
                "Share of active users owning 5 or more ecosystem products or who bought a related service "
                "after a product, within the signal window."
            ),
            _("Share of active users with related purchases (%)"),
            m.related_purchase,
            target=D(30),
        ),
        Metric(
            "diverse_industries",
            _(
                "ISIC divisions among the active partners; beside it the Shannon diversity of the value of "
                "their events by industry."
            ),
            _("ISIC divisions among active partners"),
            m.diverse_industries,
            secondary=("shannon_value_by_industry",),
            target=D(12),
        ),
        Metric(
            "diverse_roles",
            _("Distinct roles among the active partners; beside it the Shannon diversity of roles."),
            _("Distinct partner roles"),
            m.diverse_roles,
            secondary=("shannon_roles",),
            target=D(8),
        ),
        Metric(
            "open_entry",
            _(
                "Entry rate: partners admitted in the period per 100 active partners; beside it the exit "
                "rate, the median days from application to active, and the share of exits driven by user "
                "value (a nightly proposal or stated evidence)."
            ),
            _("Entry rate (admitted per 100 active partners)"),
            m.open_entry,
            subjects=(ECOSYSTEM,),
            secondary=("exit_rate", "median_days_applied_to_active", "exits_driven_by_user_value"),
            target=D(10),
            needs_facts=True,
        ),
        Metric(
            "sharing_spirit",
            _(
                "Share of active partners using at least one shared platform resource on the date; beside "
                "it the resources in use. Per partner: the resources it uses."
            ),
            _("Share of active partners using a shared resource (%)"),
            m.sharing_spirit,
            subjects=(ECOSYSTEM, EMC, PARTNER),
            secondary=("resources_in_use",),
            target=D(60),
            per_partner=m.partner_resources,
        ),
        Metric(
            "efficient_collaboration",
            _(
                "Share of active partners holding a valid certification on one of the platform's standards. "
                "Per partner: 1 when certified."
            ),
            _("Share of active partners certified (%)"),
            m.efficient_collaboration,
            subjects=(ECOSYSTEM, EMC, PARTNER),
            target=D(50),
            per_partner=m.partner_certified,
        ),
        Metric(
            "comparative_advantage",
            _(
                "Share of the period's user-paid value from solutions co-created by partners of at least 2 "
                "industries (ISIC divisions); beside it how many such solutions had value."
            ),
            _("Share of value from cross-industry co-created solutions (%)"),
            m.comparative_advantage,
            secondary=("cross_industry_solutions",),
            target=D(30),
        ),
        Metric(
            "ecosystem_revenue_growth",
            _(
                "Growth of ecosystem revenue (value from non-core categories) over the previous period of "
                "equal length; beside it the share of partners whose value grew. Per partner: the growth "
                "of the value of the events it took part in."
            ),
            _("Growth of ecosystem revenue (%)"),
            m.ecosystem_revenue_growth,
            subjects=(ECOSYSTEM, EMC, PARTNER),
            secondary=("partners_with_growth_pct",),
            target=D(10),
            per_partner=m.partner_revenue_growth,
        ),
        Metric(
            "added_value_shared",
            _(
                "Share of active partners whose value-added in the year exceeds their entry baseline; beside "
                "it the fairness of shares against contributions (1 = fair). Per partner: value-added as a "
                "percentage of the baseline."
            ),
            _("Share of partners above their entry baseline (%)"),
            m.added_value_shared,
            subjects=(ECOSYSTEM, EMC, PARTNER),
            secondary=("fairness",),
            target=D(50),
            per_partner=m.partner_added_value,
        ),
        # the VAM goal figures (per ME, EMC and the ecosystem; not scored in the index)
        Metric(
            "user_paid_value",
            _("Payments less refunds in the period (reversed events left out), in the reporting currency."),
            _("User-paid value in the period"),
            m.user_paid_value,
            subjects=(ECOSYSTEM, EMC, ME),
        ),
        Metric(
            "profit",
            _(
                "What the ledger credited the MEs in the period (their node shares): the value kept after "
                "partner shares, platform fee and holdback."
            ),
            _("Margin in the period"),
            m.profit,
            subjects=(ECOSYSTEM, EMC, ME),
        ),
        Metric(
            "lifelong_users",
            _(
                "Active users showing the life-long signals (see the definitions); beside it the users by "
                "loyalty class."
            ),
            _("Life-long users"),
            m.lifelong_users,
            subjects=(ECOSYSTEM, EMC, ME),
            secondary=("transactional", "interactive", "lifelong"),
        ),
        Metric(
            "ecosystem_revenue",
            _("User-paid value from non-core categories in the period."),
            _("Ecosystem revenue in the period"),
            m.ecosystem_revenue,
            subjects=(ECOSYSTEM, EMC, ME),
        ),
        Metric(
            "user_experience",
            _("Share of the period's ratings above the user's prior expectation."),
            _("Share of ratings above expectation (%)"),
            m.user_experience,
            subjects=(ECOSYSTEM, EMC, ME),
        ),
        Metric(
            "co_creation",
            _("Co-creation participations logged in the period."),
            _("Co-creations in the period"),
            m.co_creation,
            subjects=(ECOSYSTEM, EMC, ME),
        ),
    ]
}


def standard() -> list[Metric]:
    """The nineteen metrics of the standard, in the standards table's order."""
    return [REGISTRY[e.code] for e in catalog.standard_metrics()]


def for_subject(kind: str) -> list[Metric]:
    return [spec for spec in REGISTRY.values() if kind in spec.subjects]
