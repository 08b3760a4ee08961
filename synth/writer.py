"""Post a history's batches as the application does: value events through the posting
engine (one DB transaction per batch, recorded at the batch's `now`), user signals through
the signals service in the same transaction, phase-outs through the partner service on their
day. In process, or (PostgreSQL) by worker processes, each on its own connection, while this
process draws the next batches.
"""

import gc
import multiprocessing
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from ledger.models import Account, AccountDay, Leg, Source, Transaction, UserSignal, ValueEvent
from ledger.posting.specs import ValueEventSpec
from ledger.services import user_signals_log, value_events_log
from orgs.models import Partner
from orgs.services import partner_act
from synth.history import Batch
from synth.organization import REASONS, admin_user


class HistoryError(RuntimeError):
    """A batch the application refused: the generator broke one of its rules."""


@dataclass
class Totals:
    batches: int = 0
    payments: int = 0
    refunds: int = 0
    signals: int = 0
    lifecycle_steps: int = 0
    seconds: float = 0.0

    @property
    def events(self) -> int:
        return self.payments + self.refunds


@contextmanager
def _collector_paused():
    """A batch holds tens of thousands of small objects; the cyclic collector's full passes
    over them cost more than the posting. Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Statistics:
    """ANALYZE the ledger's tables each time the history doubles (from 5,000 events on).

    The planner picks its joins from table statistics, which autovacuum keeps fresh on a
    production server as a year of postings trickles in; a history written in minutes outruns
    it (and autovacuum may be off), and plans made for empty tables scan whole tables."""

    def __init__(self):
        self.next_at = 5_000

    def refresh(self, events: int) -> None:
        if connection.vendor != "postgresql" or events < self.next_at:
            return
        while self.next_at <= events:
            self.next_at *= 2
        tables = ", ".join(
            m._meta.db_table for m in (Account, AccountDay, Leg, Transaction, ValueEvent, UserSignal)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}, {ValueEvent.partners.through._meta.db_table}")


def batch_post(batch: Batch) -> dict[int, int]:
    """Post one batch in one DB transaction; return {payment key: event id} for the payments
    a later refund needs."""
    specs = batch.payments + batch.refund_specs
    with _collector_paused(), transaction.atomic():
        try:
            ids = (
                value_events_log(specs=specs, actor=None, source=Source.JOB, now=batch.now, as_ids=True)
                if specs
                else []
            )
            if batch.signals:
                user_signals_log(specs=batch.signals, actor=None, source=Source.JOB, now=batch.now)
        except ValidationError as exc:
            detail = getattr(exc, "row_errors", None) or exc.message_dict
            sample = dict(list(detail.items())[:5]) if isinstance(detail, dict) else detail
            raise HistoryError(f"batch {batch.number} ({batch.day}) refused: {sample}") from exc
    return {key: ids[i] for i, key in enumerate(batch.keys) if key is not None}


def lifecycle_apply(steps: list[tuple[int, str]], *, partner_ids: list[int], day, admin) -> None:
    """Run the partners' lifecycle steps of `day` through the partner service."""
    for p, action in steps:
        partner = Partner.objects.get(pk=partner_ids[p])
        partner_act(partner=partner, action=action, actor=admin, reason=REASONS[action], effective_on=day)


def _resolve_refunds(batch: Batch, known: dict[int, int]) -> None:
    batch.refund_specs = [
        ValueEventSpec(
            kind=ValueEvent.Kind.REFUND,
            user_ref=r.user_ref,
            amount_minor=r.amount_minor,
            currency=r.currency,
            occurred_at=r.occurred_at,
            original_id=known.pop(r.key),
            note="Returned within the guarantee period",
        )
        for r in batch.refunds
    ]


def _count(totals: Totals, batch: Batch) -> None:
    totals.batches += 1
    totals.payments += len(batch.payments)
    totals.refunds += len(batch.refunds)
    totals.signals += len(batch.signals)


def _worker(tasks, results) -> None:
    """A posting process: its own connection, batches in, payment ids out."""
    while (batch := tasks.get()) is not None:
        try:
            results.put((batch.number, batch_post(batch), None))
        except Exception as exc:  # reported to the parent, which stops the run
            results.put((batch.number, None, f"{type(exc).__name__}: {exc}"))
    connections.close_all()


def history_post(
    batches: Iterable[Batch],
    *,
    partner_ids: list[int],
    workers: int = 0,
    on_batch: Callable[[Batch], None] = lambda batch: None,
    known: dict[int, int] | None = None,
) -> Totals:
    """Post every batch in order. `workers` > 0 (PostgreSQL only) posts with that many
    processes; a batch is handed out once the payments its refunds refer to are posted, and
    lifecycle steps wait until every earlier batch is committed."""
    known = {} if known is None else known
    admin = admin_user()
    totals = Totals()
    statistics = _Statistics()
    statistics.refresh(statistics.next_at)  # the organization's tables are freshly filled too
    start = time.perf_counter()
    if workers <= 0 or connection.vendor != "postgresql":
        for batch in batches:
            if batch.exits:
                lifecycle_apply(batch.exits, partner_ids=partner_ids, day=batch.day, admin=admin)
                totals.lifecycle_steps += len(batch.exits)
            _resolve_refunds(batch, known)
            known.update(batch_post(batch))
            _count(totals, batch)
            statistics.refresh(totals.events)
            on_batch(batch)
        totals.seconds = time.perf_counter() - start
        return totals

    context = multiprocessing.get_context("fork")
    tasks, results = context.Queue(maxsize=workers), context.Queue()
    # children open their own connections: a socket shared across a fork would be corrupted,
    # and so would a connection pool's (its idle connections and its thread): close those too,
    # the parent's pool is made again when the parent next queries
    connections.close_all()
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "postgresql" and conn.alias in conn._connection_pools:
            conn.close_pool()
    pool = [context.Process(target=_worker, args=(tasks, results), daemon=True) for _ in range(workers)]
    for process in pool:
        process.start()
    inflight: dict[int, Batch] = {}

    def collect() -> None:
        number, keyed, error = results.get()
        batch = inflight.pop(number)
        if error is not None:
            raise HistoryError(error)
        known.update(keyed)
        _count(totals, batch)
        statistics.refresh(totals.events)
        on_batch(batch)

    try:
        for batch in batches:
            if batch.exits:
                while inflight:
                    collect()
                lifecycle_apply(batch.exits, partner_ids=partner_ids, day=batch.day, admin=admin)
                totals.lifecycle_steps += len(batch.exits)
            while inflight and any(r.key not in known for r in batch.refunds):
                collect()
            _resolve_refunds(batch, known)
            while len(inflight) >= workers:
                collect()
            inflight[batch.number] = batch
            tasks.put(batch)
        while inflight:
            collect()
    finally:
        for _process in pool:
            tasks.put(None)
        for process in pool:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
    totals.seconds = time.perf_counter() - start
    return totals
