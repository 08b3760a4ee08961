"""Spreadsheet-safe exports: every CSV (and, later, XLSX) cell the project writes goes through here.

A spreadsheet opening a text cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or
a line feed may run it as a formula (`=HYPERLINK(...)`, `@SUM(A1)`, DDE payloads): OWASP's "CSV
injection". `safe_cell` neutralises such a text by prefixing a single quote, so it shows as the
text it is. Numbers stay numbers: ints, Decimals, floats, and texts that are a plain decimal
number (`-19.90`, the ledger's formatted amounts) are written as they are. The csv module quotes
separators and quotes inside cells (RFC 4180), so no cell can spill into the next.

For XLSX, write `safe_cell(value)` as the cell value (a text cell: a leading quote is shown, not
evaluated).
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from numbers import Number

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value):
    """The value as a spreadsheet will read it as data: formula-like text gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, Number):  # bool is an int: written as True/False
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Each row as one CSV line, neutralised, lazily (for a streamed response)."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow(safe_row(row))


def csv_text(rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(row))
    return out.getvalue()


def csv_rows(text: str) -> Iterator[list[str]]:
    """The rows of a stored CSV text (a report kept as raw data), to be written out again safely."""
    return csv.reader(io.StringIO(text))


def csv_download(rows: Iterable[Iterable], *, filename: str, stream: bool = False) -> HttpResponse:
    """An attachment response of `rows` (header first); `stream` for large, lazily read rows."""
    if stream:
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(csv_text(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
