"""Writing valid plans: transactions, events, partner links and legs, in bulk.

On PostgreSQL a batch below `bulk.COPY_MIN_ROWS` events (a logged event, an API batch, a
generator's day) is written by ONE statement (`_statement_write`, the function
`ledger_posting_write`, ledger/sql/posting_write.v1.sql, whose plan the session keeps): its
ids drawn from the sequences in it, one INSERT per table as data-modifying CTEs, the rows sent
as one JSON parameter per table. The same rows, the same statement triggers (the legs' checks and daily
rollups, the commit-time balance check) and constraints as one INSERT per table, without a
round trip per table: one event per DB transaction was bound by round trips, not by Python.
Larger batches (imports) reserve ids and COPY; SQLite inserts table by table.
"""

import datetime as dt
import functools
import json

from django.db import connection

from ledger import bulk
from ledger.context import OrgContext
from ledger.models import Transaction, ValueEvent, ValueEventPartner
from ledger.posting.accounts import account_code, accounts_get_or_create, target_codes
from ledger.posting.legs import LEG_COLUMNS, LegRow, check_balanced
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


@functools.cache
def _concrete_order(model, fields: tuple[str, ...]) -> tuple[list[str], list[int]]:
    """The model's field names in its concrete order among ("id", *fields), and where each sits
    in (pk, *row)."""
    given = ["id", *fields]
    names = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return names, [given.index(name) for name in names]


def _instance(model, pk: int, fields: list[str], row: tuple):
    """A saved-looking model instance from a written row (no query), built as the ORM builds a
    fetched row (`from_db`, positional: half the time of keyword arguments)."""
    names, order = _concrete_order(model, tuple(fields))
    values = (pk, *row)
    return model.from_db("default", names, [values[i] for i in order])


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


def _json_value(value):
    """Dates and times as ISO 8601 in the statement's JSON (PostgreSQL reads them back typed)."""
    if isinstance(value, dt.date):  # datetime too: isoformat keeps its offset
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a posting row")


_rows_json = json.JSONEncoder(separators=(",", ":"), default=_json_value, check_circular=False).encode


def _records(fields: list[str], rows: list[tuple]) -> str:
    return _rows_json([dict(zip(fields, row, strict=True)) for row in rows])


# the batch's one statement, as the function ledger/sql/posting_write.v1.sql (its plan kept for
# the session): ids drawn from the sequences, each table's rows from its JSON parameter
_STATEMENT_SQL = "SELECT * FROM ledger_posting_write(%(n)s, %(txns)s::json, %(events)s::json, %(links)s::json, %(legs)s::json)"


def _statement_write(plans, txn_rows, account_of, *, recorded_by_id, now, source, offset, posted):
    """Write the batch in one statement (PostgreSQL, a batch below COPY_MIN_ROWS): returns
    (transaction ids, event ids, event rows) in plan order."""
    ords = list(range(len(plans)))
    legs = _legs_of(plans, ords, account_of)  # keyed by ord until the ids are drawn

    def original_pk(spec, event_ids) -> int | None:
        """The original's id, or while ids are not drawn, -1 - its ord in this batch."""
        index = spec.original_index
        if index is None:
            return spec.original_id
        if index < offset:
            return posted[index]
        return -1 - (index - offset) if event_ids is None else event_ids[index - offset]

    events = [
        _event_row(plan, ord_, original_pk(plan.spec, None), recorded_by_id, now, source)
        for ord_, plan in enumerate(plans)
    ]
    links = [(ord_, partner_id) for ord_, plan in enumerate(plans) for partner_id in plan.partner_ids]
    leg_rows = [
        (
            leg.transaction_id,
            leg.account_id,
            leg.currency,
            leg.amount_minor,
            leg.effective_on,
            leg.rule,
            leg.contract_id,
            leg.basis,
        )
        for leg in legs
    ]
    params = {
        "n": len(plans),
        "txns": _records(["id", *TXN_FIELDS], [(o, *row) for o, row in zip(ords, txn_rows, strict=True)]),
        "events": _records(["id", *EVENT_FIELDS], [(o, *row) for o, row in zip(ords, events, strict=True)]),
        "links": _records(["event_id", "partner_id"], links),
        "legs": _records(LEG_COLUMNS, leg_rows),
    }
    with connection.cursor() as cursor:
        cursor.execute(_STATEMENT_SQL, params)
        written = cursor.fetchall()
    txn_ids = [row[0] for row in written]
    event_ids = [row[1] for row in written]
    event_rows = [  # the rows as written, for the returned instances
        _event_row(plan, txn_id, original_pk(plan.spec, event_ids), recorded_by_id, now, source)
        for plan, txn_id in zip(plans, txn_ids, strict=True)
    ]
    return txn_ids, event_ids, event_rows


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
    if plans and bulk.is_postgres() and len(plans) < bulk.COPY_MIN_ROWS:
        txn_ids, event_ids, event_rows = _statement_write(
            plans,
            txn_rows,
            account_of,
            recorded_by_id=recorded_by_id,
            now=now,
            source=source,
            offset=offset,
            posted=posted or {},
        )
        return _written(txn_ids, txn_rows, event_ids, event_rows, objects=objects)
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
    return _written(txn_ids, txn_rows, event_ids, event_rows, objects=objects)


def _written(txn_ids, txn_rows, event_ids, event_rows, *, objects: bool) -> list:
    if not objects:
        return event_ids
    events = []
    for event_id, row, txn_id, txn_row in zip(event_ids, event_rows, txn_ids, txn_rows, strict=True):
        event = _instance(ValueEvent, event_id, EVENT_FIELDS, row)
        event.transaction = _instance(Transaction, txn_id, TXN_FIELDS, txn_row)
        events.append(event)
    return events
