"""Writes of the ledger, the one way in: contracts, value events (one or a batch), refunds,
reversals, user signals and CSV imports.

Every interface (web form, single and batch API, CSV upload, admin action, Celery task, the
nightly jobs, the demo loader) calls one of these. Each owns its DB transaction, asks the
permission to log for an ME once per ME (`ledger.permissions`), and leaves an audit row where
the design asks for one. Posting itself goes through the engine `ledger.posting` (one code
path for one event and for imports), CSV files through `ledger.imports`.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from ledger import permissions
from ledger.allocation import Rule
from ledger.contract_terms import contract_terms_validate, stored_terms
from ledger.imports import batches, jobs, liveness
from ledger.imports.progress import progress_reporter
from ledger.locks import rows_lock
from ledger.models import (
    Account,
    Contract,
    ContractGoal,
    ContractNodeShare,
    ContractPartnerShare,
    ContractTier,
    ImportBatch,
    Leg,
    PurposeIndicator,
    Source,
    Transaction,
    UserSignal,
    ValueEvent,
)
from ledger.money import to_minor
from ledger.posting.accounts import accounts_get_or_create
from ledger.posting.engine import batch_plan, batch_write
from ledger.posting.legs import LegRow, check_balanced
from ledger.posting.rollups import legs_write
from ledger.posting.specs import BatchValidationError, Planned, ValueEventSpec
from ledger.purpose_indicators import PurposeIndicatorSpec, purpose_indicators_post
from ledger.signals import contract_approving
from ledger.user_signals import UserSignalSpec, user_signals_plan, user_signals_write
from orgs.audit import audit_record
from orgs.currencies import currency_check
from orgs.models import EMC, Microenterprise, Partner

log = logging.getLogger(__name__)

# --- contracts -----------------------------------------------------------------------------


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
    min_payout_minor: int = 0,
    coinvest_return_pct=0,
    tiers: list[dict] = (),
    partner_shares: list[dict] = (),
    node_shares: list[dict] = (),
    goals: list[dict] = (),
    notes: str = "",
    joining_mes: list[Microenterprise] = (),
) -> Contract:
    """Create the next draft version of an EMC's contract with its full terms, validated
    (see `contract_terms_validate` for the shapes of the lists). `joining_mes` take a seat when
    the version is approved (an award's winner, seated by a `contract_approving` receiver)."""
    terms = contract_terms_validate(
        emc=emc,
        joining_mes=joining_mes,
        currency=currency,
        period=period,
        platform_fee_pct=platform_fee_pct,
        target_minor=target_minor,
        base_rate_pct=base_rate_pct,
        floor_minor=floor_minor,
        cap_minor=cap_minor,
        holdback_pct=holdback_pct,
        holdback_days=holdback_days,
        min_payout_minor=min_payout_minor,
        coinvest_return_pct=coinvest_return_pct,
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
        min_payout_minor=min_payout_minor,
        coinvest_return_pct=terms.coinvest_return_pct,
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
    """Approve a draft (platform admins only, never the one who drafted it: four eyes on every
    version); from then on it is immutable."""
    _require(actor, "ledger.approve_contract")
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != Contract.Status.DRAFT:
        raise ConflictError(
            _("Only a draft can be approved; this contract is %(s)s.") % {"s": locked.get_status_display()}
        )
    if locked.created_by_id is not None and locked.created_by_id == actor.pk:
        raise PermissionDenied(_("You drafted this version: another admin approves it."))
    contract_approving.send(sender=Contract, contract=locked, actor=actor)
    # the stored terms are validated again, whole: whatever happened to the draft since it was
    # created, an approved contract must be one every posting of its EMC can apply
    contract_terms_validate(**stored_terms(locked))
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


def _raise_row_errors(errors: dict, n_specs: int) -> None:
    """A batch of one raises its field errors; a larger batch raises them by row."""
    if n_specs == 1:
        raise ValidationError(errors[0])
    raise BatchValidationError(errors)


def _events_planned(specs, *, actor, now, message) -> tuple[Planned, dict]:
    """Plan a batch (caller's transaction) and ask the permission once per ME: (plan, errors)."""
    planned = batch_plan(specs, now=now)
    refused = permissions.refused_rows(actor=actor, specs=specs, mes=planned.ctx.mes, message=message)
    return planned, permissions.with_refusals(planned.errors, refused)


def value_events_log(
    *,
    specs: list[ValueEventSpec],
    actor,
    source: str = Source.API,
    now: dt.datetime | None = None,
    message=permissions.NOT_YOURS_NAMED,
    as_ids: bool = False,
) -> list[ValueEvent] | list[int]:
    """Post a batch of events all or none, in one DB transaction, as `actor`: a user (who must
    be allowed to log for every ME of the batch, asked once per ME) or None, the system (the
    nightly jobs, the demo, the synthetic-ecosystem generator).

    Returns the ValueEvents with `.transaction`, or with `as_ids` only their ids in the specs'
    order (bulk writers: building a model instance per row cost ~9% of a large batch). Raises BatchValidationError (`row_errors`:
    {index: {field: [messages]}}) and writes nothing when any spec is bad; a batch of one
    raises its field errors as a ValidationError.
    """
    now = now or timezone.now()
    with transaction.atomic():
        planned, errors = _events_planned(specs, actor=actor, now=now, message=message)
        if errors:
            _raise_row_errors(errors, len(specs))
        return batch_write(planned, actor=actor, source=source, now=now, objects=not as_ids)


def value_events_check(
    *, specs: list[ValueEventSpec], actor, now: dt.datetime | None = None, message=permissions.NOT_YOURS_NAMED
) -> dict[int, dict[str, list[str]]]:
    """What `value_events_log` would refuse, by row, without writing (empty when all is valid)."""
    with transaction.atomic():  # refunds lock their payments while planning
        _planned, errors = _events_planned(specs, actor=actor, now=now or timezone.now(), message=message)
    return errors


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
    """Log a user payment and post its split by the contract in force at occurred-at; `actor`
    must be allowed to log for `me` (a refusal is a field error on `me`).

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
    """Post one event; money errors found before the engine are reported with its own."""
    single = permissions.NOT_YOURS
    try:
        if errors:  # report money errors together with the rest
            found = value_events_check(specs=[spec], actor=actor, message=single).get(0, {})
            if "currency" in errors:  # the amount was not converted: the engine saw a placeholder
                found.pop("amount", None)
            raise ValidationError({**found, **errors})
        # value_events_log owns the DB transaction (no extra savepoint round trips here)
        event = value_events_log(specs=[spec], actor=actor, source=source, message=single)[0]
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


def is_payables(txn: Transaction) -> bool:
    """Whether `txn` posts payables (payables_post): it moves value into a payable account. Such a
    transaction belongs to a locked payout report and is undone only through that report."""
    return (
        txn.kind == Transaction.Kind.ADJUSTMENT
        and txn.legs.filter(account__kind=Account.Kind.PAYABLE).exists()
    )


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
    if is_payables(locked):
        raise ConflictError(
            _("A payables transaction is not reversed here; it is undone through the payout report.")
        )
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
        signal = user_signals_log(specs=[spec], actor=actor, source=source)[0]
    except IntegrityError:
        existing = _existing_by_key(UserSignal, actor, idempotency_key)
        if existing is None:
            raise
        return existing
    signal.replayed = False
    return signal


def _signals_checked(specs, *, actor, now) -> dict:
    errors, ctx = user_signals_plan(specs=specs, now=now)
    refused = permissions.refused_rows(
        actor=actor, specs=specs, mes=ctx.mes, message=permissions.SIGNALS_NOT_YOURS
    )
    return permissions.with_refusals(errors, refused)


def user_signals_log(
    *, specs: list[UserSignalSpec], actor, source: str = Source.API, now: dt.datetime | None = None
) -> list[UserSignal]:
    """Log a batch of user signals all or none, as `actor` (a user allowed for every ME of the
    batch, asked once per ME) or None, the system. Raises like `value_events_log`."""
    now = now or timezone.now()
    errors = _signals_checked(specs, actor=actor, now=now)
    if errors:
        _raise_row_errors(errors, len(specs))
    return user_signals_write(specs=specs, actor=actor, source=source, now=now)


def user_signals_check(
    *, specs: list[UserSignalSpec], actor, now: dt.datetime | None = None
) -> dict[int, dict[str, list[str]]]:
    """What `user_signals_log` would refuse, by row, without writing."""
    return _signals_checked(specs, actor=actor, now=now or timezone.now())


# --- CSV imports ---------------------------------------------------------------------------


def import_start(*, actor, kind: str, upload, filename: str, commit: bool = False) -> ImportBatch:
    """Validate an upload whole (with `commit`, and post it all or nothing): within this call for
    a file of up to LEDGER_IMPORT_INLINE_ROWS rows, else queued for a task (the batch returned is
    then in progress)."""
    if jobs.runs_in_background(jobs.rows_estimate(upload)):
        batch = jobs.import_queue(actor=actor, kind=kind, upload=upload, filename=filename, commit=commit)
        batch.refresh_from_db()  # without a broker the task ran already: answer with its outcome
        return batch
    return batches.import_batch_create(
        actor=actor, kind=kind, upload=upload, filename=filename, commit=commit
    )


def import_post_start(*, actor, batch: ImportBatch) -> ImportBatch:
    """Post a validated batch (by its uploader): within this call when it is small, else queued
    (`posting`)."""
    if jobs.runs_in_background(batch.rows):
        batch = jobs.import_post_queue(actor=actor, batch=batch)
        batch.refresh_from_db()  # as import_start
        return batch
    return batches.import_batch_post(actor=actor, batch=batch)


IMPORT_PHASES = {
    "validating": (ImportBatch.Status.VALIDATING, batches.import_batch_validate),
    "posting": (ImportBatch.Status.POSTING, batches.import_batch_post_now),
}


def import_task_run(*, batch_id: int, phase: str) -> str:
    """The background task's work on a batch (phase `validating` or `posting`); returns the
    batch's status. A batch no longer in that phase (gone, or done by an earlier delivery of
    the task) is left alone; an unexpected error fails it, with nothing posted, and re-raises."""
    status, job = IMPORT_PHASES[phase]
    with liveness.held(batch_id):  # while held, the batch is known to be worked on
        batch = ImportBatch.objects.select_related("created_by").filter(pk=batch_id).first()
        if batch is None or batch.status != status:
            return batch.status if batch else "missing"
        ImportBatch.objects.filter(pk=batch_id, status=status).update(started_at=timezone.now())
        try:
            batch = job(batch=batch, progress=progress_reporter(batch_id, phase))
        except Exception:
            log.exception("import %s stopped", batch_id)
            batches.import_batch_fail(batch=batch, message=batches.STOPPED_MESSAGE)
            raise
        return batch.status


def imports_dead_fail(*, batches_in_progress=None, now: dt.datetime | None = None) -> list[int]:
    """Fail the in-progress batches whose task is known to have stopped (its process died: see
    `ledger.imports.liveness`); nothing of them was posted. Returns their ids. Called by the
    sweep (every minute) and whenever an in-progress batch is shown, so its status never says
    `posting` for a task that is gone."""
    candidates = (
        batches_in_progress
        if batches_in_progress is not None
        else list(
            ImportBatch.objects.filter(status__in=ImportBatch.IN_PROGRESS).only(
                "pk", "queued_at", "started_at"
            )
        )
    )
    in_progress = [b for b in candidates if b.status in ImportBatch.IN_PROGRESS]
    failed = []
    for batch_id in liveness.dead(in_progress, now=now):
        fail = batches.import_batch_fail(
            batch=ImportBatch(pk=batch_id), message=batches.DIED_MESSAGE, column=batches.DIED_COLUMN
        )
        if fail.status == ImportBatch.Status.FAILED:
            failed.append(batch_id)
            log.warning("import %s: its task stopped (process gone); failed, nothing posted", batch_id)
    return failed


def import_batch_settle(*, batch: ImportBatch) -> ImportBatch:
    """The batch as it truly is: one still `validating`/`posting` whose task died is failed first."""
    if batch.status in ImportBatch.IN_PROGRESS and imports_dead_fail(batches_in_progress=[batch]):
        batch.refresh_from_db()
    return batch


def imports_stale_fail(*, now: dt.datetime | None = None) -> int:
    """Fail the batches whose task died (`imports_dead_fail`), and those queued more than
    LEDGER_IMPORT_STALE_HOURS ago and not finished: the worker never took the task. A
    posting either committed whole (then the batch is `posted`) or not at all, so nothing was
    posted for them. Returns how many were failed."""
    failed_dead = len(imports_dead_fail(now=now))
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.LEDGER_IMPORT_STALE_HOURS)
    stale = ImportBatch.objects.filter(status__in=ImportBatch.IN_PROGRESS, queued_at__lt=cutoff)
    failed = 0
    for batch in stale.only("pk"):
        if (
            batches.import_batch_fail(batch=batch, message=batches.STOPPED_MESSAGE).status
            == ImportBatch.Status.FAILED
        ):
            failed += 1
    return failed + failed_dead


# --- purpose indicators --------------------------------------------------------------------


def purpose_indicator_log(
    *,
    actor,
    kind: str,
    me: Microenterprise,
    emc: EMC,
    on: dt.date,
    quantity,
    unit: str,
    note: str = "",
    idempotency_key: str | None = None,
    source: str = Source.UI,
) -> PurposeIndicator:
    """Log one purpose indicator (kg CO2e avoided, kWh saved, units recycled, people served)."""
    existing = _existing_by_key(PurposeIndicator, actor, idempotency_key)
    if existing is not None:
        return existing
    spec = PurposeIndicatorSpec(
        kind=kind,
        me_id=me.pk if me else None,
        emc_id=emc.pk if emc else None,
        on=on,
        quantity=quantity,
        unit=(unit or "").strip(),
        note=note,
        idempotency_key=idempotency_key or None,
    )
    try:
        with transaction.atomic():
            indicator = purpose_indicators_post(specs=[spec], actor=actor, source=source)[0]
            audit_record(
                actor=actor,
                action="ledger.purpose_indicator_log",
                target=indicator,
                changes={
                    "kind": kind,
                    "quantity": str(indicator.quantity),
                    "unit": indicator.unit,
                    "on": str(on),
                },
            )
    except IntegrityError:
        existing = _existing_by_key(PurposeIndicator, actor, idempotency_key)
        if existing is None:
            raise
        return existing
    indicator.replayed = False
    return indicator


# --- payables (the payouts app locks a report through this) ----------------------------------


@transaction.atomic
def payables_post(
    *,
    actor,
    currency: str,
    effective_on: dt.date,
    memo: str,
    me_amounts: dict[int, int],
    platform_minor: int = 0,
    basis: dict | None = None,
) -> Transaction:
    """Post one balanced ADJUSTMENT moving what is payable out of the MEs' accounts (and what the
    platform owes, e.g. returned co-investments) into `payable:<currency>`.

    me_amounts: {me_id: minor units > 0}. The caller makes it happen once (the payouts report
    keeps the transaction in a unique field, under its row lock)."""
    amounts = {me_id: amount for me_id, amount in me_amounts.items() if amount}
    if any(amount < 0 for amount in amounts.values()) or platform_minor < 0:
        raise ValidationError(_("A payable is never negative."))
    total = sum(amounts.values()) + platform_minor
    if total <= 0:
        raise ValidationError(_("Nothing is payable."))
    codes = dict(Microenterprise.objects.filter(pk__in=amounts).values_list("id", "code"))
    wanted = {
        f"payable:{currency}": {
            "kind": Account.Kind.PAYABLE,
            "currency": currency,
            "name": f"Payouts payable {currency}",
        },
    }
    for me_id in amounts:
        wanted[f"me:{codes[me_id]}:{currency}"] = {
            "kind": Account.Kind.ME,
            "me_id": me_id,
            "currency": currency,
            "name": f"ME {codes[me_id]} {currency}",
        }
    if platform_minor:
        wanted[f"platform-fee:{currency}"] = {
            "kind": Account.Kind.PLATFORM,
            "currency": currency,
            "name": f"Platform service fee {currency}",
        }
    ids = accounts_get_or_create(wanted=wanted)
    txn = Transaction.objects.create(
        kind=Transaction.Kind.ADJUSTMENT,
        effective_on=effective_on,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
        memo=memo[:255],
    )
    extra = basis or {}
    legs = [
        LegRow(
            txn.pk,
            ids[f"me:{codes[me_id]}:{currency}"],
            currency,
            amount,
            effective_on,
            "payout",
            None,
            extra,
        )
        for me_id, amount in sorted(amounts.items())
    ]
    if platform_minor:
        legs.append(
            LegRow(
                txn.pk,
                ids[f"platform-fee:{currency}"],
                currency,
                platform_minor,
                effective_on,
                "coinvest",
                None,
                extra,
            )
        )
    legs.append(
        LegRow(txn.pk, ids[f"payable:{currency}"], currency, -total, effective_on, "payable", None, extra)
    )
    check_balanced({txn.pk: legs})
    legs_write(legs)
    audit_record(
        actor=actor, action="ledger.payables_post", target=txn, changes={"currency": currency, "total": total}
    )
    return txn
