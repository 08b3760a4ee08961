"""The ME evaluation matrix (Haier's two-dimensional chart) of a night: one `MatrixPoint` per ME.

- *x, enterprise value*: the mean % of target the ME attained on its VAM horizontal goals
  (user-paid value, margin) over the scoring period (SCORING_PERIOD_DAYS);
- *y, user value*: the same on its vertical goals (life-long users, ecosystem revenue).

The figures are the ME snapshots the night stored (scoring: `user_paid_value`, `profit`,
`lifelong_users`, `ecosystem_revenue`, in SCORING_CURRENCY). The ME's target of a goal is the
goal of each EMC contract in force on the date (the highest approved version effective by then)
where the ME is a node, times the ME's node share; a flow (money) is scaled from the contract's
period to the scoring period (month 30, quarter 91, year 365 days), a stock (life-long users)
is not. A goal no contract sets is left out of its axis; an axis without any goal (or without
the figure) is "no data", and the ME is not placed. Quadrants: an axis is high at or above its
band (JUDGING_MATRIX_X_BAND / _Y_BAND, % of target). `previous_quadrant` is the ME's quadrant one
period earlier, so the MEs that moved are one indexed query.

The bands are admin data (judging.MatrixBands, saved by judging.services.matrix_bands_save): a
night uses the version in force on its date; without any version, the settings apply.
"""

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction

from judging.models import MatrixBands, MatrixPoint
from ledger.models import Contract, ContractGoal, ContractNodeShare
from scoring.models import NightlyRun, Snapshot

X_GOALS = ("user_paid_value", "profit")
Y_GOALS = ("lifelong_users", "ecosystem_revenue")
STOCKS = {"lifelong_users"}
PERIOD_DAYS = {Contract.Period.MONTH: 30, Contract.Period.QUARTER: 91, Contract.Period.YEAR: 365}
Q = MatrixPoint.Quadrant
TWO = Decimal("0.01")


def _contracts_in_force(day: dt.date) -> dict[int, int]:
    """EMC -> the contract in force on the date (highest approved version effective by then)."""
    best: dict[int, tuple[int, int]] = {}
    for pk, emc_id, version in Contract.objects.filter(
        status=Contract.Status.APPROVED, effective_from__lte=day
    ).values_list("id", "emc_id", "version"):
        if emc_id not in best or version > best[emc_id][1]:
            best[emc_id] = (pk, version)
    return {emc: pk for emc, (pk, _v) in best.items()}


def me_targets(day: dt.date) -> dict[int, dict[str, Decimal]]:
    """ME -> goal metric -> its target over the scoring period."""
    in_force = set(_contracts_in_force(day).values())
    period = dict(Contract.objects.filter(pk__in=in_force).values_list("id", "period"))
    goals = defaultdict(dict)  # contract -> metric -> target
    for cid, metric, target in ContractGoal.objects.filter(
        contract_id__in=in_force, metric__in=X_GOALS + Y_GOALS
    ).values_list("contract_id", "metric", "target"):
        goals[cid][metric] = target
    out = defaultdict(lambda: defaultdict(Decimal))
    for cid, me_id, share in ContractNodeShare.objects.filter(contract_id__in=in_force).values_list(
        "contract_id", "me_id", "share_pct"
    ):
        for metric, target in goals.get(cid, {}).items():
            scale = (
                Decimal(1)
                if metric in STOCKS
                else Decimal(settings.SCORING_PERIOD_DAYS) / PERIOD_DAYS.get(period[cid], 30)
            )
            out[me_id][metric] += target * share / 100 * scale
    return out


def bands_on(day: dt.date | None = None) -> tuple[Decimal, Decimal]:
    """The (x, y) bands in force on the date (the latest version by then), else the settings."""
    versions = MatrixBands.objects.order_by("-effective_from")
    if day is not None:
        versions = versions.filter(effective_from__lte=day)
    found = versions.values_list("x_band", "y_band").first()
    if found is None:
        return Decimal(settings.JUDGING_MATRIX_X_BAND), Decimal(settings.JUDGING_MATRIX_Y_BAND)
    return found


def quadrant(x, y, bands: tuple | None = None) -> str:
    if x is None or y is None:
        return Q.UNPLACED
    x_band, y_band = bands if bands is not None else bands_on()
    high_x, high_y = x >= x_band, y >= y_band
    return Q.LEADING if high_x and high_y else Q.MARKET if high_x else Q.USER if high_y else Q.LAGGING


def _axis(actual: dict, targets: dict, metrics) -> tuple[Decimal | None, dict]:
    parts = {}
    for m in metrics:
        target, value = targets.get(m), actual.get(m)
        if target and target > 0 and value is not None:
            parts[m] = {
                "value": str(value),
                "target": str(target.quantize(TWO)),
                "pct": str((value * 100 / target).quantize(TWO, ROUND_HALF_UP)),
            }
    if not parts:
        return None, parts
    mean = sum(Decimal(p["pct"]) for p in parts.values()) / len(parts)
    return mean.quantize(TWO, ROUND_HALF_UP), parts


def matrix_compute(*, run_id: int) -> int:
    """Place every ME with figures on the run's date (rewrites the date's points)."""
    run = NightlyRun.objects.get(pk=run_id)
    day = run.run_date
    actual = defaultdict(dict)
    for me_id, metric, value in Snapshot.objects.filter(
        run=run, subject_kind="me", metric__in=X_GOALS + Y_GOALS, value__isnull=False
    ).values_list("subject_id", "metric", "value"):
        actual[me_id][metric] = value
    targets = me_targets(day)
    bands = bands_on(day)
    before = day - dt.timedelta(days=settings.SCORING_PERIOD_DAYS)
    previous = dict(MatrixPoint.objects.filter(day=before).values_list("me_id", "quadrant"))
    rows = []
    for me_id in sorted(set(actual) | set(targets)):
        x, x_parts = _axis(actual.get(me_id, {}), targets.get(me_id, {}), X_GOALS)
        y, y_parts = _axis(actual.get(me_id, {}), targets.get(me_id, {}), Y_GOALS)
        rows.append(
            MatrixPoint(
                me_id=me_id,
                day=day,
                run=run,
                x=x,
                y=y,
                quadrant=quadrant(x, y, bands),
                previous_quadrant=previous.get(me_id, ""),
                figures={"x": x_parts, "y": y_parts, "bands": [str(bands[0]), str(bands[1])]},
            )
        )
    with transaction.atomic():
        MatrixPoint.objects.filter(day=day).delete()
        MatrixPoint.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
