"""The engine's entry: validate a batch whole, then write it, or raise and write nothing."""

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import allocation, selectors
from ledger.context import OrgContext, local_date, occurred_at_error, posting_context_load, user_ref_error
from ledger.models import Source, ValueEvent, ValueEventPartner
from ledger.money import currency_is_known
from ledger.posting.specs import EVENT_KINDS, BatchValidationError, Plan, ValueEventSpec
from ledger.posting.terms import Terms, terms_in_force
from ledger.posting.write import write


def _bad_terms_message(terms: Terms, ctx: OrgContext, exc: Exception) -> str:
    emc = ctx.emcs.get(terms.emc_id, {}).get("code", terms.emc_id)
    return _(
        "Contract v%(version)s of EMC %(emc)s cannot split this payment (%(error)s); "
        "approve a corrected contract version."
    ) % {"version": terms.version, "emc": emc, "error": exc}


def _node_ended_message(terms: Terms, ctx: OrgContext, me_code: str) -> str:
    emc = ctx.emcs.get(terms.emc_id, {}).get("code", terms.emc_id)
    return _(
        "Contract v%(version)s of EMC %(emc)s gives a node share to ME %(me)s, which is no longer "
        "active; approve a new contract version."
    ) % {"version": terms.version, "emc": emc, "me": me_code}


def _validate(
    specs: list[ValueEventSpec],
    actor,
    ctx_now,
    *,
    offset: int = 0,
    prior: dict[int, "Plan"] | None = None,
    batch_refunds: dict | None = None,
) -> tuple[list[Plan | None], dict, dict]:
    """Validate specs[0..n] (global indexes offset..offset+n). `prior` holds valid payments of
    earlier chunks that later refunds reference by `original_index`; `batch_refunds` carries
    what in-file refunds already took across chunks."""
    prior = prior if prior is not None else {}

    def batch_source(i: int, s: ValueEventSpec):
        """The in-file payment a refund at local index i references, as (spec, plan-or-None)."""
        index = s.original_index
        if index is None or index >= offset + i:
            return None, None
        if index >= offset:
            return specs[index - offset], "local"
        plan = prior.get(index)
        return (plan.spec, plan) if plan is not None else (None, None)

    errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def err(i, name, message):
        errors[i][name].append(str(message))

    # originals first: a refund inherits the ME, EMC, scenario, partners and contract
    original_ids = {s.original_id for s in specs if s.original_id}
    originals = {}
    original_partners = defaultdict(list)
    holdings = {}
    if original_ids:
        # lock the payments: concurrent refunds, and a reversal of the payment
        # (transaction_reverse locks the same row), serialize here: no over-refund, no refund of
        # a reversed payment. The lock comes first and alone: a statement that waited for the
        # lock still sees its own snapshot of other rows, so what the lock protects (refunds,
        # the reversal) is read by the statements after it.
        locked_ids = sorted(original_ids)
        list(
            ValueEvent.objects.select_for_update().filter(pk__in=locked_ids).values_list("id").order_by("id")
        )
        originals = {
            e.pk: e
            for e in ValueEvent.objects.filter(pk__in=locked_ids).select_related("transaction__reversed_by")
        }
        for event_id, partner_id in ValueEventPartner.objects.filter(event_id__in=original_ids).values_list(
            "event_id", "partner_id"
        ):
            original_partners[event_id].append(partner_id)
        holdings = selectors.refund_holdings(original_ids=set(originals))

    for i, s in enumerate(specs):
        if s.kind != ValueEvent.Kind.REFUND:
            continue
        source = None
        if s.original_id:
            source = originals.get(s.original_id)
            if source is None:
                err(i, "original", _("No such value event."))
                continue
            if source.kind != ValueEvent.Kind.PAYMENT:
                err(i, "original", _("Only a payment can be refunded."))
                continue
            if hasattr(source.transaction, "reversed_by"):
                err(i, "original", _("This payment was reversed; it cannot be refunded."))
                continue
            fields = {
                "me_id": source.me_id,
                "emc_id": source.emc_id,
                "scenario_id": source.scenario_id,
                "solution_id": source.solution_id,
                "category_id": source.category_id,
                "currency": source.currency,
                "customized": source.customized,
            }
            partners = tuple(original_partners.get(source.pk, ()))
        elif batch_source(i, s)[0] is not None:
            src = batch_source(i, s)[0]
            if src.kind != ValueEvent.Kind.PAYMENT:
                err(i, "original", _("Only a payment can be refunded."))
                continue
            fields = {
                "me_id": src.me_id,
                "emc_id": src.emc_id,
                "scenario_id": src.scenario_id,
                "solution_id": src.solution_id,
                "category_id": src.category_id,
                "currency": src.currency,
                "customized": src.customized,
            }
            partners = tuple(src.partner_ids)
        else:
            err(i, "original", _("A refund must reference the payment it refunds."))
            continue
        for name in ("me_id", "emc_id"):
            given = getattr(s, name)
            if given and given != fields[name]:
                label = "me" if name == "me_id" else "emc"
                err(
                    i,
                    label,
                    _("The refund's %(f)s differs from the original payment's.") % {"f": label.upper()},
                )
        # compare BEFORE inheriting the payment's fields: a refund stated in another currency
        # is refused, never reinterpreted as minor units of the payment's currency
        if s.currency and s.currency != fields["currency"]:
            err(
                i,
                "currency",
                _("A refund is in the currency of its payment (%(currency)s).")
                % {"currency": fields["currency"]},
            )
        for name, value in fields.items():
            setattr(s, name, value)
        s.partner_ids = partners

    tz = timezone.get_current_timezone()
    days = {
        i: local_date(s.occurred_at, tz)
        for i, s in enumerate(specs)
        if isinstance(s.occurred_at, dt.datetime)
    }
    dates = list(days.values())
    ctx: OrgContext
    ctx, all_terms = posting_context_load(
        me_ids={s.me_id for s in specs},
        emc_ids={s.emc_id for s in specs},
        scenario_ids={s.scenario_id for s in specs},
        solution_ids={s.solution_id for s in specs},
        category_ids={s.category_id for s in specs},
        partner_ids={p for s in specs for p in s.partner_ids},
        terms_until=max(dates) if dates else None,
        currencies={s.currency for s in specs if isinstance(s.currency, str)},
    )

    plans: list[Plan | None] = [None] * len(specs)
    # original key -> remaining holdings (mutated as refunds are planned)
    refunded_in_batch: dict[tuple, dict] = batch_refunds if batch_refunds is not None else {}
    for i, s in enumerate(specs):
        if i in errors:
            continue
        if s.kind not in EVENT_KINDS:
            err(i, "kind", _("Use payment or refund."))
            continue
        if not isinstance(s.amount_minor, int) or s.amount_minor <= 0:
            err(i, "amount", _("The amount must be more than zero."))
        if not currency_is_known(s.currency):
            err(i, "currency", _("Unknown currency “%(code)s”.") % {"code": s.currency})
        message = user_ref_error(s.user_ref)
        if message:
            err(i, "user_ref", message)
        message = occurred_at_error(s.occurred_at, now=ctx_now)
        if message:
            err(i, "occurred_at", message)
            continue
        on = days[i]
        me = ctx.mes.get(s.me_id)
        if me is None:
            err(i, "me", _("Choose a microenterprise."))
            continue
        if not ctx.may_log(actor, s.me_id):
            err(i, "me", _("You may log value only for microenterprises you lead."))
            continue
        if s.emc_id not in ctx.emcs:
            err(i, "emc", _("Choose an EMC."))
            continue
        if not ctx.emc_open_on(s.emc_id, on):
            err(i, "emc", _("The EMC was not active on %(day)s.") % {"day": on})
        elif not ctx.me_in_emc(s.emc_id, s.me_id, on):
            err(i, "emc", _("%(me)s was not a node of this EMC on %(day)s.") % {"me": me.code, "day": on})
        if s.kind == ValueEvent.Kind.PAYMENT:
            if (s.emc_id, s.scenario_id) not in ctx.emc_scenarios:
                err(i, "scenario", _("This EMC does not serve that scenario."))
            if s.solution_id and ctx.solutions.get(s.solution_id) != s.scenario_id:
                err(i, "solution", _("This solution does not belong to the scenario."))
            if s.category_id not in ctx.categories:
                err(i, "category", _("Choose a category."))
            if len(set(s.partner_ids)) != len(s.partner_ids):
                err(i, "partners", _("A partner is listed twice."))
        if i in errors:
            continue

        if s.kind == ValueEvent.Kind.PAYMENT:
            terms: Terms | None = terms_in_force(all_terms.get(s.emc_id), on)
            if terms is None:
                err(i, "emc", _("No approved contract of this EMC is in force on %(day)s.") % {"day": on})
                continue
            if terms.currency != s.currency:
                err(
                    i,
                    "currency",
                    _("The contract in force is in %(contract)s, not %(given)s (no conversion).")
                    % {"contract": terms.currency, "given": s.currency},
                )
            if ctx.ended_mes:  # a node ME of the contract was split, merged or dissolved
                for node_me_id, _pct in terms.node_pcts:
                    ended_code = ctx.me_ended_by(node_me_id, on)
                    if ended_code is not None:
                        err(i, "emc", _node_ended_message(terms, ctx, ended_code))
            for partner_id in s.partner_ids:
                name = ctx.partners.get(partner_id, {}).get("name", partner_id)
                if not ctx.partner_creditable(s.emc_id, partner_id, on):
                    err(
                        i,
                        "partners",
                        _("%(p)s was not active in this EMC on %(day)s.") % {"p": name, "day": on},
                    )
                elif partner_id not in terms.partner_pcts:
                    err(i, "partners", _("%(p)s has no share in the contract in force.") % {"p": name})
            if i in errors:
                continue
            try:
                # allocation.split_payment, with the terms prepared once per contract
                parts = terms.splitter.split(s.amount_minor, s.partner_ids)
            except ValueError as exc:  # terms the split cannot apply: a clear error, never a 500
                err(i, "emc", _bad_terms_message(terms, ctx, exc))
                continue
            plans[i] = Plan(s, on, terms.contract_id, parts, tuple(sorted(s.partner_ids)))
        else:
            if s.original_id:
                key = ("db", s.original_id)
                source = originals[s.original_id]
                if key not in refunded_in_batch:
                    refunded_in_batch[key] = dict(holdings.get(source.pk, {}))
                contract_id = source.transaction.contract_id
                original_on = source.occurred_at
            else:
                key = ("batch", s.original_index)
                _src, where = batch_source(i, s)
                src_plan = plans[s.original_index - offset] if where == "local" else where
                if src_plan is None:
                    err(i, "original", _("The refunded payment in this batch is not valid."))
                    continue
                if key not in refunded_in_batch:
                    refunded_in_batch[key] = {p.target: p.amount_minor for p in src_plan.parts}
                contract_id = src_plan.contract_id
                original_on = src_plan.spec.occurred_at
            if s.occurred_at < original_on:
                err(i, "occurred_at", _("A refund cannot come before its payment."))
                continue
            held = refunded_in_batch[key]
            debit = [t for t, amount in held.items() if amount > 0]
            credits = [(t, -amount, "") for t, amount in held.items() if amount < 0]
            clearing_left = sum(held[t] for t in debit)
            if s.amount_minor > clearing_left:
                err(
                    i,
                    "amount",
                    _("The refund exceeds what remains of the payment (%(left)s minor units).")
                    % {"left": clearing_left},
                )
                continue
            try:
                parts = allocation.split_refund(
                    refund_minor=s.amount_minor, debit_target=debit[0], remaining=sorted(credits)
                )
            except ValueError as exc:  # holdings the split cannot reverse
                err(i, "emc", _("The payment's split cannot be reversed (%(error)s).") % {"error": exc})
                continue
            for part in parts:
                held[part.target] += part.amount_minor
            plans[i] = Plan(s, on, contract_id, parts, tuple(sorted(s.partner_ids)))
    return plans, {i: dict(f) for i, f in errors.items()}, ctx


def validate_chunk(specs, actor, now, *, offset=0, prior=None, batch_refunds=None, keep_db=False):
    """Validate one chunk of a larger batch (the CSV import): see `_validate`. Refund state of
    stored payments is carried across chunks only when nothing is written (`keep_db`); when
    earlier chunks were written, the database already holds it."""
    if batch_refunds is not None and not keep_db:
        for key in [k for k in batch_refunds if k[0] == "db"]:
            del batch_refunds[key]
    return _validate(specs, actor, now, offset=offset, prior=prior, batch_refunds=batch_refunds)


def write_chunk(plans, ctx, *, actor, source, now, offset=0, posted=None) -> list[int]:
    """Write one validated chunk (see `write.write`); returns the new events' ids."""
    return write(plans, ctx, actor=actor, source=source, now=now, offset=offset, posted=posted, objects=False)


def value_events_validate(*, specs: list[ValueEventSpec], actor) -> dict[int, dict[str, list[str]]]:
    """Validate a batch without writing; returns {index: {field: [messages]}} (empty if valid)."""
    with transaction.atomic():
        _plans, errors, _ctx = _validate(specs, actor, timezone.now())
    return errors


def value_events_post(
    *, specs: list[ValueEventSpec], actor, source: str = Source.API, now: dt.datetime | None = None
) -> list[ValueEvent]:
    """Validate the whole batch and post it, or raise and write nothing.

    A single spec raises a field-level ValidationError ({"amount": [...]}); a batch raises
    BatchValidationError whose `row_errors` maps each bad spec's index to its field errors.
    """
    now = now or timezone.now()
    with transaction.atomic():
        plans, errors, ctx = _validate(specs, actor, now)
        if errors:
            if len(specs) == 1:
                raise ValidationError(errors[0])
            raise BatchValidationError(errors)
        return write(plans, ctx, actor=actor, source=source, now=now)
