"""Judging reads: scorecards by date, their history for sparklines, and the events behind them."""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from judging.models import Scorecard
from ledger.models import UserSignal, ValueEvent, ValueEventPartner
from ledger.money import from_minor
from orgs.models import Partner, Solution

# columns the comparison table sorts by ("-" for descending), a whitelist
SORTS = {
    "revenue": "revenue_minor",
    "growth": "revenue_growth_pct",
    "value_added": "value_added_pct",
    "margin": "margin_mean",
    "refund_rate": "refund_rate_pct",
    "co_share": "co_value_share_pct",
    "tenure": "tenure_days",
    "name": "partner__name",
}
SPARK_FIELDS = ("revenue_minor", "value_added_pct", "margin_mean", "refund_rate_pct", "co_value_share_pct")


def latest_day() -> dt.date | None:
    return Scorecard.objects.order_by("-day").values_list("day", flat=True).first()


def scorecard(*, partner: Partner, day: dt.date | None = None) -> Scorecard | None:
    qs = Scorecard.objects.filter(partner=partner).select_related("run")
    if day is not None:
        qs = qs.filter(day=day)
    return qs.order_by("-day").first()


def scorecard_table(*, day: dt.date, partners: QuerySet, sort: str = "-revenue") -> QuerySet:
    """The day's scorecards of the given partners, sorted by a whitelisted column (nulls last)."""
    desc = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"), "revenue_minor")
    order = F(column).desc(nulls_last=True) if desc else F(column).asc(nulls_last=True)
    return (
        Scorecard.objects.filter(day=day, partner__in=partners)
        .select_related("partner")
        .order_by(order, "partner__name")
    )


def sparklines(*, partner: Partner, end: dt.date) -> dict:
    """The headline figures of the partner's scorecards over the last JUDGING_SPARKLINE_DAYS."""
    start = end - dt.timedelta(days=settings.JUDGING_SPARKLINE_DAYS - 1)
    rows = list(
        Scorecard.objects.filter(partner=partner, day__gte=start, day__lte=end)
        .order_by("day")
        .values_list("day", *SPARK_FIELDS)
    )
    out = {"labels": [r[0].isoformat() for r in rows]}
    for i, name in enumerate(SPARK_FIELDS, start=1):
        out[name] = [None if r[i] is None else str(r[i]) for r in rows]
    # amounts drawn in major units of the headline currency
    out["revenue_minor"] = [
        str(from_minor(int(v), settings.SCORING_CURRENCY)) if v is not None else None
        for v in out["revenue_minor"]
    ]
    return out


def events_behind(*, partner: Partner, start: dt.date, end: dt.date, cutoff=None) -> QuerySet:
    """The value events the partner took part in over [start, end], as the night read them."""
    took_part = ValueEventPartner.objects.filter(event=OuterRef("pk"), partner=partner)
    qs = ValueEvent.objects.filter(Exists(took_part), occurred_on__gte=start, occurred_on__lte=end)
    if cutoff is not None:
        qs = qs.filter(logged_at__lte=cutoff)
    return qs.select_related("me", "emc", "category", "solution").order_by("-occurred_at", "-id")


def ratings_behind(*, partner: Partner, start: dt.date, end: dt.date, cutoff=None) -> QuerySet:
    """The ratings on the solutions the partner provides over [start, end]."""
    provides = Solution.provider_partners.through.objects.filter(
        solution_id=OuterRef("solution_id"), partner=partner
    )
    qs = UserSignal.objects.filter(
        Q(kind=UserSignal.Kind.RATING), Exists(provides), occurred_on__gte=start, occurred_on__lte=end
    )
    if cutoff is not None:
        qs = qs.filter(logged_at__lte=cutoff)
    return qs.select_related("solution", "me").order_by("-occurred_at", "-id")


def matrix(*, day: dt.date | None = None, emc_code: str = "") -> dict:
    """The ME matrix of a date (the latest by default), optionally only the MEs seated in an EMC:
    each ME's point, its path over the past periods, and the MEs that moved quadrant."""
    from judging.models import MatrixPoint
    from orgs.models import EMCNode

    if day is None:
        day = MatrixPoint.objects.order_by("-day").values_list("day", flat=True).first()
    if day is None:
        return {"day": None, "points": [], "moved": [], "bands": _bands()}
    points = MatrixPoint.objects.filter(day=day).select_related("me")
    if emc_code:
        seated = EMCNode.objects.filter(emc__code=emc_code).values("me_id")
        points = points.filter(me_id__in=seated)
    points = list(points.order_by("me__code"))
    period = settings.SCORING_PERIOD_DAYS
    past_days = [
        day - dt.timedelta(days=period * k) for k in range(settings.JUDGING_MATRIX_PATH_PERIODS, 0, -1)
    ]
    paths: dict[int, list] = {}
    for me_id, d, x, y in (
        MatrixPoint.objects.filter(me_id__in=[p.me_id for p in points], day__in=past_days)
        .order_by("me_id", "day")
        .values_list("me_id", "day", "x", "y")
    ):
        if x is not None and y is not None:
            paths.setdefault(me_id, []).append({"day": d.isoformat(), "x": str(x), "y": str(y)})
    out = []
    for p in points:
        out.append(
            {
                "me": p.me.code,
                "name": p.me.name,
                "x": None if p.x is None else str(p.x),
                "y": None if p.y is None else str(p.y),
                "quadrant": p.quadrant,
                "previous_quadrant": p.previous_quadrant,
                "moved": bool(p.previous_quadrant) and p.previous_quadrant != p.quadrant,
                "figures": p.figures,
                "path": paths.get(p.me_id, []),
            }
        )
    return {
        "day": day.isoformat(),
        "points": out,
        "moved": [p for p in out if p["moved"]],
        "bands": _bands(day),
    }


def _bands(day: dt.date | None = None) -> dict:
    """The bands the night of `day` used (the latest version when no night is shown)."""
    from judging.matrix import bands_on

    return {axis: int(v) if v == int(v) else float(v) for axis, v in zip("xy", bands_on(day), strict=True)}
