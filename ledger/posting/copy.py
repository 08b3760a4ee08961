"""The text of legs: basis JSON and PostgreSQL COPY lines, each made once per distinct value."""

import datetime as dt
import json
from json.encoder import encode_basestring_ascii

from ledger.posting.legs import LegRow

# one encoder for every leg (json.dumps with options builds a new encoder per call)
_json_encode = json.JSONEncoder(separators=(",", ":")).encode


class _JsonTexts(dict):
    """Basis keys and string values (rates, rules) -> their JSON text, made once."""

    def __missing__(self, value: str) -> str:
        text = encode_basestring_ascii(value)  # what _json_encode does with a string
        if len(self) < 4096:
            self[value] = text
        return text


_json_text = _JsonTexts()


def basis_json(basis: dict) -> str:
    """`basis` as compact JSON, the same text `_json_encode` makes. Every basis is a flat dict
    of string keys and int or string values: those are written here (~3x faster, it counts at
    ~8 legs per event); anything else goes to the json encoder."""
    items = []
    for key, value in basis.items():
        kind = type(value)
        if type(key) is not str or (kind is not int and kind is not str):  # bool is not int here
            return _json_encode(basis)
        items.append(f"{_json_text[key]}:{value if kind is int else _json_text[value]}")
    return "{" + ",".join(items) + "}"


COPY_NULL = "\\N"  # NULL in COPY's text format


def _copy_field(value: str) -> str:
    """Escape a text value for COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


class _CopyTexts(dict):
    """value -> its COPY text, made once per value: None -> \\N, a date -> ISO 8601, anything
    else its escaped str (a batch has a few currencies, rules, days and contracts)."""

    def __missing__(self, value) -> str:
        if value is None:
            text = COPY_NULL
        elif isinstance(value, dt.date):
            text = value.isoformat()
        else:
            text = _copy_field(str(value))
        self[value] = text
        return text


def leg_lines(legs: list[LegRow]):
    """COPY text lines of legs. Every value is a number, a date, a code constant (currency,
    rule) or JSON made by us, escaped all the same."""
    texts = _CopyTexts()
    for leg in legs:
        yield (
            f"{leg.transaction_id}\t{leg.account_id}\t{texts[leg.currency]}\t{leg.amount_minor}\t"
            f"{texts[leg.effective_on]}\t{texts[leg.rule]}\t{texts[leg.contract_id]}\t"
            f"{_copy_field(basis_json(leg.basis))}\n"
        )
