"""Reads of the nightly scoring: figures by (metric, subject, date), series for charts, the
index breakdown, runs with their progress, and period figures for the payout and scorecard steps.

Interfaces for the next steps of the pipeline:
- `figure(metric=, subject_kind=, subject_id=, day=)`: one stored figure (current run);
- `figures_for_period(metric=, subject_kind=, subject_ids=, start=, end=)`: the VAM goal figures
  over any period, from the rollups (payouts apply VAM vertical goals with these);
- `series(metric=, subject_kind=, subject_id=, start=, end=)`: a figure over days (rolling
  windows for the partner scorecards).
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from ledger.money import from_minor
from scoring.models import EarnedDay, NightlyRun, RunChunk, SignalDay, Snapshot, ValueDay


def current_snapshots():
    """Snapshots of the runs in force (a restated date shows only its latest run)."""
    return Snapshot.objects.filter(
        superseded=False, run__superseded=False, run__status=NightlyRun.Status.DONE
    )


def figure(
    *, metric: str, subject_kind: str = "ecosystem", subject_id: int = 0, day: dt.date
) -> Snapshot | None:
    return (
        current_snapshots()
        .filter(metric=metric, subject_kind=subject_kind, subject_id=subject_id, day=day)
        .first()
    )


def series(
    *, metric: str, subject_kind: str = "ecosystem", subject_id: int = 0, start=None, end=None
) -> list[dict]:
    qs = current_snapshots().filter(metric=metric, subject_kind=subject_kind, subject_id=subject_id)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    return [
        {"day": d.isoformat(), "value": None if v is None else str(v), "score": None if s is None else str(s)}
        for d, v, s in qs.order_by("day").values_list("day", "value", "score")
    ]


def latest_day() -> dt.date | None:
    return (
        NightlyRun.objects.filter(status=NightlyRun.Status.DONE, superseded=False)
        .order_by("-run_date")
        .values_list("run_date", flat=True)
        .first()
    )


def day_snapshots(
    *, day: dt.date, subject_kind: str = "ecosystem", subject_id: int = 0
) -> dict[str, Snapshot]:
    return {
        s.metric: s
        for s in current_snapshots().filter(day=day, subject_kind=subject_kind, subject_id=subject_id)
    }


def emc_comparison(*, metric: str, day: dt.date) -> list[dict]:
    from orgs.models import EMC

    names = dict(EMC.objects.values_list("id", "code"))
    rows = (
        current_snapshots()
        .filter(metric=metric, day=day, subject_kind="emc")
        .order_by("-value", "subject_id")
    )
    return [
        {
            "emc": names.get(s.subject_id, s.subject_id),
            "value": None if s.value is None else str(s.value),
            "score": None if s.score is None else str(s.score),
        }
        for s in rows
    ]


def run_progress(*, run: NightlyRun) -> dict:
    total = RunChunk.objects.filter(run=run).count()
    done = RunChunk.objects.filter(run=run, done=True).count()
    steps = run.steps or {}
    finished = sum(
        1 for name in NightlyRun.STEPS if name != "chunks" and steps.get(name, {}).get("status") == "done"
    )
    chunk_part = (done / total) if total else (1 if steps.get("chunks", {}).get("status") == "done" else 0)
    percent = (
        100
        if run.status == NightlyRun.Status.DONE
        else int(100 * (finished + chunk_part) / len(NightlyRun.STEPS))
    )
    return {"percent": percent, "chunks_done": done, "chunks_total": total, "steps": steps}


def runs():
    return NightlyRun.objects.select_related("started_by").order_by("-run_date", "-id")


def latest_failed_run() -> NightlyRun | None:
    """The newest run in force that failed, unless a later date has run since."""
    failed = (
        NightlyRun.objects.filter(status=NightlyRun.Status.FAILED, superseded=False)
        .order_by("-run_date")
        .first()
    )
    if failed is None:
        return None
    later = NightlyRun.objects.filter(status=NightlyRun.Status.DONE, run_date__gt=failed.run_date).exists()
    return None if later else failed


def figures_for_period(
    *, metric: str, subject_kind: str, subject_ids, start: dt.date, end: dt.date, currency: str = "CNY"
) -> dict[int, Decimal | None]:
    """A VAM goal figure per ME or EMC over [start, end] as recorded so far (from the rollups):
    user_paid_value, ecosystem_revenue, profit (major units of `currency`), co_creation."""
    ids = list(subject_ids)
    field = "me_id" if subject_kind == "me" else "emc_id"
    bounded = {"day__gte": start, "day__lte": end, f"{field}__in": ids}
    if metric in ("user_paid_value", "ecosystem_revenue"):
        column = "net_minor" if metric == "user_paid_value" else "noncore_net_minor"
        rows = (
            ValueDay.objects.filter(currency=currency, **bounded)
            .values(field)
            .annotate(t=Sum(column))
            .order_by()
        )
        found = {r[field]: from_minor(r["t"], currency) for r in rows}
    elif metric == "profit":
        owner = (
            {"owner_kind": "me", "owner_id__in": ids}
            if subject_kind == "me"
            else {"emc_id__in": ids, "owner_kind": "me"}
        )
        key = "owner_id" if subject_kind == "me" else "emc_id"
        rows = (
            EarnedDay.objects.filter(currency=currency, day__gte=start, day__lte=end, **owner)
            .values(key)
            .annotate(t=Sum("earned_minor"))
            .order_by()
        )
        found = {r[key]: from_minor(r["t"], currency) for r in rows}
    elif metric == "co_creation":
        rows = SignalDay.objects.filter(**bounded).values(field).annotate(t=Sum("cocreations")).order_by()
        found = {r[field]: Decimal(r["t"]) for r in rows}
    else:
        raise ValueError(f"{metric} has no period form; read its nightly snapshots with series()")
    return {pk: found.get(pk) for pk in ids}


def metric_definitions() -> list[dict]:
    """Every registered figure with its catalogue entry, definition, target and weight in force."""
    from orgs import metric_catalog as catalog
    from scoring import index
    from scoring.registry import REGISTRY

    config = index.index_config()
    out = []
    for code, spec in REGISTRY.items():
        entry = catalog.metric(code)
        cfg = config["metrics"].get(code)
        out.append(
            {
                "code": code,
                "number": entry.number,
                "name": str(entry.name),
                "perspective": entry.perspective,
                "criterion": entry.criterion,
                "unit": entry.unit,
                "direction": entry.direction,
                "axis": entry.axis,
                "definition": str(spec.definition),
                "headline": str(spec.headline),
                "secondary": list(spec.secondary),
                "subjects": list(spec.subjects),
                "target": str(cfg["target"]) if cfg else None,
                "weight": str(cfg["weight"]) if cfg else None,
            }
        )
    return out


def index_breakdown(*, day: dt.date, subject_kind: str = "ecosystem", subject_id: int = 0) -> dict | None:
    """The index of a subject on a day: overall, perspectives, criteria with their contributions,
    and each metric's headline and score (None when no run covers the day)."""
    from orgs import metric_catalog as catalog

    snaps = day_snapshots(day=day, subject_kind=subject_kind, subject_id=subject_id)
    if "index" not in snaps:
        return None

    def level(metric: str) -> dict:
        s = snaps.get(metric)
        if s is None:
            return {"value": None, "contributions": {}}
        return {
            "value": None if s.value is None else str(s.value),
            "contributions": s.figures.get("contributions", {}),
        }

    return {
        "day": day.isoformat(),
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "overall": level("index"),
        "perspectives": {p: level(f"index.perspective.{p}") for p in catalog.PERSPECTIVES},
        "criteria": {c: level(f"index.criterion.{c}") for c in catalog.CRITERIA},
        "metrics": {
            e.code: {
                "value": None
                if snaps.get(e.code) is None or snaps[e.code].value is None
                else str(snaps[e.code].value),
                "score": None
                if snaps.get(e.code) is None or snaps[e.code].score is None
                else str(snaps[e.code].score),
            }
            for e in catalog.standard_metrics()
        },
    }


def class_series(*, subject_kind: str = "ecosystem", subject_id: int = 0, start=None, end=None) -> dict:
    """Active users by loyalty class per day (from the life-long users figure), for a chart."""
    qs = current_snapshots().filter(metric="lifelong_users", subject_kind=subject_kind, subject_id=subject_id)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    out = {"labels": [], "transactional": [], "interactive": [], "lifelong": []}
    for day, figures in qs.order_by("day").values_list("day", "figures"):
        out["labels"].append(day.isoformat())
        for name in ("transactional", "interactive", "lifelong"):
            out[name].append(figures.get(name))
    return out


def index_series(*, subject_kind: str = "ecosystem", subject_id: int = 0, start=None, end=None) -> dict:
    """The index and its three perspectives per day, for a chart."""
    from orgs import metric_catalog as catalog

    metrics = ["index", *(f"index.perspective.{p}" for p in catalog.PERSPECTIVES)]
    qs = current_snapshots().filter(metric__in=metrics, subject_kind=subject_kind, subject_id=subject_id)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    days: dict[str, dict] = {}
    for day, metric, value in qs.order_by("day").values_list("day", "metric", "value"):
        days.setdefault(day.isoformat(), {})[metric] = None if value is None else str(value)
    labels = sorted(days)
    return {"labels": labels, "series": {m: [days[d].get(m) for d in labels] for m in metrics}}
