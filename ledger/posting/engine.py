"""The engine's entry: `batch_plan` validates a batch whole, `batch_write` writes a valid one.

Both run in the caller's DB transaction (refunds lock their payments while planning, so plan
and write belong to one transaction). The engine decides what the organization and the
contracts allow; who may post is the callers' question (`ledger.services`, the CSV import):
the engine posts what it is given, for the actor it is told.
"""

import datetime as dt

from django.utils import timezone

from ledger.context import local_date, posting_context_load
from ledger.models import ValueEvent
from ledger.posting import payments, refunds
from ledger.posting.checks import spec_check
from ledger.posting.specs import Plan, Planned, RowErrors, ValueEventSpec
from ledger.posting.write import write


def _context_load(specs: list[ValueEventSpec], days: dict):
    return posting_context_load(
        me_ids={s.me_id for s in specs},
        emc_ids={s.emc_id for s in specs},
        scenario_ids={s.scenario_id for s in specs},
        solution_ids={s.solution_id for s in specs},
        category_ids={s.category_id for s in specs},
        partner_ids={p for s in specs for p in s.partner_ids},
        terms_until=max(days.values()) if days else None,
        currencies={s.currency for s in specs if isinstance(s.currency, str)},
    )


def batch_plan(
    specs: list[ValueEventSpec],
    *,
    now: dt.datetime,
    offset: int = 0,
    prior: dict[int, Plan] | None = None,
    batch_refunds: dict | None = None,
    forget_stored: bool = False,
) -> Planned:
    """Validate specs[0..n], global indexes offset..offset+n, and plan each valid one.

    A large batch comes in chunks (the CSV import): `prior` holds the valid payments of earlier
    chunks that later refunds reference by `original_index`; `batch_refunds` carries what
    refunds already took across chunks, of stored payments too unless `forget_stored` (earlier
    chunks were written: the database holds it now)."""
    if batch_refunds is not None and forget_stored:
        for key in [k for k in batch_refunds if k[0] == "db"]:
            del batch_refunds[key]
    taken = batch_refunds if batch_refunds is not None else {}
    errors = RowErrors()
    # originals first: a refund inherits the ME, EMC, scenario, partners and contract
    originals = refunds.originals_load(specs)
    found = refunds.BatchPayments(specs, offset, prior if prior is not None else {})
    for i, s in enumerate(specs):
        if s.kind == ValueEvent.Kind.REFUND:
            refunds.refund_inherit(i, s, originals, found, errors)
    tz = timezone.get_current_timezone()
    days = {
        i: local_date(s.occurred_at, tz)
        for i, s in enumerate(specs)
        if isinstance(s.occurred_at, dt.datetime)
    }
    ctx, all_terms = _context_load(specs, days)
    plans: list[Plan | None] = [None] * len(specs)
    for i, s in enumerate(specs):
        if i in errors or not spec_check(i, s, days.get(i), ctx, now, errors):
            continue
        if s.kind == ValueEvent.Kind.PAYMENT:
            plans[i] = payments.payment_plan(i, s, days[i], ctx, all_terms, errors)
        else:
            plans[i] = refunds.refund_plan(i, s, days[i], originals, found, plans, taken, errors)
    return Planned(plans, errors.rows, ctx)


def batch_write(
    planned: Planned,
    *,
    actor,
    source: str,
    now: dt.datetime,
    offset: int = 0,
    posted=None,
    objects: bool = True,
) -> list:
    """Write a batch planned without errors: the ValueEvents (with `.transaction`), or only
    their ids when not `objects` (the CSV import); `posted` maps earlier chunks' indexes to ids."""
    return write(
        planned.plans,
        planned.ctx,
        actor=actor,
        source=source,
        now=now,
        offset=offset,
        posted=posted,
        objects=objects,
    )
