"""The nightly pipeline's steps, as services the Celery tasks (scoring.tasks) call.

A run of date D: (1) verify the ledger, (2) ingest what was recorded up to the run's cut-off,
(3) bring the per-user state to D, (4) advance the trailing-window sums to D (scoring.windows),
(5) compute the EMC figures in chunks of EMCs (fanned out to the workers as a chord, or in this
process without a broker), (6) compute the ecosystem, ME and partner figures and the index, and
close the run. Each step records its progress on
the run and is skipped when a redelivered or resumed run finds it done; a chunk rewrites its
own snapshots whole, so doing it twice gives the same rows. One run holds the pipeline at a
time (`NightlyRun.lock` is unique): the per-user state is shared by all dates.
"""

import datetime as dt
import json
import logging
import time
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ledger.bulk import insert_rows
from ledger.verification import ledger_verify
from orgs.models import EMC, Microenterprise
from orgs.roles import Role
from scoring import index, inputs, metrics, registry, windows
from scoring.ingest import ingest_up_to
from scoring.models import NightlyRun, RunChunk, Snapshot
from scoring.signals import night_scored
from scoring.users import users_state_update

log = logging.getLogger(__name__)
STEPS = NightlyRun.STEPS


class LedgerBroken(Exception):
    """The ledger failed its checks: nothing is scored on a broken ledger."""


def verify_ledger() -> dict:
    """The ledger's own verification (`ledger.verification.ledger_verify`: balances, rollups
    against legs, events against transactions, the hash chain over what was sealed); incremental,
    so its cost follows the day. It runs in its own DB transaction, before anything is scored,
    so its seal commits whatever a later step does. A break raises LedgerBroken."""
    result = ledger_verify()
    if not result.ok:
        summary = "; ".join(f"{b.check}: {b.count} (ids {list(b.ids)[:5]})" for b in result.breaks)
        raise LedgerBroken(f"the ledger failed its verification: {summary}")
    return {
        "transactions_checked": result.transactions_checked,
        "seal": result.seal_number,
        "chain_head": result.chain_head,
    }


# --- progress -------------------------------------------------------------------------------


def _step(run: NightlyRun, name: str, **values) -> None:
    """Record a step's progress on the run (short transaction, the run row locked)."""
    with transaction.atomic():
        locked = NightlyRun.objects.select_for_update().get(pk=run.pk)
        locked.steps = {**locked.steps, name: {**locked.steps.get(name, {}), **values}}
        locked.save(update_fields=["steps"])
    run.steps = locked.steps


def _done(run: NightlyRun, name: str) -> bool:
    return run.steps.get(name, {}).get("status") == "done"


def _timed(run: NightlyRun, name: str, fn):
    if _done(run, name):
        return run.steps[name].get("result")
    _step(run, name, status="running")
    started = time.monotonic()
    result = fn()
    _step(run, name, status="done", seconds=round(time.monotonic() - started, 3), result=result)
    return result


# --- the steps -------------------------------------------------------------------------------


def run_prepare(run: NightlyRun) -> list[int]:
    """Steps 1-4, then the chunks still to compute (numbers)."""
    NightlyRun.objects.filter(pk=run.pk).update(status=NightlyRun.Status.RUNNING)
    run.refresh_from_db()
    verified = NightlyRun.objects.filter(
        kind=NightlyRun.Kind.BACKFILL,
        cutoff=run.cutoff,
        status=NightlyRun.Status.DONE,
        run_date__lt=run.run_date,
    )
    if run.kind == NightlyRun.Kind.BACKFILL and verified.exists():
        # the backfill's first run verified the ledger and ingested up to this same cut-off
        _timed(run, "verify", lambda: {"skipped": "verified by the backfill's first run"})
    _timed(run, "verify", verify_ledger)

    def ingest():
        found = ingest_up_to(cutoff=run.cutoff)
        NightlyRun.objects.filter(pk=run.pk).update(ingest=found, cutoff=found.cutoff)
        run.ingest, run.cutoff = found, found.cutoff
        return {"ingest": found.pk, **found.counts}

    _timed(run, "ingest", ingest)
    run.refresh_from_db()

    def users():
        # the state and the run's class counts, in one transaction
        return users_state_update(day=run.run_date, ingest=run.ingest, stamp=run.pk)

    _timed(run, "users", users)

    def window_sums():
        # the chunks and the ecosystem step read these sums (scoring.inputs), not the rollups
        state = windows.window_sums(windows.scoring_shape(), day=run.run_date, ingest_id=run.ingest_id)
        return {"state": state.pk, "advanced": state.advanced, "sums": state.sums.count()}

    _timed(run, "windows", window_sums)
    return chunks_plan(run)


def _emcs_for(day: dt.date) -> list[int]:
    """EMCs formed by the date and not ended before the period began."""
    start = day - dt.timedelta(days=settings.SCORING_PERIOD_DAYS - 1)
    return list(
        EMC.objects.filter(formed_on__lte=day)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .order_by("id")
        .values_list("id", flat=True)
    )


@transaction.atomic
def chunks_plan(run: NightlyRun) -> list[int]:
    if not RunChunk.objects.filter(run=run).exists():
        ids = _emcs_for(run.run_date)
        size = run.config.get("chunk_emcs") or settings.SCORING_CHUNK_EMCS
        RunChunk.objects.bulk_create(
            [
                RunChunk(run=run, number=n, emc_ids=ids[i : i + size])
                for n, i in enumerate(range(0, len(ids), size))
            ]
        )
    pending = list(RunChunk.objects.filter(run=run, done=False).values_list("number", flat=True))
    total = RunChunk.objects.filter(run=run).count()
    _step(run, "chunks", status="running" if pending else "done", total=total, done=total - len(pending))
    return pending


def _window(run: NightlyRun) -> inputs.Window:
    return inputs.Window(day=run.run_date, ingest_id=run.ingest_id, cutoff=run.cutoff, run_id=run.pk)


class Row(NamedTuple):
    """A snapshot row as written (COPY on PostgreSQL): the columns of scoring_snapshot."""

    run_id: int
    day: dt.date
    metric: str
    subject_kind: str
    subject_id: int
    value: object
    currency: str
    score: object
    figures: str
    inputs: str
    superseded: bool = False


SNAPSHOT_COLUMNS = [Snapshot._meta.get_field(f).column for f in Row._fields]


def _json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _snapshot(run, code: str, kind: str, subject_id: int, fig: metrics.Figure, score=None) -> Row:
    return Row(
        run.pk,
        run.run_date,
        code,
        kind,
        subject_id,
        fig.value,
        fig.currency,
        score,
        _json(fig.figures),
        _json(fig.inputs),
    )


def _write(rows: list[Row]) -> None:
    insert_rows(Snapshot._meta.db_table, SNAPSHOT_COLUMNS, rows)


def _index_snapshots(run, kind: str, subject_id: int, values: dict, config: dict) -> tuple[list, dict]:
    """The index of one subject as snapshots (overall, perspectives, criteria) and the metric scores."""
    result = index.index_compute(values, config)
    rows = []
    for level in ("criteria", "perspectives"):
        prefix = "index.criterion." if level == "criteria" else "index.perspective."
        for code, (value, contributions) in result[level].items():
            rows.append(
                _snapshot(
                    run,
                    prefix + code,
                    kind,
                    subject_id,
                    metrics.Figure(value, figures={"contributions": contributions}),
                    value,
                )
            )
    value, contributions = result["overall"]
    rows.append(
        _snapshot(
            run,
            "index",
            kind,
            subject_id,
            metrics.Figure(value, figures={"contributions": contributions}),
            value,
        )
    )
    return rows, result["metrics"]


def _subject_rows(run, inp, kind: str, key: int, subject_id: int, config: dict, facts=None) -> list[Snapshot]:
    rows, values, figs = [], {}, {}
    for spec in registry.for_subject(kind):
        fig = spec.compute(inp, key, facts) if spec.needs_facts else spec.compute(inp, key)
        figs[spec.code] = fig
        values[spec.code] = fig.value
    index_rows, scores = _index_snapshots(run, kind, subject_id, values, config)
    for code, fig in figs.items():
        rows.append(_snapshot(run, code, kind, subject_id, fig, scores.get(code)))
    return rows + index_rows


def chunk_compute(*, run_id: int, number: int, worker: str = "") -> int:
    """Compute and store the figures of one chunk's EMCs (idempotent: rewrites them whole)."""
    run = NightlyRun.objects.select_related("ingest").get(pk=run_id)
    chunk = RunChunk.objects.get(run=run, number=number)
    if chunk.done:
        return chunk.snapshots
    started = time.monotonic()
    config = index.config_from_json(run.config)
    inp = inputs.Inputs.load(_window(run), chunk.emc_ids)
    rows = [
        r for emc_id in chunk.emc_ids for r in _subject_rows(run, inp, registry.EMC, emc_id, emc_id, config)
    ]
    with transaction.atomic():
        Snapshot.objects.filter(run=run, subject_kind=registry.EMC, subject_id__in=chunk.emc_ids).delete()
        _write(rows)
        RunChunk.objects.filter(pk=chunk.pk).update(
            done=True,
            attempts=chunk.attempts + 1,
            snapshots=len(rows),
            seconds=round(time.monotonic() - started, 3),
            worker=worker or "in-process",
        )
    done = RunChunk.objects.filter(run=run, done=True).count()
    _step(run, "chunks", done=done)
    return len(rows)


def run_finish(*, run_id: int) -> NightlyRun:
    """The ecosystem-wide, per-ME and per-partner figures and the index; close the run."""
    run = NightlyRun.objects.select_related("ingest").get(pk=run_id)
    if run.status == NightlyRun.Status.DONE:
        return run
    pending = RunChunk.objects.filter(run=run, done=False).count()
    if pending:
        raise RuntimeError(f"run {run.pk}: {pending} chunks not done")
    _step(run, "chunks", status="done")
    started = time.monotonic()
    _step(run, "ecosystem", status="running")
    config = index.config_from_json(run.config)
    window = _window(run)
    inp = inputs.Inputs.load(window, None)
    facts = inputs.ecosystem_facts(window)
    rows = _subject_rows(run, inp, registry.ECOSYSTEM, 0, 0, config, facts)
    for spec in registry.for_subject(registry.PARTNER):
        for partner_id in sorted(inp.active_partners.get(0, ())):
            rows.append(
                _snapshot(run, spec.code, registry.PARTNER, partner_id, spec.per_partner(inp, partner_id))
            )
    mi = inputs.me_inputs(window)
    me_ids = set(mi["value"]) | set(mi["signals"]) | set(mi["users"]) | set(mi["earned"])
    me_ids |= set(
        Microenterprise.objects.filter(status__in=Microenterprise.LIVE_STATUSES).values_list("id", flat=True)
    )
    for me_id in sorted(me_ids):
        for code, fig in metrics.me_figures(mi, me_id).items():
            rows.append(_snapshot(run, code, registry.ME, me_id, fig))
    with transaction.atomic():
        Snapshot.objects.filter(run=run).exclude(subject_kind=registry.EMC).delete()
        _write(rows)
        counts = {
            "snapshots": Snapshot.objects.filter(run=run).count(),
            "emcs": sum(len(c) for c in run.chunks.values_list("emc_ids", flat=True)),
        }
        NightlyRun.objects.filter(pk=run.pk).update(
            status=NightlyRun.Status.DONE,
            finished_at=timezone.now(),
            lock=None,
            counts=counts,
            error="",
            summary={
                "index": next(
                    (
                        str(r.value)
                        for r in rows
                        if r.metric == "index" and r.subject_kind == registry.ECOSYSTEM
                    ),
                    None,
                )
            },
        )
        previous = NightlyRun.objects.filter(run_date=run.run_date, superseded=True)
        Snapshot.objects.filter(run__in=previous).update(superseded=True)
        if run.config.get("downstream", True):  # else a backfill's older date (services.run_start)
            transaction.on_commit(
                lambda: night_scored.send(sender=NightlyRun, run_id=run.pk, run_date=run.run_date)
            )
    _step(run, "ecosystem", status="done", seconds=round(time.monotonic() - started, 3))
    run.refresh_from_db()
    return run


def run_inline(*, run_id: int) -> NightlyRun:
    """Every step in this process, one chunk after another (no broker, tests, the demo)."""
    run = NightlyRun.objects.get(pk=run_id)
    try:
        for number in run_prepare(run):
            chunk_compute(run_id=run_id, number=number)
        return run_finish(run_id=run_id)
    except Exception as exc:
        run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise


# --- failure ---------------------------------------------------------------------------------


def run_fail(*, run_id: int, error: str) -> None:
    """Mark the run failed, release the pipeline and tell the admins (mail)."""
    updated = (
        NightlyRun.objects.filter(pk=run_id)
        .exclude(status=NightlyRun.Status.DONE)
        .update(status=NightlyRun.Status.FAILED, error=error[:5000], finished_at=timezone.now(), lock=None)
    )
    if not updated:
        return
    run = NightlyRun.objects.get(pk=run_id)
    log.error("nightly run %s of %s failed: %s", run.pk, run.run_date, error)
    recipients = list(
        get_user_model()
        .objects.filter(groups__name=Role.PLATFORM_ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if recipients:
        send_mail(
            subject=f"Nightly scoring of {run.run_date} failed",
            message=f"The nightly run of {run.run_date} (run {run.pk}) failed:\n\n{error}\n\n"
            "Resume or re-run it from the scoring page once the cause is fixed.",
            from_email=None,
            recipient_list=recipients,
            fail_silently=True,
        )
