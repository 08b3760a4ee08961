"""What-if: a closed (or open) period's events run again under other payout terms (a draft
contract version, or changed rates), per ME and member, beside the report's real figures.
Nothing is written or posted. Partner shares and the platform fee are the ledger's postings and
do not change here; the what-if changes what becomes pay."""

import dataclasses
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from ledger.models import Contract
from orgs.models import EMC, Membership
from payouts import calc
from payouts.models import PayoutLine, PayoutReport
from payouts.services.compute import accruals_compute, goals_gate

HUNDRED = Decimal(100)


def _pct(value, field: str, errors: dict) -> Decimal | None:
    try:
        pct = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        pct = None
    if (
        pct is None
        or not pct.is_finite()
        or pct < 0
        or pct > HUNDRED
        or pct != pct.quantize(Decimal("0.0001"))
    ):
        errors.setdefault(field, []).append(
            _("A rate is a percentage from 0 to 100 with at most four decimals.")
        )
        return None
    return pct


def _changed_terms(base: calc.RuleTerms, *, contract: Contract | None, changes: dict) -> calc.RuleTerms:
    errors: dict = {}
    terms = base
    if contract is not None:
        tiers = tuple(contract.tiers.order_by("threshold_pct").values_list("threshold_pct", "rate_pct"))
        terms = dataclasses.replace(
            base,
            contract_id=contract.pk,
            version=contract.version,
            target_minor=contract.target_minor,
            base_rate_pct=contract.base_rate_pct,
            floor_minor=contract.floor_minor,
            cap_minor=contract.cap_minor,
            tiers=tiers,
        )
    replace = {}
    if "base_rate_pct" in changes:
        replace["base_rate_pct"] = _pct(changes["base_rate_pct"], "base_rate_pct", errors)
    for name in ("target_minor", "floor_minor", "cap_minor"):
        if name in changes:
            value = changes[name]
            low = 1 if name == "target_minor" else 0
            if value is None and name == "cap_minor":
                replace[name] = None
            elif not isinstance(value, int) or isinstance(value, bool) or value < low:
                errors[name] = [_("Give a whole number of minor units of at least %(n)s.") % {"n": low}]
            else:
                replace[name] = value
    if "tiers" in changes:
        rows, last = [], None
        for tier in changes["tiers"] or ():
            try:
                threshold = Decimal(str(tier["threshold_pct"]))
            except (InvalidOperation, KeyError, TypeError):
                threshold = None
            rate = _pct(tier.get("rate_pct") if isinstance(tier, dict) else None, "tiers", errors)
            if (
                threshold is None
                or not threshold.is_finite()
                or threshold <= 0
                or (last is not None and threshold <= last)
            ):
                errors.setdefault("tiers", []).append(
                    _("Tier thresholds are positive and strictly increasing.")
                )
            else:
                last = threshold
            rows.append((threshold, rate))
        replace["tiers"] = tuple(rows)
    if errors:
        raise ValidationError(errors)
    return dataclasses.replace(terms, **replace)


def payout_what_if(
    *, actor, report: PayoutReport, emc: EMC, contract: Contract | None = None, **changes
) -> dict:
    """Per ME (and member) of `emc` in the report's period: the report's capped accrual beside what
    the changed terms would have accrued (capped), and the difference; members by the period's
    weight x days (before holdback and carry). Invalid rates are field errors; nothing is written."""
    if actor is None or not actor.has_perm("payouts.view_reports"):
        raise PermissionDenied(_("You may not run a what-if."))
    if contract is not None and (contract.emc_id != emc.pk or contract.currency != report.period.currency):
        raise ValidationError(
            {"contract": [_("Give a contract version of this EMC, in the report's currency.")]}
        )
    period = report.period
    real = accruals_compute(kind=period.kind, start=period.start, end=period.end, currency=period.currency)
    if emc.pk not in real:
        raise ValidationError({"emc": [_("This EMC has no lines in this report's period.")]})
    result = real[emc.pk]
    alt_terms = _changed_terms(result.terms, contract=contract, changes=changes)
    if contract is not None:  # the draft's own tier gates, judged by the same scored night
        gated = goals_gate({emc.pk: (alt_terms, [alt_terms])}, start=period.start, end=period.end)
        alt_terms = gated[emc.pk][0] if emc.pk in gated else dataclasses.replace(alt_terms, gated=frozenset())
    alt, _value = calc.emc_accrue(
        terms_on=lambda _day: alt_terms,
        emc_days=result.data["emc_days"].items(),
        me_days=result.data["me_days"],
    )
    stored = {
        line.me_id: line.capped_minor
        for line in PayoutLine.objects.filter(report=report, emc=emc, kind=PayoutLine.Kind.ME)
    }
    mes = []
    for me_id in sorted(set(result.accruals) | set(alt)):
        now = (
            calc.cap_apply(result.accruals[me_id].accrued_minor, result.terms.cap_minor)
            if me_id in result.accruals
            else 0
        )
        then = calc.cap_apply(alt[me_id].accrued_minor, alt_terms.cap_minor) if me_id in alt else 0
        mes.append(
            {
                "me": me_id,
                "report_minor": stored.get(me_id, now),
                "what_if_minor": then,
                "difference_minor": then - stored.get(me_id, now),
            }
        )
    rows = defaultdict(list)
    for me_id, user_id, weight, joined_on, left_on in Membership.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=period.start),
        me_id__in=[m["me"] for m in mes],
        joined_on__lte=period.end,
    ).values_list("me_id", "user_id", "weight", "joined_on", "left_on"):
        rows[me_id].append((user_id, weight, joined_on, left_on))
    members = []
    for m in mes:  # the same weights split both figures (before holdback and carry)
        weights = calc.weight_days(rows[m["me"]], period.start, period.end)
        real_split = calc.members_split(m["report_minor"], weights)
        alt_split = calc.members_split(m["what_if_minor"], weights)
        for user_id in sorted(weights):
            members.append(
                {
                    "me": m["me"],
                    "user": user_id,
                    "report_minor": real_split.get(user_id, 0),
                    "what_if_minor": alt_split.get(user_id, 0),
                }
            )
    return {
        "emc": emc.pk,
        "currency": period.currency,
        "emc_value_minor": result.value_minor,
        "terms": {
            "base_rate_pct": str(alt_terms.base_rate_pct),
            "target_minor": alt_terms.target_minor,
            "floor_minor": alt_terms.floor_minor,
            "cap_minor": alt_terms.cap_minor,
            "tiers": [{"threshold_pct": str(t), "rate_pct": str(r)} for t, r in alt_terms.tiers],
        },
        "mes": mes,
        "members": members,
    }
