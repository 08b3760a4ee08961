"""The scorecards' window sums, kept as state so a night costs what the night brings.

Each night the scorecards need, per partner, the scoring rollups summed over every window
(JUDGING_WINDOWS days ending on the run's date, and the same number of days before, for the
trends) as recorded up to the run's ingest: the shape `scoring.inputs.partner_windows` returns.
Read whole, that is every rollup row of two years each night. Instead they are the state of
scoring's mechanism (scoring/windows.py: stored per night, advanced by the night's rollup rows and
the days entering and leaving each window, read whole on the first night, after a gap or a
changed JUDGING_WINDOWS, or with `rebuild=True`), under the name "judging"; this module says only
what is summed (`judging_shape`) and turns the stored sums into `partner_windows`' shape.
"""

import datetime as dt
from collections import defaultdict

from ledger.models import Account
from scoring import windows as scoring_windows
from scoring.models import EarnedDay, PartnerDay, PartnerSignalDay, SolutionDay, ValueDay

Source = scoring_windows.Source
SIGNAL_NAMES = ("ratings", "ratings_above", "ratings_below", "margin_sum", "cocreations")
VALUE_NAMES = ("events", "net", "refunds", "refund")


def judging_shape(windows: list[int]) -> scoring_windows.Shape:
    """Each window w as two spans (the w days ending on the day, the w days before them), every
    kind over every span: the partners' value (v), what the ledger credited them (e), the signals
    on their solutions (s), each solution's value (o), the ecosystem's value (t)."""
    spans = tuple(span for w in windows for span in ((w - 1, 0), (2 * w - 1, w)))
    every = tuple(range(len(spans)))
    return scoring_windows.Shape(
        name="judging",
        spans=spans,
        kinds={
            "v": Source(
                PartnerDay, ("events", "value_minor", "refunds", "refund_minor"), every, key="partner_id"
            ),
            "e": Source(
                EarnedDay,
                ("earned_minor",),
                every,
                key="owner_id",
                where=f"owner_kind = '{Account.Kind.PARTNER}'",
            ),
            "s": Source(PartnerSignalDay, SIGNAL_NAMES, every, key="partner_id", currency="''"),
            "o": Source(SolutionDay, ("net_minor",), every, key="solution_id"),
            "t": Source(ValueDay, ("net_minor",), every),
        },
    )


def _read(state, spans: list[tuple[dt.date, dt.date]]) -> list[dict]:
    """The stored sums in `scoring.inputs.partner_windows`' shape."""
    out = [
        {
            "start": start,
            "end": end,
            "value": defaultdict(dict),
            "earned": defaultdict(dict),
            "signals": {},
            "solutions": defaultdict(dict),
            "total": {},
        }
        for start, end in spans
    ]
    for kind, span, _emc, key, currency, *n in scoring_windows.sums_read(state):
        window = out[span]
        if kind == "v":
            window["value"][key][currency] = dict(zip(VALUE_NAMES, n, strict=False))
        elif kind == "e":
            window["earned"][key][currency] = n[0]
        elif kind == "s":
            window["signals"][key] = dict(zip(SIGNAL_NAMES, n, strict=False))
        elif kind == "o":
            window["solutions"][currency][key] = n[0]
        else:
            window["total"][currency] = n[0]
    return out


def window_sums(
    *, day: dt.date, ingest_id: int, windows: list[int], rebuild: bool = False
) -> tuple[list[dict], bool]:
    """The rollups summed over each scorecard window as of the ingest, advanced from the newest
    earlier state when there is one (and not `rebuild`), stored as the state of `day`. Returns
    the sums in `partner_windows`' shape (spans in `judging_shape`'s order), and whether they
    were advanced."""
    shape = judging_shape(windows)
    state = scoring_windows.window_sums(shape, day=day, ingest_id=ingest_id, rebuild=rebuild)
    return _read(state, shape.dates(day)), state.advanced
