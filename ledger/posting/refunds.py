"""Refunds: what a refund takes from its payment, and its split by what each party still holds.

A refund names its payment by `original_id` (a stored event) or `original_index` (an earlier
payment of the same batch) and inherits the payment's ME, EMC, scenario, solution, category,
currency, customization and partners. It is split over what each credited party still holds of
the payment (`allocation.split_refund`), so no party is refunded more than it received.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ledger import allocation, selectors
from ledger.locks import rows_lock
from ledger.models import ValueEvent, ValueEventPartner
from ledger.posting.specs import Plan, RowErrors, ValueEventSpec

INHERITED = ("me_id", "emc_id", "scenario_id", "solution_id", "category_id", "currency", "customized")


@dataclass(slots=True)
class Originals:
    """The stored payments a batch refunds, locked: events, their partners, what is still held."""

    events: dict[int, ValueEvent] = field(default_factory=dict)
    partners: dict[int, list[int]] = field(default_factory=dict)
    holdings: dict[int, dict[int, int]] = field(default_factory=dict)


def originals_load(specs: list[ValueEventSpec]) -> Originals:
    """Lock and load the stored payments the batch's refunds reference (four queries, or none)."""
    ids = sorted({s.original_id for s in specs if s.original_id})
    found = Originals()
    if not ids:
        return found
    # lock the payments: concurrent refunds, and a reversal of the payment
    # (transaction_reverse locks the same key), serialize here: no over-refund, no refund of
    # a reversed payment. The lock comes first and alone: a statement that waited for the
    # lock still sees its own snapshot of other rows, so what the lock protects (refunds,
    # the reversal) is read by the statements after it. (An advisory lock per payment, not
    # FOR UPDATE, which needs an UPDATE privilege on value events: see ledger.locks.)
    rows_lock(ValueEvent, ids)
    found.events = {
        e.pk: e for e in ValueEvent.objects.filter(pk__in=ids).select_related("transaction__reversed_by")
    }
    for event_id, partner_id in ValueEventPartner.objects.filter(event_id__in=ids).values_list(
        "event_id", "partner_id"
    ):
        found.partners.setdefault(event_id, []).append(partner_id)
    found.holdings = selectors.refund_holdings(original_ids=set(found.events))
    return found


class BatchPayments:
    """The payments of this batch (and of its earlier chunks) that refunds reference by index."""

    def __init__(self, specs: list[ValueEventSpec], offset: int, prior: dict[int, Plan]):
        self.specs, self.offset, self.prior = specs, offset, prior

    def find(self, i: int, s: ValueEventSpec) -> tuple[ValueEventSpec | None, object]:
        """The payment the refund at local index i references, as (spec, "local" or its plan)."""
        index = s.original_index
        if index is None or index >= self.offset + i:
            return None, None
        if index >= self.offset:
            return self.specs[index - self.offset], "local"
        plan = self.prior.get(index)
        return (plan.spec, plan) if plan is not None else (None, None)


def _source_fields(i, s, originals: Originals, payments: BatchPayments, errors: RowErrors):
    """What the refund inherits, as (fields, partner ids), or None with a row error."""
    if s.original_id:
        source = originals.events.get(s.original_id)
        if source is None:
            errors.add(i, "original", _("No such value event."))
        elif source.kind != ValueEvent.Kind.PAYMENT:
            errors.add(i, "original", _("Only a payment can be refunded."))
        elif hasattr(source.transaction, "reversed_by"):
            errors.add(i, "original", _("This payment was reversed; it cannot be refunded."))
        else:
            fields = {name: getattr(source, name) for name in INHERITED}
            return fields, tuple(originals.partners.get(source.pk, ()))
        return None
    source = payments.find(i, s)[0]
    if source is None:
        errors.add(i, "original", _("A refund must reference the payment it refunds."))
        return None
    if source.kind != ValueEvent.Kind.PAYMENT:
        errors.add(i, "original", _("Only a payment can be refunded."))
        return None
    return {name: getattr(source, name) for name in INHERITED}, tuple(source.partner_ids)


def refund_inherit(i, s, originals: Originals, payments: BatchPayments, errors: RowErrors) -> None:
    """Give the refund at index i its payment's fields; a stated ME, EMC or currency that
    differs from the payment's is a row error (never reinterpreted)."""
    found = _source_fields(i, s, originals, payments, errors)
    if found is None:
        return
    fields, partners = found
    for name, label in (("me_id", "me"), ("emc_id", "emc")):
        given = getattr(s, name)
        if given and given != fields[name]:
            errors.add(
                i, label, _("The refund's %(f)s differs from the original payment's.") % {"f": label.upper()}
            )
    # compare BEFORE inheriting the payment's fields: a refund stated in another currency
    # is refused, never reinterpreted as minor units of the payment's currency
    if s.currency and s.currency != fields["currency"]:
        errors.add(
            i,
            "currency",
            _("A refund is in the currency of its payment (%(currency)s).")
            % {"currency": fields["currency"]},
        )
    for name, value in fields.items():
        setattr(s, name, value)
    s.partner_ids = partners


def refund_plan(
    i, s, on, originals: Originals, payments: BatchPayments, plans, taken: dict, errors: RowErrors
):
    """The plan of the refund at index i, or None with a row error. `taken` maps each payment
    (("db", id) or ("batch", index)) to what its parties still hold, updated as refunds plan."""
    if s.original_id:
        key = ("db", s.original_id)
        source = originals.events[s.original_id]
        if key not in taken:
            taken[key] = dict(originals.holdings.get(source.pk, {}))
        contract_id, paid_at = source.transaction.contract_id, source.occurred_at
    else:
        key = ("batch", s.original_index)
        _spec, where = payments.find(i, s)
        source_plan = plans[s.original_index - payments.offset] if where == "local" else where
        if source_plan is None:
            errors.add(i, "original", _("The refunded payment in this batch is not valid."))
            return None
        if key not in taken:
            taken[key] = {p.target: p.amount_minor for p in source_plan.parts}
        contract_id, paid_at = source_plan.contract_id, source_plan.spec.occurred_at
    if s.occurred_at < paid_at:
        errors.add(i, "occurred_at", _("A refund cannot come before its payment."))
        return None
    held = taken[key]
    debit = [t for t, amount in held.items() if amount > 0]
    credits = [(t, -amount, "") for t, amount in held.items() if amount < 0]
    clearing_left = sum(held[t] for t in debit)
    if s.amount_minor > clearing_left:
        from ledger.ui_selectors import money_text  # here: ui_selectors imports the posting package

        errors.add(
            i,
            "amount",
            _("The refund exceeds what remains of the payment (%(left)s).")
            % {"left": money_text(clearing_left, s.currency)},
        )
        return None
    try:
        parts = allocation.split_refund(
            refund_minor=s.amount_minor, debit_target=debit[0], remaining=sorted(credits)
        )
    except ValueError as exc:  # holdings the split cannot reverse
        errors.add(i, "emc", _("The payment's split cannot be reversed (%(error)s).") % {"error": exc})
        return None
    for part in parts:
        held[part.target] += part.amount_minor
    return Plan(s, on, contract_id, parts, tuple(sorted(s.partner_ids)))
