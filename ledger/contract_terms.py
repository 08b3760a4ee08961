"""The rules a contract's terms must meet, as a whole: checked when a draft is created and again
when it is approved, so an approved contract can always post (`ledger.services` writes them)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ledger.models import Contract, ContractGoal
from orgs.currencies import currency_check
from orgs.metric_catalog import goal_axis
from orgs.models import EMC, EMCNode, Microenterprise, Partner

HUNDRED = Decimal(100)


def _pct(value, field: str, errors: dict) -> Decimal | None:
    try:
        pct = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field, []).append(_("Give a percentage such as 5 or 7.5."))
        return None
    if not pct.is_finite() or pct < 0 or pct > HUNDRED:
        errors.setdefault(field, []).append(_("A percentage lies between 0 and 100."))
        return None
    if pct != pct.quantize(Decimal("0.0001")):
        errors.setdefault(field, []).append(_("Use at most four decimal places."))
        return None
    return pct


@dataclass(frozen=True)
class ContractTerms:
    """Terms that passed `contract_terms_validate`, normalised for writing."""

    platform_fee_pct: Decimal
    base_rate_pct: Decimal
    holdback_pct: Decimal
    coinvest_return_pct: Decimal
    tiers: list[tuple[Decimal, Decimal]]
    partner_shares: list[tuple[Partner, Decimal]]
    node_shares: list[tuple[Microenterprise, Decimal]]
    goals: list[ContractGoal]


def contract_terms_validate(
    *,
    emc: EMC,
    currency: str,
    period: str,
    platform_fee_pct,
    target_minor: int,
    base_rate_pct,
    floor_minor: int = 0,
    cap_minor: int | None = None,
    holdback_pct=0,
    holdback_days: int = 0,
    min_payout_minor: int = 0,
    coinvest_return_pct=0,
    tiers: list[dict] = (),
    partner_shares: list[dict] = (),
    node_shares: list[dict] = (),
    goals: list[dict] = (),
    joining_mes: list[Microenterprise] = (),
) -> ContractTerms:
    """Validate a contract's whole terms (raise ValidationError with field errors): used when a
    draft is created AND again when it is approved, so an approved contract can always post.

    tiers: [{"threshold_pct", "rate_pct"}]; partner_shares: [{"partner": Partner, "share_pct"}];
    node_shares: [{"me": Microenterprise, "share_pct"}] summing to exactly 100;
    goals: [{"axis", "metric", "target", "unit"}]; joining_mes: MEs not seated yet that take a
    seat when the version is approved (an award's winner): they count as nodes of the EMC.
    """
    errors: dict[str, list] = {}
    try:
        currency_check(currency)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if period not in Contract.Period.values:
        errors["period"] = [_("Use month, quarter or year.")]
    fee = _pct(platform_fee_pct, "platform_fee_pct", errors)
    base = _pct(base_rate_pct, "base_rate_pct", errors)
    holdback = _pct(holdback_pct, "holdback_pct", errors)
    coinvest_return = _pct(coinvest_return_pct, "coinvest_return_pct", errors)
    if not isinstance(min_payout_minor, int) or min_payout_minor < 0:
        errors["min_payout_minor"] = [_("The minimum payout cannot be negative.")]
    if not isinstance(target_minor, int) or target_minor <= 0:
        errors["target_minor"] = [_("The period target must be more than zero.")]
    if not isinstance(floor_minor, int) or floor_minor < 0:
        errors["floor_minor"] = [_("The floor cannot be negative.")]
    if cap_minor is not None and (not isinstance(cap_minor, int) or cap_minor <= 0):
        errors["cap_minor"] = [_("The cap must be more than zero (or empty for none).")]
    elif cap_minor is not None and isinstance(floor_minor, int) and cap_minor < floor_minor:
        errors["cap_minor"] = [_("The cap cannot be below the floor.")]
    if not isinstance(holdback_days, int) or holdback_days < 0:
        errors["holdback_days"] = [_("Give a number of days (0 or more).")]

    tier_rows, last = [], None
    for tier in tiers:
        try:
            threshold = Decimal(str(tier["threshold_pct"]))
        except (InvalidOperation, KeyError):
            threshold = None
        rate = _pct(tier.get("rate_pct"), "tiers", errors)
        if (
            threshold is None
            or not threshold.is_finite()
            or threshold <= 0
            or (last is not None and threshold <= last)
        ):
            errors.setdefault("tiers", []).append(_("Tier thresholds are positive and strictly increasing."))
        else:
            last = threshold
        tier_rows.append((threshold, rate))

    partner_rows, seen = [], set()
    for share in partner_shares:
        partner = share["partner"]
        pct = _pct(share["share_pct"], "partner_shares", errors)
        if partner.pk in seen:
            errors.setdefault("partner_shares", []).append(_("%(p)s is listed twice.") % {"p": partner})
        seen.add(partner.pk)
        partner_rows.append((partner, pct))
    shares_known = fee is not None and all(p is not None for _partner, p in partner_rows)
    if shares_known and fee + sum((p for _partner, p in partner_rows), Decimal(0)) > HUNDRED:
        errors.setdefault("partner_shares", []).append(
            _("The platform fee and partner shares together exceed 100%.")
        )

    node_rows, seen = [], set()
    node_me_ids = (
        set(EMCNode.objects.filter(emc=emc).values_list("me_id", flat=True))
        | {emc.lead_me_id}
        | {me.pk for me in joining_mes}
    )
    live_me_ids = set(  # from the database: the instances given may predate a split or merge
        Microenterprise.objects.filter(
            pk__in=[share["me"].pk for share in node_shares], status__in=Microenterprise.LIVE_STATUSES
        ).values_list("id", flat=True)
    )
    for share in node_shares:
        me = share["me"]
        pct = _pct(share["share_pct"], "node_shares", errors)
        if me.pk in seen:
            errors.setdefault("node_shares", []).append(_("%(me)s is listed twice.") % {"me": me.code})
        if me.pk not in node_me_ids:
            errors.setdefault("node_shares", []).append(
                _("%(me)s is not a node of this EMC.") % {"me": me.code}
            )
        elif me.pk not in live_me_ids:
            errors.setdefault("node_shares", []).append(
                _("%(me)s is no longer active (split, merged or dissolved).") % {"me": me.code}
            )
        seen.add(me.pk)
        node_rows.append((me, pct))
    if not node_rows:
        errors.setdefault("node_shares", []).append(_("Give at least one node share."))
    elif all(p is not None for _me, p in node_rows) and sum(p for _me, p in node_rows) != HUNDRED:
        errors.setdefault("node_shares", []).append(_("Node shares must sum to exactly 100%."))

    goal_rows = []
    for goal in goals:
        if (
            goal.get("axis") not in ContractGoal.Axis.values
            or goal.get("metric") not in ContractGoal.Metric.values
        ):
            errors.setdefault("goals", []).append(_("Each goal needs a known axis and metric."))
            continue
        axis = goal_axis(goal["metric"])
        if axis and goal["axis"] != axis:  # the VAM: life-long users are user value (vertical), ...
            errors.setdefault("goals", []).append(
                _("%(metric)s is a %(axis)s goal in the VAM, not %(given)s.")
                % {
                    "metric": ContractGoal.Metric(goal["metric"]).label,
                    "axis": ContractGoal.Axis(axis).label,
                    "given": ContractGoal.Axis(goal["axis"]).label,
                }
            )
            continue
        try:
            target = Decimal(str(goal["target"]))
        except (InvalidOperation, KeyError):
            errors.setdefault("goals", []).append(_("Each goal needs a numeric target."))
            continue
        goal_rows.append(
            ContractGoal(axis=goal["axis"], metric=goal["metric"], target=target, unit=goal.get("unit", ""))
        )
    if errors:
        raise ValidationError(errors)
    return ContractTerms(fee, base, holdback, coinvest_return, tier_rows, partner_rows, node_rows, goal_rows)


def stored_terms(contract: Contract) -> dict:
    """A stored contract's terms in the shape `contract_terms_validate` takes."""
    return {
        "emc": contract.emc,
        "currency": contract.currency,
        "period": contract.period,
        "platform_fee_pct": contract.platform_fee_pct,
        "target_minor": contract.target_minor,
        "base_rate_pct": contract.base_rate_pct,
        "floor_minor": contract.floor_minor,
        "cap_minor": contract.cap_minor,
        "holdback_pct": contract.holdback_pct,
        "holdback_days": contract.holdback_days,
        "min_payout_minor": contract.min_payout_minor,
        "coinvest_return_pct": contract.coinvest_return_pct,
        "tiers": [
            {"threshold_pct": t.threshold_pct, "rate_pct": t.rate_pct}
            for t in contract.tiers.order_by("threshold_pct", "id")
        ],
        "partner_shares": [
            {"partner": s.partner, "share_pct": s.share_pct}
            for s in contract.partner_shares.select_related("partner").order_by("id")
        ],
        "node_shares": [
            {"me": s.me, "share_pct": s.share_pct}
            for s in contract.node_shares.select_related("me").order_by("id")
        ],
        "goals": [
            {"axis": g.axis, "metric": g.metric, "target": g.target, "unit": g.unit}
            for g in contract.goals.order_by("id")
        ],
    }


def tier_gates_validate(*, contract: Contract, gates: list[dict]) -> list[tuple]:
    """Validate tier gates of a contract version: [{"threshold_pct", "metric"}], each making a
    tier's rate depend on a VAM vertical goal of the contract being met (payouts applies them).
    Returns [(ContractTier, ContractGoal)]; raises ValidationError {"gates": [...]}: an unknown
    metric, a goal on the wrong axis (only vertical, user-value goals gate a tier), a goal the
    contract does not have, a threshold that is not one of its tiers, a tier gated twice."""
    errors, rows, seen = [], [], set()
    tiers = {Decimal(t.threshold_pct).normalize(): t for t in contract.tiers.all()}
    goals = {(g.axis, g.metric): g for g in contract.goals.all()}
    for gate in gates:
        metric = gate.get("metric")
        axis = goal_axis(metric) if isinstance(metric, str) else ""
        if not axis:
            errors.append(_("%(metric)s is not a VAM goal metric.") % {"metric": metric})
            continue
        if axis != ContractGoal.Axis.VERTICAL:
            errors.append(
                _("%(metric)s is a %(axis)s goal in the VAM; only a vertical goal gates a tier.")
                % {"metric": ContractGoal.Metric(metric).label, "axis": ContractGoal.Axis(axis).label}
            )
            continue
        goal = goals.get((ContractGoal.Axis.VERTICAL, metric))
        if goal is None:
            errors.append(
                _("The contract has no %(metric)s goal: add the goal first.")
                % {"metric": ContractGoal.Metric(metric).label}
            )
            continue
        try:
            threshold = Decimal(str(gate.get("threshold_pct"))).normalize()
        except (InvalidOperation, ValueError):
            threshold = None
        tier = tiers.get(threshold)
        if tier is None:
            errors.append(
                _("%(t)s is not a tier threshold of this contract.") % {"t": gate.get("threshold_pct")}
            )
            continue
        if tier.pk in seen:
            errors.append(_("The tier from %(t)s%% is gated twice.") % {"t": gate.get("threshold_pct")})
            continue
        seen.add(tier.pk)
        rows.append((tier, goal))
    if errors:
        raise ValidationError({"gates": errors})
    return rows
