"""The one place where inputs beyond value events and user signals join the history.

Each day of the history passes through `with_daily_inputs` before it is posted. Inputs that
other parts of the application are adding (purpose indicators, a ledger model, for metrics
1-2; partners' use of shared platform resources over time, an orgs model, for metric 15) are
to be generated here: add a function `(day, batches, plan, ids)` to DAILY_INPUTS that writes
that day's rows through its app's service, after the day's batches are drawn. None is wired
yet: their models are not in this branch.
"""

from collections.abc import Callable, Iterable, Iterator

from synth.history import Batch

DAILY_INPUTS: list[Callable] = []


def with_daily_inputs(batches: Iterable[Batch], *, plan, ids) -> Iterator[Batch]:
    """Pass the batches through, calling every daily input once per recording day."""
    day = None
    for batch in batches:
        if batch.day != day:
            day = batch.day
            for daily_input in DAILY_INPUTS:
                daily_input(day=day, plan=plan, ids=ids)
        yield batch
