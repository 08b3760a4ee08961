"""What the metrics of one date are computed from, loaded set-based for a batch of subjects.

`Inputs.load(window, emc_ids)` reads, for the EMCs given (or the whole ecosystem when None,
keyed 0), the rollups summed over the trailing windows and the organization's effective-dated
records on the date, in a fixed number of grouped queries whatever the number of EMCs or events.
The window sums are those of the run's date and ingest (what was recorded up to its cut-off),
kept as state by scoring.windows and advanced night by night, not the rollups read whole.

The organization's date rules used here (a partner takes part in an EMC on day d when a
participation covers d; a certification is valid on d when certified_on <= d < expires_on; a
resource is in use on d when started_on <= d < ended_on) are the ones `orgs` states: the
participation rule is `orgs.date_rules.participation_q`, the two spans it does not name are
written once below (`_covering`).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, Sum

from ledger.models import Account, PurposeIndicator
from orgs import date_rules
from orgs.models import (
    EMC,
    Category,
    Certification,
    EMCParticipation,
    Microenterprise,
    Partner,
    PartnerTransition,
    ResourceUse,
    Solution,
    SolutionVersion,
)
from scoring import windows
from scoring.models import (
    EarnedDay,
    PartnerDay,
    PartnerSignalDay,
    SolutionDay,
    UserState,
    ValueDay,
)
from scoring.users import class_counts


@dataclass(frozen=True)
class Window:
    """The date being computed and the windows ending on it (inclusive)."""

    day: dt.date
    ingest_id: int
    cutoff: dt.datetime
    run_id: int = 0  # whose class counts to read

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return self.day - dt.timedelta(days=settings.SCORING_PERIOD_DAYS - 1), self.day

    @property
    def previous_period(self) -> tuple[dt.date, dt.date]:
        start, _end = self.period
        return start - dt.timedelta(days=settings.SCORING_PERIOD_DAYS), start - dt.timedelta(days=1)

    @property
    def year(self) -> tuple[dt.date, dt.date]:
        return self.day - dt.timedelta(days=settings.SCORING_YEAR_DAYS - 1), self.day


def _covering(start_field: str, end_field: str, day: dt.date) -> Q:
    """Effective on `day`: started on or before it, not ended by it (end exclusive). For the
    spans the organization's date rules (`orgs.date_rules`) do not name: certifications and
    shared-resource use; a partner's participation in an EMC is `date_rules.participation_q`."""
    return Q(**{f"{start_field}__lte": day}) & (
        Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gt": day})
    )


def nested():
    return defaultdict(nested)


@dataclass
class Inputs:
    window: Window
    emc_ids: list[int] | None  # None: the whole ecosystem, under key 0
    value: dict = field(default_factory=dict)  # key -> currency -> {payments, customized, net, noncore}
    value_previous: dict = field(default_factory=dict)  # key -> currency -> {net, noncore}
    categories: dict = field(default_factory=dict)  # key -> {category ids with net > 0 in the year}
    solutions: dict = field(default_factory=dict)  # key -> currency -> {solution id: net}
    partner_value: dict = field(default_factory=dict)  # key -> currency -> {partner: net} (period)
    partner_value_previous: dict = field(default_factory=dict)
    earned_year: dict = field(default_factory=dict)  # key -> (kind, owner) -> currency -> minor
    earned_period: dict = field(default_factory=dict)
    signals: dict = field(default_factory=dict)  # key -> {ratings, ratings_above, ...}
    users: dict = field(default_factory=dict)  # key -> class counts
    indicators: dict = field(default_factory=dict)  # key -> kind -> (quantity, entries)
    active_partners: dict = field(default_factory=dict)  # key -> {partner ids}
    emc_solutions: dict = field(default_factory=dict)  # key -> {solution ids}
    # org facts shared by every key
    category_industry: dict = field(default_factory=dict)  # category id -> ISIC code
    partner_divisions: dict = field(default_factory=dict)  # partner id -> {division}
    partner_roles: dict = field(default_factory=dict)  # partner id -> {role id}
    certified: set = field(default_factory=set)
    resources_used: dict = field(default_factory=dict)  # partner id -> {resource id}
    integrated: set = field(default_factory=set)  # solutions bundling >= 2 categories or providers
    cross_industry: set = field(default_factory=set)  # solutions by partners of >= 2 industries
    versions: dict = field(default_factory=dict)  # solution id -> [release days] up to the date
    partners: dict = field(default_factory=dict)  # partner id -> (baseline minor, currency)

    @property
    def keys(self) -> list[int]:
        return [0] if self.emc_ids is None else list(self.emc_ids)

    # --- loading -------------------------------------------------------------------------

    @classmethod
    def load(cls, window: Window, emc_ids: list[int] | None) -> "Inputs":
        inputs = cls(window=window, emc_ids=emc_ids)
        inputs._load_rollups()
        inputs._load_org()
        return inputs

    def _group(self, *fields) -> list[str]:
        return ([] if self.emc_ids is None else ["emc_id"]) + list(fields)

    def _key(self, row) -> int:
        return 0 if self.emc_ids is None else row["emc_id"]

    def _load_rollups(self) -> None:
        """The trailing-window sums, from the state of (day, ingest) kept by scoring.windows
        (advanced night by night; the same figures as the rollups read whole)."""
        w = self.window
        state = windows.state_of(windows.scoring_shape(), day=w.day, ingest_id=w.ingest_id)
        if self.emc_ids is None:
            rows = [(kind, span, 0, *rest) for kind, span, *rest in windows.sums_over_emcs(state)]
        else:
            rows = windows.sums_read(state, emcs=self.emc_ids)
        value = {windows.PERIOD: self.value, windows.PREVIOUS: self.value_previous}
        partner = {windows.PERIOD: self.partner_value, windows.PREVIOUS: self.partner_value_previous}
        earned = {windows.PERIOD: self.earned_period, windows.YEAR: self.earned_year}
        owner_kinds = {"earned_p": Account.Kind.PARTNER.value, "earned_m": Account.Kind.ME.value}
        signal_names = ("ratings", "ratings_above", "margin_sum", "cocreations", "stories", "related")
        for kind, span, emc, key, currency, *n in rows:
            if kind == "value":  # kept per ME as well: summed here
                sums = (
                    value[span]
                    .setdefault(emc, {})
                    .setdefault(currency, {"payments": 0, "customized": 0, "net": 0, "noncore": 0})
                )
                for name, x in zip(("payments", "customized", "net", "noncore"), n, strict=False):
                    sums[name] += x
            elif kind == "category":  # the categories with a positive net in the year
                if n[0] > 0:
                    self.categories.setdefault(emc, set()).add(key)
            elif kind == "solution":
                self.solutions.setdefault(emc, {}).setdefault(currency, {})[key] = n[0]
            elif kind == "partner":
                partner[span].setdefault(emc, {}).setdefault(currency, {})[key] = n[0]
            elif kind in owner_kinds:
                # the year is read for the partners only (metrics 3 and 19); the MEs' margin is a period figure
                owner = (owner_kinds[kind], key)
                earned[span].setdefault(emc, {}).setdefault(owner, {})[currency] = n[0]
            elif kind == "signal":  # kept per ME as well: summed here
                sums = self.signals.setdefault(emc, dict.fromkeys(signal_names, 0))
                for name, x in zip(signal_names, n, strict=True):
                    sums[name] += x
        if self.emc_ids is None:
            self.users = class_counts(run_id=w.run_id, scope=UserState.Scope.ECOSYSTEM)
        else:
            self.users = class_counts(run_id=w.run_id, scope=UserState.Scope.EMC, scope_ids=self.emc_ids)
        start, end = w.period
        indicators = PurposeIndicator.objects.filter(logged_at__lte=w.cutoff, on__gte=start, on__lte=end)
        if self.emc_ids is not None:
            indicators = indicators.filter(emc_id__in=self.emc_ids)
        for r in (
            indicators.values(*self._group("kind")).annotate(q=Sum("quantity"), n=Count("id")).order_by()
        ):
            self.indicators.setdefault(self._key(r), {})[r["kind"]] = (r["q"], r["n"])

    def _load_org(self) -> None:
        day = self.window.day
        parts = EMCParticipation.objects.filter(date_rules.participation_q(day))
        if self.emc_ids is not None:
            parts = parts.filter(emc_id__in=self.emc_ids)
        for emc_id, partner_id in parts.values_list("emc_id", "partner_id"):
            self.active_partners.setdefault(0 if self.emc_ids is None else emc_id, set()).add(partner_id)
        partner_ids = {p for ps in self.active_partners.values() for p in ps}
        for key_partners in self.partner_value.values():
            for by_partner in key_partners.values():
                partner_ids.update(by_partner)
        self.partners = {
            pk: (baseline, currency)
            for pk, baseline, currency in Partner.objects.filter(pk__in=partner_ids).values_list(
                "id", "revenue_baseline_minor", "baseline_currency"
            )
        }
        for partner_id, code in Partner.industries.through.objects.filter(
            partner_id__in=partner_ids
        ).values_list("partner_id", "industry__code"):
            if code[:2].isdigit():
                self.partner_divisions.setdefault(partner_id, set()).add(code[:2])
        for partner_id, role_id in Partner.roles.through.objects.filter(
            partner_id__in=partner_ids
        ).values_list("partner_id", "partnerrole_id"):
            self.partner_roles.setdefault(partner_id, set()).add(role_id)
        self.certified = set(
            Certification.objects.filter(partner_id__in=partner_ids)
            .filter(_covering("certified_on", "expires_on", day))
            .values_list("partner_id", flat=True)
        )
        for partner_id, resource_id in (
            ResourceUse.objects.filter(partner_id__in=partner_ids)
            .filter(_covering("started_on", "ended_on", day))
            .values_list("partner_id", "resource_id")
        ):
            self.resources_used.setdefault(partner_id, set()).add(resource_id)
        self.category_industry = dict(Category.objects.values_list("id", "industry__code"))
        # the EMC's solutions: those of the scenarios it serves
        through = EMC.scenarios.through.objects.all()
        if self.emc_ids is not None:
            through = through.filter(emc_id__in=self.emc_ids)
        by_scenario = defaultdict(set)
        for sol_id, scenario_id in Solution.objects.values_list("id", "scenario_id"):
            by_scenario[scenario_id].add(sol_id)
        if self.emc_ids is None:
            self.emc_solutions[0] = {s for sols in by_scenario.values() for s in sols}
        else:
            for emc_id, scenario_id in through.values_list("emc_id", "scenario_id"):
                self.emc_solutions.setdefault(emc_id, set()).update(by_scenario[scenario_id])
        solution_ids = {s for sols in self.emc_solutions.values() for s in sols}
        solution_ids.update(s for by_cur in self.solutions.values() for sols in by_cur.values() for s in sols)
        counts = (
            Solution.objects.filter(pk__in=solution_ids)
            .annotate(
                n_categories=Count("categories", distinct=True),
                n_mes=Count("provider_mes", distinct=True),
                n_partners=Count("provider_partners", distinct=True),
            )
            .values_list("id", "n_categories", "n_mes", "n_partners")
        )
        self.integrated = {pk for pk, cats, mes, partners in counts if cats >= 2 or mes + partners >= 2}
        divisions = defaultdict(set)
        for sol_id, code in Solution.provider_partners.through.objects.filter(
            solution_id__in=solution_ids
        ).values_list("solution_id", "partner__industries__code"):
            if code and code[:2].isdigit():
                divisions[sol_id].add(code[:2])
        self.cross_industry = {s for s, divs in divisions.items() if len(divs) >= 2}
        for sol_id, released in (
            SolutionVersion.objects.filter(solution_id__in=solution_ids, released_on__lte=day)
            .order_by("solution_id", "released_on", "number")
            .values_list("solution_id", "released_on")
        ):
            self.versions.setdefault(sol_id, []).append(released)


def ecosystem_facts(window: Window) -> dict:
    """Facts only the whole ecosystem has: lifecycle transitions and MEs incubated in the period."""
    start, end = window.period
    transitions = list(
        PartnerTransition.objects.filter(
            kind=PartnerTransition.Kind.STATE, effective_on__gte=start, effective_on__lte=end
        ).values(
            "partner_id",
            "from_value",
            "to_value",
            "effective_on",
            "proposal_id",
            "evidence",
            "partner__applied_on",
        )
    )
    incubated = Microenterprise.objects.filter(
        kind__code="incubating", founded_on__gte=start, founded_on__lte=end
    ).count()
    return {"transitions": transitions, "mes_incubated": incubated}


def me_inputs(window: Window) -> dict:
    """Per-ME figures for the VAM goals over the period: value and ecosystem revenue (ValueDay),
    what the ledger credited the ME (EarnedDay), co-creations and ratings (SignalDay), from the
    window sums of (day, ingest) summed over the EMCs; user classes."""
    state = windows.state_of(windows.scoring_shape(), day=window.day, ingest_id=window.ingest_id)
    value = defaultdict(dict)
    earned = defaultdict(dict)
    signals = {}
    for kind, span, me_id, currency, *n in windows.sums_over_emcs(state):
        if span != windows.PERIOD:
            continue
        if kind == "value":
            value[me_id][currency] = (n[2], n[3])
        elif kind == "earned_m":
            earned[me_id][currency] = n[0]
        elif kind == "signal":
            signals[me_id] = {"me_id": me_id, "ratings": n[0], "ratings_above": n[1], "cocreations": n[3]}
    users = class_counts(run_id=window.run_id, scope=UserState.Scope.ME)
    return {"value": value, "earned": earned, "signals": signals, "users": users}


def partner_windows(*, ingest_id: int, windows: list[tuple[dt.date, dt.date]]) -> list[dict]:
    """Per partner over each window [start, end] (inclusive), as recorded up to the ingest, for
    the partner scorecards: the events it took part in (payments, net value, refunds and their
    amount per currency), what the ledger credited it per currency, the ratings and co-creations
    on the solutions it provides, and the value of each solution (the whole ecosystem). A fixed
    number of grouped queries per window, whatever the number of partners or events."""
    out = []
    for start, end in windows:
        bounded = {"ingest_id__lte": ingest_id, "day__gte": start, "day__lte": end}
        value = defaultdict(dict)  # partner -> currency -> {events, net, refunds, refund}
        for r in (
            PartnerDay.objects.filter(**bounded)
            .values("partner_id", "currency")
            .annotate(
                events=Sum("events"),
                net=Sum("value_minor"),
                refunds=Sum("refunds"),
                refund=Sum("refund_minor"),
            )
            .order_by()
        ):
            value[r["partner_id"]][r["currency"]] = {
                k: r[k] or 0 for k in ("events", "net", "refunds", "refund")
            }
        earned = defaultdict(dict)  # partner -> currency -> minor
        for r in (
            EarnedDay.objects.filter(owner_kind="partner", **bounded)
            .values("owner_id", "currency")
            .annotate(e=Sum("earned_minor"))
            .order_by()
        ):
            earned[r["owner_id"]][r["currency"]] = r["e"] or 0
        names = ("ratings", "ratings_above", "ratings_below", "margin_sum", "cocreations")
        signals = {
            r["partner_id"]: {n: r[n] or 0 for n in names}
            for r in PartnerSignalDay.objects.filter(**bounded)
            .values("partner_id")
            .annotate(**{n: Sum(n) for n in names})
            .order_by()
        }
        solutions = defaultdict(dict)  # currency -> solution -> net
        total = {}  # currency -> the ecosystem's user-paid value
        for r in (
            SolutionDay.objects.filter(**bounded)
            .values("solution_id", "currency")
            .annotate(net=Sum("net_minor"))
            .order_by()
        ):
            solutions[r["currency"]][r["solution_id"]] = r["net"] or 0
        for r in (
            ValueDay.objects.filter(**bounded).values("currency").annotate(net=Sum("net_minor")).order_by()
        ):
            total[r["currency"]] = r["net"] or 0
        out.append(
            {
                "start": start,
                "end": end,
                "value": value,
                "earned": earned,
                "signals": signals,
                "solutions": solutions,
                "total": total,
            }
        )
    return out
