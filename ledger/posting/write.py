"""Writing valid plans: transactions, events, partner links and legs, in bulk."""

from ledger import bulk
from ledger.context import OrgContext
from ledger.models import Transaction, ValueEvent, ValueEventPartner
from ledger.posting.accounts import account_code, accounts_get_or_create, target_codes
from ledger.posting.legs import LegRow, check_balanced
from ledger.posting.rollups import legs_write
from ledger.posting.specs import BULK_BATCH, Plan

TXN_FIELDS = ["kind", "effective_on", "recorded_at", "recorded_by_id", "memo", "contract_id", "reverses_id"]
EVENT_FIELDS = [
    "kind",
    "me_id",
    "emc_id",
    "scenario_id",
    "solution_id",
    "category_id",
    "user_ref",
    "amount_minor",
    "currency",
    "occurred_at",
    "occurred_on",
    "customized",
    "original_id",
    "transaction_id",
    "note",
    "logged_by_id",
    "logged_at",
    "source",
    "import_batch_id",
    "idempotency_key",
]


def _insert_returning_ids(model, fields: list[str], rows: list[tuple]) -> list[int]:
    """Insert plain tuples and return their ids: INSERT ... RETURNING / COPY on PostgreSQL
    (no model instance per row), bulk_create elsewhere (SQLite: Django converts the values)."""
    if not rows:
        return []
    if bulk.is_postgres():
        return bulk.insert_returning_ids(model._meta.db_table, fields, rows)
    objs = model.objects.bulk_create(
        [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=BULK_BATCH
    )
    return [obj.pk for obj in objs]


def _instance(model, pk: int, fields: list[str], row: tuple):
    """A saved-looking model instance from a written row (no query)."""
    obj = model(id=pk, **dict(zip(fields, row, strict=True)))
    obj._state.adding = False
    obj._state.db = "default"
    return obj


def _accounts_of(plans: list[Plan], ctx: OrgContext) -> dict[tuple, int]:
    """(allocation target, currency) -> account id for every part of the plans, creating the
    accounts a first posting needs in bulk."""
    codes = target_codes(plans, ctx)
    wanted: dict[str, dict] = {}
    target_code: dict[tuple, str] = {}
    for plan in plans:
        for part in plan.parts:
            if isinstance(part.target, int):  # refunds address stored accounts directly
                continue
            key = (part.target, plan.spec.currency)
            if key not in target_code:
                code, fields = account_code(part.target, plan.spec.currency, codes)
                target_code[key] = code
                wanted[code] = {**fields, "currency": plan.spec.currency}
    account_ids = accounts_get_or_create(wanted=wanted, known=ctx.accounts) if wanted else {}
    return {key: account_ids[code] for key, code in target_code.items()}


def _legs_of(plans: list[Plan], txn_ids: list[int], account_of: dict) -> list[LegRow]:
    """The legs of each plan's transaction, balance-checked per transaction."""
    legs = []
    legs_by_txn = {}
    for plan, txn_id in zip(plans, txn_ids, strict=True):
        currency = plan.spec.currency
        on = plan.occurred_on
        contract_id = plan.contract_id
        txn_legs = [
            LegRow(
                txn_id,
                part.target if isinstance(part.target, int) else account_of[(part.target, currency)],
                currency,
                part.amount_minor,
                on,
                part.rule,
                contract_id,
                part.basis,
            )
            for part in plan.parts
        ]
        legs_by_txn[txn_id] = txn_legs
        legs.extend(txn_legs)
    check_balanced(legs_by_txn)
    return legs


def _event_row(plan: Plan, txn_id: int, original_id, recorded_by_id, now, source: str) -> tuple:
    s = plan.spec
    return (
        s.kind,
        s.me_id,
        s.emc_id,
        s.scenario_id,
        s.solution_id,
        s.category_id,
        s.user_ref,
        s.amount_minor,
        s.currency,
        s.occurred_at,
        plan.occurred_on,
        s.customized,
        original_id,
        txn_id,
        s.note,
        recorded_by_id,
        now,
        source,
        s.import_batch_id,
        s.idempotency_key,
    )


def _events_insert(plans, txn_ids, *, recorded_by_id, now, source, offset, posted) -> tuple[list, list]:
    """Insert the events: payments and refunds of stored payments first, then refunds of
    payments in this batch (they need those ids). Returns (ids, rows) in plan order."""
    event_ids: list[int | None] = [None] * len(plans)
    event_rows: list[tuple | None] = [None] * len(plans)

    def original_pk(spec) -> int | None:
        index = spec.original_index
        if index is None:
            return spec.original_id
        return event_ids[index - offset] if index >= offset else posted[index]

    for group in (
        [i for i, p in enumerate(plans) if p.spec.original_index is None],
        [i for i, p in enumerate(plans) if p.spec.original_index is not None],
    ):
        if not group:
            continue
        rows = [
            _event_row(plans[i], txn_ids[i], original_pk(plans[i].spec), recorded_by_id, now, source)
            for i in group
        ]
        for i, pk, row in zip(
            group, _insert_returning_ids(ValueEvent, EVENT_FIELDS, rows), rows, strict=True
        ):
            event_ids[i] = pk
            event_rows[i] = row
    return event_ids, event_rows


def write(
    plans: list[Plan],
    ctx: OrgContext,
    *,
    actor,
    source: str,
    now,
    offset: int = 0,
    posted: dict | None = None,
    objects: bool = True,
) -> list:
    """Write valid plans; `posted` maps global indexes of earlier chunks' events to their ids.
    Returns the ValueEvent instances (with `.transaction`), or only their ids when not
    `objects` (the CSV import: no model instance on its hot path)."""
    account_of = _accounts_of(plans, ctx)
    recorded_by_id = actor.pk if actor is not None and actor.is_authenticated else None
    txn_rows = [
        (plan.spec.kind, plan.occurred_on, now, recorded_by_id, plan.spec.note, plan.contract_id, None)
        for plan in plans
    ]
    txn_ids = _insert_returning_ids(Transaction, TXN_FIELDS, txn_rows)
    legs = _legs_of(plans, txn_ids, account_of)
    event_ids, event_rows = _events_insert(
        plans,
        txn_ids,
        recorded_by_id=recorded_by_id,
        now=now,
        source=source,
        offset=offset,
        posted=posted or {},
    )
    links = [
        (event_id, partner_id)
        for plan, event_id in zip(plans, event_ids, strict=True)
        for partner_id in plan.partner_ids
    ]
    if links:
        bulk.insert_rows(ValueEventPartner._meta.db_table, ["event_id", "partner_id"], links)
    legs_write(legs)
    if not objects:
        return event_ids
    events = []
    for event_id, row, txn_id, txn_row in zip(event_ids, event_rows, txn_ids, txn_rows, strict=True):
        event = _instance(ValueEvent, event_id, EVENT_FIELDS, row)
        event.transaction = _instance(Transaction, txn_id, TXN_FIELDS, txn_row)
        events.append(event)
    return events
