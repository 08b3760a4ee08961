"""Writes of the ledger: contracts, value events, refunds, reversals and user signals.

Each service owns its DB transaction and leaves an audit row where the design asks for one.
Posting itself goes through `ledger.posting` (one code path for one event and for imports).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from ledger.allocation import Rule
from ledger.locks import rows_lock
from ledger.models import (
    Contract,
    ContractGoal,
    ContractNodeShare,
    ContractPartnerShare,
    ContractTier,
    Leg,
    Source,
    Transaction,
    UserSignal,
    ValueEvent,
)
from ledger.money import currency_check, to_minor
from ledger.posting import LegRow, ValueEventSpec, check_balanced, legs_write, value_events_post
from ledger.user_signals import UserSignalSpec, user_signals_post
from orgs.audit import audit_record
from orgs.models import EMC, EMCNode, Microenterprise, Partner

HUNDRED = Decimal(100)

# --- contracts -----------------------------------------------------------------------------


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
    tiers: list[dict] = (),
    partner_shares: list[dict] = (),
    node_shares: list[dict] = (),
    goals: list[dict] = (),
) -> ContractTerms:
    """Validate a contract's whole terms (raise ValidationError with field errors): used when a
    draft is created AND again when it is approved, so an approved contract can always post.

    tiers: [{"threshold_pct", "rate_pct"}]; partner_shares: [{"partner": Partner, "share_pct"}];
    node_shares: [{"me": Microenterprise, "share_pct"}] summing to exactly 100;
    goals: [{"axis", "metric", "target", "unit"}].
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
    node_me_ids = set(EMCNode.objects.filter(emc=emc).values_list("me_id", flat=True)) | {emc.lead_me_id}
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
    return ContractTerms(fee, base, holdback, tier_rows, partner_rows, node_rows, goal_rows)


def _stored_terms(contract: Contract) -> dict:
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


@transaction.atomic
def contract_draft_create(
    *,
    actor,
    emc: EMC,
    effective_from: dt.date,
    currency: str,
    period: str,
    platform_fee_pct,
    target_minor: int,
    base_rate_pct,
    floor_minor: int = 0,
    cap_minor: int | None = None,
    holdback_pct=0,
    holdback_days: int = 0,
    tiers: list[dict] = (),
    partner_shares: list[dict] = (),
    node_shares: list[dict] = (),
    goals: list[dict] = (),
    notes: str = "",
) -> Contract:
    """Create the next draft version of an EMC's contract with its full terms, validated
    (see `contract_terms_validate` for the shapes of the lists)."""
    terms = contract_terms_validate(
        emc=emc,
        currency=currency,
        period=period,
        platform_fee_pct=platform_fee_pct,
        target_minor=target_minor,
        base_rate_pct=base_rate_pct,
        floor_minor=floor_minor,
        cap_minor=cap_minor,
        holdback_pct=holdback_pct,
        holdback_days=holdback_days,
        tiers=tiers,
        partner_shares=partner_shares,
        node_shares=node_shares,
        goals=goals,
    )
    fee, base, holdback = terms.platform_fee_pct, terms.base_rate_pct, terms.holdback_pct
    tier_rows, partner_rows, node_rows, goal_rows = (
        terms.tiers,
        terms.partner_shares,
        terms.node_shares,
        terms.goals,
    )

    EMC.objects.select_for_update().filter(pk=emc.pk).first()  # serialize version numbers per EMC
    version = (Contract.objects.filter(emc=emc).aggregate(v=Max("version"))["v"] or 0) + 1
    contract = Contract.objects.create(
        emc=emc,
        version=version,
        effective_from=effective_from,
        currency=currency,
        period=period,
        platform_fee_pct=fee,
        target_minor=target_minor,
        base_rate_pct=base,
        floor_minor=floor_minor,
        cap_minor=cap_minor,
        holdback_pct=holdback,
        holdback_days=holdback_days,
        notes=notes,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    ContractTier.objects.bulk_create(
        [ContractTier(contract=contract, threshold_pct=t, rate_pct=r) for t, r in tier_rows]
    )
    ContractPartnerShare.objects.bulk_create(
        [ContractPartnerShare(contract=contract, partner=p, share_pct=s) for p, s in partner_rows]
    )
    ContractNodeShare.objects.bulk_create(
        [ContractNodeShare(contract=contract, me=m, share_pct=s) for m, s in node_rows]
    )
    for goal in goal_rows:
        goal.contract = contract
    ContractGoal.objects.bulk_create(goal_rows)
    audit_record(actor=actor, action="ledger.contract_draft", target=contract, changes={"version": version})
    return contract


def _require(actor, perm: str, obj=None) -> None:
    if actor is not None and not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


@transaction.atomic
def contract_approve(*, actor, contract: Contract) -> Contract:
    """Approve a draft (platform admins only); from then on it is immutable."""
    _require(actor, "ledger.approve_contract")
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != Contract.Status.DRAFT:
        raise ConflictError(
            _("Only a draft can be approved; this contract is %(s)s.") % {"s": locked.get_status_display()}
        )
    # the stored terms are validated again, whole: whatever happened to the draft since it was
    # created, an approved contract must be one every posting of its EMC can apply
    contract_terms_validate(**_stored_terms(locked))
    updated = Contract.objects.filter(pk=locked.pk, status=Contract.Status.DRAFT).update(
        status=Contract.Status.APPROVED, approved_by=actor, approved_at=timezone.now()
    )
    if not updated:
        raise ConflictError(_("This contract changed meanwhile."))
    locked.refresh_from_db()
    audit_record(actor=actor, action="ledger.contract_approve", target=locked, changes={"status": "approved"})
    return locked


@transaction.atomic
def contract_withdraw(*, actor, contract: Contract, reason: str = "") -> Contract:
    """Withdraw a draft or approved contract: it no longer applies to new events."""
    _require(actor, "ledger.approve_contract")
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status == Contract.Status.WITHDRAWN:
        raise ConflictError(_("This contract is already withdrawn."))
    previous = locked.status
    Contract.objects.filter(pk=locked.pk).update(status=Contract.Status.WITHDRAWN)
    locked.refresh_from_db()
    audit_record(
        actor=actor,
        action="ledger.contract_withdraw",
        target=locked,
        changes={"status": [previous, "withdrawn"]},
        reason=reason,
    )
    return locked


# --- value events --------------------------------------------------------------------------


def _existing_by_key(model, actor, key):
    if not key or actor is None or not actor.is_authenticated:
        return None
    found = model.objects.filter(logged_by=actor, idempotency_key=key).first()
    if found is not None:
        found.replayed = True
    return found


def value_event_log(
    *,
    actor,
    me: Microenterprise,
    emc: EMC,
    scenario,
    category,
    user_ref: str,
    amount: Decimal | str,
    currency: str,
    occurred_at: dt.datetime,
    solution=None,
    customized: bool = False,
    partners: list[Partner] = (),
    note: str = "",
    idempotency_key: str | None = None,
    source: str = Source.UI,
) -> ValueEvent:
    """Log a user payment and post its split by the contract in force at occurred-at.

    With an `idempotency_key` already used by this actor, return that event (`.replayed` is
    True) and write nothing: a second submit of the same form does not post twice.
    """
    existing = _existing_by_key(ValueEvent, actor, idempotency_key)
    if existing is not None:
        return existing
    errors = {}
    try:
        currency_check(currency)
        amount_minor = to_minor(amount, currency)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        amount_minor = 0
    if not errors and amount_minor <= 0:
        errors["amount"] = [_("The amount must be more than zero.")]
    spec = ValueEventSpec(
        kind=ValueEvent.Kind.PAYMENT,
        me_id=me.pk if me else None,
        emc_id=emc.pk if emc else None,
        scenario_id=scenario.pk if scenario else None,
        solution_id=solution.pk if solution else None,
        category_id=category.pk if category else None,
        user_ref=user_ref,
        amount_minor=amount_minor,
        currency=currency,
        occurred_at=occurred_at,
        customized=customized,
        partner_ids=tuple(p.pk for p in partners),
        note=note,
        idempotency_key=idempotency_key or None,
    )
    return _post_one(spec, actor=actor, source=source, errors=errors)


def _post_one(spec, *, actor, source, errors) -> ValueEvent:
    try:
        if errors:  # report money errors together with the rest
            try:
                value_events_post(specs=[spec], actor=actor, source=source)
            except ValidationError as exc:
                for name, msgs in exc.message_dict.items():
                    if name not in errors:
                        errors[name] = msgs
            raise ValidationError(errors)
        # value_events_post owns the DB transaction (no extra savepoint round trips here)
        event = value_events_post(specs=[spec], actor=actor, source=source)[0]
    except IntegrityError:
        # two identical submits raced: the other one posted; show it
        existing = _existing_by_key(ValueEvent, actor, spec.idempotency_key)
        if existing is None:
            raise
        return existing
    event.replayed = False
    return event


def value_event_refund(
    *,
    actor,
    original: ValueEvent,
    amount: Decimal | str,
    occurred_at: dt.datetime,
    user_ref: str | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    source: str = Source.UI,
    currency: str | None = None,
) -> ValueEvent:
    """Refund part or all of a payment: reverses its shares proportionally (see allocation).

    A refund is in the payment's currency; a `currency` given that differs is refused (field
    error on currency), never converted or reinterpreted."""
    existing = _existing_by_key(ValueEvent, actor, idempotency_key)
    if existing is not None:
        return existing
    errors = {}
    try:
        amount_minor = to_minor(amount, original.currency)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        amount_minor = 0
    spec = ValueEventSpec(
        kind=ValueEvent.Kind.REFUND,
        user_ref=user_ref or original.user_ref,
        amount_minor=amount_minor,
        currency=currency or original.currency,
        occurred_at=occurred_at,
        original_id=original.pk,
        note=note,
        idempotency_key=idempotency_key or None,
    )
    return _post_one(spec, actor=actor, source=source, errors=errors)


# --- reversals -----------------------------------------------------------------------------


@transaction.atomic
def transaction_reverse(
    *, actor, txn: Transaction, reason: str, effective_on: dt.date | None = None
) -> Transaction:
    """Post the exact negation of a transaction, linked to it (a transaction reverses once)."""
    _require(actor, "ledger.reverse")
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why this transaction is reversed.")})
    # lock the payment FIRST, as refunds of it do (ledger.posting): a refund and a reversal of
    # one payment serialize, and in one order (event, then transaction). Advisory locks per
    # row, since the application role may not SELECT ... FOR UPDATE append-only rows (ledger.locks)
    posted = ValueEvent.objects.filter(transaction_id=txn.pk).values_list("id", "kind", "original_id").first()
    if posted is not None:
        event_id, kind, original_id = posted
        payment_id = event_id if kind == ValueEvent.Kind.PAYMENT else original_id
        rows_lock(ValueEvent, [payment_id])
    rows_lock(Transaction, [txn.pk])
    locked = Transaction.objects.get(pk=txn.pk)
    if locked.kind == Transaction.Kind.REVERSAL:
        raise ConflictError(_("A reversal cannot itself be reversed; post a new transaction instead."))
    if Transaction.objects.filter(reverses=locked).exists():
        raise ConflictError(_("This transaction is already reversed."))
    event = ValueEvent.objects.filter(transaction=locked).first()
    if event is not None and event.kind == ValueEvent.Kind.PAYMENT:
        live_refunds = ValueEvent.objects.filter(original=event, transaction__reversed_by__isnull=True)
        if live_refunds.exists():
            raise ConflictError(_("Reverse this payment's refunds first."))
    day = effective_on or timezone.localdate()
    reversal = Transaction.objects.create(
        kind=Transaction.Kind.REVERSAL,
        effective_on=day,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
        memo=reason.strip()[:255],
        contract_id=locked.contract_id,
        reverses=locked,
    )
    legs = [
        LegRow(
            transaction_id=reversal.pk,
            account_id=leg.account_id,
            currency=leg.currency,
            amount_minor=-leg.amount_minor,
            effective_on=day,
            rule=Rule.REVERSAL,
            contract_id=leg.contract_id,
            basis={"reverses_leg": leg.pk, "original_rule": leg.rule},
        )
        for leg in Leg.objects.filter(transaction=locked).order_by("id")
    ]
    check_balanced({reversal.pk: legs})
    legs_write(legs)
    audit_record(
        actor=actor,
        action="ledger.transaction_reverse",
        target=locked,
        changes={"reversal": reversal.pk},
        reason=reason,
    )
    return reversal


# --- user signals --------------------------------------------------------------------------


def user_signal_log(
    *,
    actor,
    kind: str,
    me: Microenterprise,
    emc: EMC,
    user_ref: str,
    occurred_at: dt.datetime,
    scenario=None,
    solution=None,
    rating: int | None = None,
    expectation: int | None = None,
    co_creation_kind: str | None = None,
    products_owned: int | None = None,
    related_purchase: bool | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    source: str = Source.UI,
) -> UserSignal:
    """Log one user signal (rating, co-creation, story, ownership) through the batch path."""
    existing = _existing_by_key(UserSignal, actor, idempotency_key)
    if existing is not None:
        return existing
    spec = UserSignalSpec(
        kind=kind,
        me_id=me.pk if me else None,
        emc_id=emc.pk if emc else None,
        scenario_id=scenario.pk if scenario else None,
        solution_id=solution.pk if solution else None,
        user_ref=user_ref,
        occurred_at=occurred_at,
        rating=rating,
        expectation=expectation,
        co_creation_kind=co_creation_kind or None,
        products_owned=products_owned,
        related_purchase=related_purchase,
        note=note,
        idempotency_key=idempotency_key or None,
    )
    try:
        with transaction.atomic():
            signal = user_signals_post(specs=[spec], actor=actor, source=source)[0]
    except IntegrityError:
        existing = _existing_by_key(UserSignal, actor, idempotency_key)
        if existing is None:
            raise
        return existing
    signal.replayed = False
    return signal
