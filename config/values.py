"""The one parsing rule per kind of value, for every entry point.

Web forms, the API (single and batch), CSV rows, the admin and the organization's API all read
their input through these functions (directly, or through the form and serializer fields of
`config.fields`), so a value is read the same way wherever it comes from. Each returns the
parsed value or raises a Django ValidationError on `field` with a message that says what is
expected; nothing is rounded, cut or guessed:

- integers: a whole number, as a JSON integer or as text of ASCII digits with an optional sign
  (no `1e2`, `1_000`, `1.0`, spaces or other scripts' digits), inside the field's bounds (never
  past the 64-bit range the database stores);
- ids: an integer from 1 to 2^63-1;
- decimal text (money in major units, weights, targets, bands): ASCII digits with an optional
  fractional part, given as text (`"199.00"`); a JSON number is refused, so no float ever carries
  money; `decimal_digits_check` bounds it to what its field stores;
- timestamps: ISO 8601 with its time zone offset (`2025-03-01T14:30:00+08:00`, or `Z`); a time
  without a zone is refused, never taken in some zone silently;
- dates: ISO 8601 (`2025-03-01`) between DATE_MIN and DATE_MAX;
- texts: text, trimmed, at most the field's length (longer is refused, never cut), without NUL
  or other control characters (line breaks and tabs only where the text may span lines);
- booleans: JSON true / false, or as text true / false / 1 / 0 / yes / no (any case).

Currency codes follow `orgs.currencies`; money (decimal text, currency, per-event bound) is
`ledger.money.to_minor`, which reads its text with `decimal_text_parse`.
"""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

INT64_MAX = 2**63 - 1  # PostgreSQL bigint (and SQLite INTEGER)
INT64_MIN = -(2**63)
# the largest amount in minor units any stored figure may hold (a partner's baseline, a contract's
# target, floor or cap): ten thousand of them still sum inside a bigint
MINOR_UNITS_MAX = 10**15
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)
TEXT_SHORT = 255  # one-line notes, memos
TEXT_LONG = 2000  # reasons, evidence, descriptions, obligations

_INTEGER_RE = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
# a leading minus is read only so that the caller can say "more than zero" instead of "not a number"
_DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z", re.ASCII)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
_TIMESTAMP_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?\Z",
    re.ASCII | re.IGNORECASE,
)
_ZONE_RE = re.compile(r"(Z|[+-][0-9]{2}:?[0-9]{2})\Z", re.ASCII | re.IGNORECASE)
# C0 controls and DEL but tab, line feed and carriage return; NUL is one of them
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK_RE = re.compile(r"[\t\n\r]")
TRUE_TEXTS = frozenset({"true", "1", "yes"})
FALSE_TEXTS = frozenset({"false", "0", "no"})


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def integer_parse(
    value, *, field: str, min_value: int | None = INT64_MIN, max_value: int | None = INT64_MAX
) -> int:
    """A whole number within [min_value, max_value] (a JSON integer or ASCII digits)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _error(field, _("Give a whole number."))
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER_RE.match(text):
            raise _error(field, _("Give a whole number in digits 0-9 (no decimals, exponent or separators)."))
        value = int(text)
    low = INT64_MIN if min_value is None else min_value
    high = INT64_MAX if max_value is None else max_value
    if value < low:
        raise _error(field, _("Give %(min)d or more.") % {"min": low})
    if value > high:
        raise _error(field, _("Give %(max)d or less.") % {"max": high})
    return value


def object_id_parse(value, *, field: str = "id") -> int:
    """A stored object's id: 1 to 2^63-1."""
    return integer_parse(value, field=field, min_value=1, max_value=INT64_MAX)


def decimal_text_parse(value, *, field: str) -> Decimal:
    """Decimal text such as "199.00": ASCII digits, an optional fractional part (and a minus,
    which the callers refuse as "not more than zero").

    A Decimal passes as it is (a caller that built one); a JSON number (float or int) is
    refused: money travels as text so no float ever carries it."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _error(field, _("Give a decimal number such as 199.00."))
        return value
    if isinstance(value, int | float):  # bool is an int too
        raise _error(field, _('Give the amount as a decimal string such as "199.00", not a number.'))
    if not isinstance(value, str):
        raise _error(field, _("Give a decimal number such as 199.00."))
    text = value.strip()
    if not _DECIMAL_RE.match(text):
        raise _error(
            field,
            _(
                "Give a decimal number such as 199.00: digits 0-9 and a point (no exponent, spaces or separators)."
            ),
        )
    return Decimal(text)


def decimal_digits_check(number: Decimal, *, field: str, max_digits: int, decimal_places: int) -> Decimal:
    """Refuse a number with more digits than its field stores: at most `max_digits -
    decimal_places` before the point and `decimal_places` after it (trailing zeros after the
    point do not count: nothing is rounded)."""
    whole = max_digits - decimal_places
    _sign, digits, exponent = number.as_tuple()
    digits = list(digits)
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:  # 1.50 stores as 1.5: no rounding
        digits.pop()
        exponent += 1
    after = max(0, -exponent) if any(digits) else 0
    before = max(0, len(digits) + exponent) if any(digits) else 0
    if before > whole or after > decimal_places:
        raise _error(
            field,
            _("Use at most %(whole)d digits before the point and %(places)d after it.")
            % {"whole": whole, "places": decimal_places},
        )
    return number


def timestamp_parse(value, *, field: str) -> dt.datetime:
    """An ISO 8601 date and time with its zone offset; an aware datetime passes as it is."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _error(field, _("Give the time zone offset (e.g. +08:00 or Z)."))
        return value
    if not isinstance(value, str):
        raise _error(field, _("Use ISO 8601 with a time zone offset, e.g. 2025-03-01T14:30:00+08:00."))
    text = value.strip()
    if not _TIMESTAMP_RE.match(text):
        raise _error(field, _("Use ISO 8601 with a time zone offset, e.g. 2025-03-01T14:30:00+08:00."))
    if not _ZONE_RE.search(text):
        raise _error(field, _("Give the time zone offset (e.g. +08:00 or Z)."))
    try:
        moment = dt.datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:
        raise _error(field, _("This is not a real date and time.")) from None
    if not DATE_MIN <= moment.date() <= DATE_MAX:
        raise _error(field, _out_of_range_message())
    return moment


def _out_of_range_message() -> str:
    return _("Give a date from %(min)s to %(max)s.") % {"min": DATE_MIN, "max": DATE_MAX}


def date_parse(value, *, field: str) -> dt.date:
    """An ISO 8601 date (YYYY-MM-DD) from DATE_MIN to DATE_MAX; a date passes as it is."""
    if isinstance(value, dt.datetime):
        raise _error(field, _("Give a date such as 2025-03-01, without a time."))
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _error(field, _("This is not a real date.")) from None
    else:
        raise _error(field, _("Give a date such as 2025-03-01."))
    if not DATE_MIN <= day <= DATE_MAX:
        raise _error(field, _out_of_range_message())
    return day


def text_problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why a (trimmed) text is refused, or None: too long, a NUL or another control character."""
    if _CONTROL_RE.search(value) or (not multiline and _LINE_BREAK_RE.search(value)):
        if "\x00" in value:
            return _("Remove the NUL character (\\0).")
        return _("Remove the control characters (only printable text%(breaks)s).") % {
            "breaks": _(", line breaks and tabs") if multiline else ""
        }
    if len(value) > max_length:
        return _("Use at most %(max)d characters (this has %(n)d).") % {"max": max_length, "n": len(value)}
    return None


def text_clean(value, *, field: str, max_length: int, multiline: bool = False, required: bool = False) -> str:
    """Text, trimmed, within `max_length` characters, without control characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _error(field, _("Give text."))
    text = value.strip()
    problem = text_problem(text, max_length=max_length, multiline=multiline)
    if problem:
        raise _error(field, problem)
    if required and not text:
        raise _error(field, _("This field is required."))
    return text


def boolean_parse(value, *, field: str, allow_none: bool = False) -> bool | None:
    """true / false (JSON), or true/false/1/0/yes/no as text; with `allow_none`, blank is None."""
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        if value is not None:
            return False  # a blank checkbox column: false
        raise _error(field, _("Use true or false."))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_TEXTS:
            return True
        if text in FALSE_TEXTS:
            return False
    raise _error(field, _("Use true or false."))
