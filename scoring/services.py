"""Writes of the nightly scoring: starting runs (nightly, re-run, backfill, restatement), taking
the pipeline's lock, and the index's targets and weights (validated, audited)."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config import values
from config.errors import ConflictError
from orgs import metric_catalog as catalog
from orgs.audit import audit_record
from scoring import index
from scoring.models import IndexSetting, Ingest, NightlyRun

STALE = dt.timedelta(hours=6)  # a run holding the pipeline this long without finishing is dead


def default_run_date() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def _parse_day(value, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Give a date like 2026-01-31.")}) from None


def _check_day(day: dt.date, field: str) -> None:
    today = timezone.localdate()
    if day >= today:
        raise ValidationError({field: _("A run is for a day that has ended: yesterday at the latest.")})
    if day < today - dt.timedelta(days=settings.SCORING_BACKFILL_MAX_DAYS):
        raise ValidationError(
            {field: _("At most %(days)d days back.") % {"days": settings.SCORING_BACKFILL_MAX_DAYS}}
        )


def backfill_range_check(*, date_from, date_to) -> tuple[dt.date, dt.date]:
    start, end = _parse_day(date_from, "date_from"), _parse_day(date_to, "date_to")
    _check_day(start, "date_from")
    _check_day(end, "date_to")
    if end < start:
        raise ValidationError({"date_to": _("The last day is before the first.")})
    return start, end


def _require(actor) -> None:
    if actor is not None and not actor.has_perm("scoring.run"):
        raise PermissionDenied(_("Only platform admins start scoring runs."))


def _new_cutoff() -> dt.datetime:
    """Now less a lag (rows of transactions still open at the cut-off are not lost), and never
    before the latest ingest's cut-off."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SCORING_CUTOFF_LAG_SECONDS)
    latest = Ingest.objects.order_by("-cutoff").values_list("cutoff", flat=True).first()
    return max(cutoff, latest) if latest else cutoff


@transaction.atomic
def run_start(
    *,
    run_date=None,
    actor=None,
    kind: str = NightlyRun.Kind.NIGHTLY,
    restate: bool = False,
    backfill_to: dt.date | None = None,
    cutoff: dt.datetime | None = None,
    downstream: bool = True,
) -> NightlyRun:
    """Make (or reuse) the run of a date and take the pipeline for it.

    A second start of a date re-runs it with its stored cut-off (same result); `restate` makes a
    new run with a new cut-off and keeps the previous one visible, marked superseded. Refused with
    409 while another run holds the pipeline. `downstream=False`: the run does not announce the
    scored night (`scoring.signals.night_scored`), so the later steps (judging, payouts) skip it:
    for the older dates of a long backfill, whose proposals and payout drafts nobody reads.
    """
    _require(actor)
    day = default_run_date() if run_date is None else _parse_day(run_date, "run_date")
    _check_day(day, "run_date")
    _release_stale()
    current = NightlyRun.objects.select_for_update().filter(run_date=day, superseded=False).first()
    if current is not None and current.lock:
        return current  # already holds the pipeline: a redelivered start, or a double click
    if current is not None and restate:
        NightlyRun.objects.filter(pk=current.pk).update(superseded=True)
        current = None
    if current is None:
        run = NightlyRun.objects.create(
            run_date=day,
            kind=NightlyRun.Kind.RESTATE if restate else kind,
            cutoff=cutoff or _new_cutoff(),
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            backfill_to=backfill_to,
        )
    else:
        run = current
        run.steps, run.error = {}, ""
        run.chunks.all().delete()
        run.kind = kind if kind != NightlyRun.Kind.NIGHTLY else NightlyRun.Kind.RERUN
        run.backfill_to = backfill_to
        run.save(update_fields=["steps", "error", "kind", "backfill_to"])
    try:
        with transaction.atomic():
            updated = NightlyRun.objects.filter(pk=run.pk, lock__isnull=True).update(
                lock="active",
                status=NightlyRun.Status.QUEUED,
                started_at=timezone.now(),
                finished_at=None,
                runs=run.runs + 1,
                # a re-run keeps the targets and weights it was first computed with
                config={
                    **(
                        run.config
                        or {
                            **index.config_as_json(index.index_config()),
                            "chunk_emcs": settings.SCORING_CHUNK_EMCS,
                        }
                    ),
                    "downstream": bool(downstream),
                },
            )
    except IntegrityError:
        holder = NightlyRun.objects.filter(lock="active").first()
        raise ConflictError(
            {
                "run_date": [
                    _("The run of %(day)s is in progress; try again when it ends.")
                    % {"day": holder.run_date if holder else "?"}
                ]
            }
        ) from None
    if not updated:
        raise ConflictError({"run_date": [_("This run changed meanwhile.")]})
    run.refresh_from_db()
    if actor is not None:
        audit_record(
            actor=actor,
            action="scoring.run_start",
            target=run,
            changes={"kind": run.kind, "run_date": str(day)},
        )
    return run


def run_resume(*, run: NightlyRun, actor=None) -> NightlyRun:
    """Take the pipeline again for a failed run: its done steps and chunks are kept."""
    _require(actor)
    with transaction.atomic():
        try:
            updated = NightlyRun.objects.filter(
                pk=run.pk, status=NightlyRun.Status.FAILED, lock__isnull=True
            ).update(lock="active", status=NightlyRun.Status.QUEUED, error="", runs=run.runs + 1)
        except IntegrityError:
            raise ConflictError({"run": [_("Another run is in progress.")]}) from None
        if not updated:
            raise ConflictError({"run": [_("Only a failed run can be resumed.")]})
        run.refresh_from_db()
        if actor is not None:
            audit_record(actor=actor, action="scoring.run_resume", target=run)
    return run


def _release_stale() -> None:
    from scoring.pipeline import run_fail  # the pipeline module imports this one's callers

    for run in NightlyRun.objects.filter(lock="active", started_at__lt=timezone.now() - STALE):
        run_fail(run_id=run.pk, error="abandoned: held the pipeline for more than 6 hours")


# --- the index's targets and weights ----------------------------------------------------------


def _number(value, field: str, errors: dict, *, max_digits: int, decimal_places: int) -> Decimal | None:
    """Decimal text (no exponent; the API refuses JSON numbers) or a whole number a caller
    passed, inside the digits its field stores."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    try:
        number = values.decimal_text_parse(value, field=field)
    except ValidationError:
        errors.setdefault(field, []).append(_("Give a number."))
        return None
    try:
        return values.decimal_digits_check(
            number, field=field, max_digits=max_digits, decimal_places=decimal_places
        )
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return None


def _setting_put(*, level: str, code: str, actor, **fields) -> None:
    """Write one setting without reading its stored target (which a bad old value could fail)."""
    fields["updated_by"] = actor if getattr(actor, "is_authenticated", False) else None
    if not IndexSetting.objects.filter(level=level, code=code).update(updated_at=timezone.now(), **fields):
        IndexSetting.objects.create(level=level, code=code, **fields)


@transaction.atomic
def index_weights_set(*, actor, level: str, weights: dict[str, object], reason: str = "") -> dict:
    """Set the weights of one group at once: the metrics of a criterion, the criteria of a
    perspective, or the three perspectives. Each weight > 0; the group sums to exactly 100."""
    if actor is not None and not actor.has_perm("scoring.run"):
        raise PermissionDenied(_("Only platform admins change the index."))
    groups = {}
    for c in catalog.CRITERIA:
        groups[("metric", c)] = {e.code for e in catalog.criterion_metrics(c)}
    for p in catalog.PERSPECTIVES:
        groups[("criterion", p)] = {c.code for c in catalog.perspective_criteria(p)}
    groups[("perspective", "")] = set(catalog.PERSPECTIVES)
    group = next(
        (codes for (lvl, _p), codes in groups.items() if lvl == level and codes == set(weights)), None
    )
    errors: dict[str, list] = {}
    if level not in IndexSetting.Level.values:
        raise ValidationError({"level": _("Use metric, criterion or perspective.")})
    if group is None:
        raise ValidationError(
            {
                "weights": _(
                    "Give the weights of one whole group: every metric of a criterion, every criterion of a perspective, or the three perspectives."
                )
            }
        )
    parsed = {}
    for code, raw in weights.items():
        weight = _number(raw, f"weights.{code}", errors, max_digits=7, decimal_places=2)
        if weight is not None and weight <= 0:
            errors.setdefault(f"weights.{code}", []).append(_("A weight is more than zero."))
        elif weight is not None and weight != weight.quantize(Decimal("0.01")):
            errors.setdefault(f"weights.{code}", []).append(_("Use at most two decimals."))
        parsed[code] = weight
    if not errors and sum(parsed.values()) != 100:
        errors["weights"] = [
            _("The weights sum to %(total)s; they must sum to 100.") % {"total": sum(parsed.values())}
        ]
    if errors:
        raise ValidationError(errors)
    config = index.index_config()
    before = {}
    for code, weight in parsed.items():
        current = config["metrics"][code] if level == "metric" else None
        before[code] = str(
            current["weight"]
            if current
            else (config["criteria"] if level == "criterion" else config["perspectives"])[code]
        )
        _setting_put(
            level=level, code=code, actor=actor, weight=weight, target=current["target"] if current else None
        )
    setting = (
        IndexSetting.objects.readable().filter(level=level, code__in=list(parsed)).order_by("code").first()
    )
    audit_record(
        actor=actor,
        action="scoring.index_weights",
        target=setting,
        changes={code: [before[code], str(w)] for code, w in parsed.items()},
        reason=reason,
    )
    return parsed


@transaction.atomic
def metric_target_set(*, actor, metric: str, target, reason: str = "") -> IndexSetting:
    """Set a standard metric's target (more than zero); applies from the next run."""
    if actor is not None and not actor.has_perm("scoring.run"):
        raise PermissionDenied(_("Only platform admins change the index."))
    entry = catalog.METRICS.get(metric)
    if entry is None or not entry.is_standard:
        raise ValidationError({"metric": _("Choose one of the standard's 19 metrics.")})
    errors: dict = {}
    value = _number(target, "target", errors, max_digits=20, decimal_places=4)
    if value is not None and value <= 0:
        errors["target"] = [_("A target is more than zero.")]
    if errors:
        raise ValidationError(errors)
    current = index.index_config()["metrics"][metric]
    _setting_put(
        level=IndexSetting.Level.METRIC, code=metric, actor=actor, weight=current["weight"], target=value
    )
    setting = IndexSetting.objects.readable().get(level=IndexSetting.Level.METRIC, code=metric)
    setting.target = value
    audit_record(
        actor=actor,
        action="scoring.metric_target",
        target=setting,
        changes={"target": [str(current["target"]), str(value)]},
        reason=reason,
    )
    return setting
