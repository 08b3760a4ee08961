"""Contract periods: month, quarter or year, from the version in force when the period starts."""

import calendar
import datetime as dt

from ledger.models import Contract


def period_bounds(kind: str, on: dt.date) -> tuple[dt.date, dt.date]:
    """The (start, end) of the period of kind `kind` containing `on`."""
    if kind == Contract.Period.MONTH:
        return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])
    if kind == Contract.Period.QUARTER:
        first = 3 * ((on.month - 1) // 3) + 1
        last = first + 2
        return dt.date(on.year, first, 1), dt.date(on.year, last, calendar.monthrange(on.year, last)[1])
    if kind == Contract.Period.YEAR:
        return dt.date(on.year, 1, 1), dt.date(on.year, 12, 31)
    raise ValueError(f"unknown period kind {kind!r}")


def period_before(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    return period_bounds(kind, start - dt.timedelta(days=1))
