"""Statement periods: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026"), the
periods EMC contracts are written for (ledger.Contract.Period). A period that has not started
is refused: the statement of the future is not a figure."""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # "month", "quarter" or "year"
    start: dt.date
    end: dt.date

    def __str__(self):
        return self.code


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_parse(raw, *, field: str = "period", today: dt.date | None = None) -> Period:
    """The period a code names; a field error for a bad code or one that has not started."""
    text = str(raw or "").strip()
    period = None
    if m := MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12 and year >= 1900:
            period = Period(
                f"{year:04d}-{month:02d}", "month", dt.date(year, month, 1), _month_end(year, month)
            )
    elif m := QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        if year >= 1900:
            period = Period(
                f"{year:04d}-Q{q}", "quarter", dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
            )
    elif m := YEAR.match(text):
        year = int(m[1])
        if year >= 1900:
            period = Period(f"{year:04d}", "year", dt.date(year, 1, 1), dt.date(year, 12, 31))
    if period is None:
        raise ValidationError({field: _("Give a month (2026-11), a quarter (2026-Q4) or a year (2026).")})
    today = today or timezone.localdate()
    if period.start > today:
        raise ValidationError(
            {
                field: _("The period %(period)s has not started yet: there is nothing to state.")
                % {"period": period.code}
            }
        )
    return period


def current_month(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return period_parse(f"{today:%Y-%m}", today=today)


def month_span(day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), _month_end(day.year, day.month)
