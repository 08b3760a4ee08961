"""The fast text of legs (basis JSON, COPY lines) equals what the general encoders make."""

import datetime as dt
import json
import random

from ledger.posting.copy import basis_json, leg_lines
from ledger.posting.legs import LEG_COLUMNS, LegRow


def _random_basis(rng):
    values = [
        lambda: rng.randint(-(10**15), 10**15),
        lambda: rng.choice(["5.0000", "33.3333", "node_share", "user_payment", ""]),
        lambda: rng.choice(['quo"te', "back\\slash", "tab\there", "new\nline", "ünï", "雪", "\x00\x1f"]),
        lambda: rng.choice([True, False, None, 1.5, [1, 2], {"a": 1}]),  # not the fast path
    ]
    keys = ["rate_pct", "base_minor", "remainder_units", "amount_minor", "original_rule", 'k"ey', "ключ"]
    basis = {}
    for _ in range(rng.randint(0, 5)):
        basis[rng.choice(keys)] = rng.choice(values[:3] if rng.random() < 0.8 else values)()
    if rng.random() < 0.05:
        basis[7] = 1  # a non-string key: json's rule (the encoder's) applies
    return basis


def test_basis_json_is_the_json_encoders_text():
    rng = random.Random(31)
    encode = json.JSONEncoder(separators=(",", ":")).encode
    for _ in range(5000):
        basis = _random_basis(rng)
        assert basis_json(basis) == encode(basis)


def test_leg_copy_lines_escape_like_the_general_rule():
    """Each line is the legs' values as COPY text: NULL as \\N, dates in ISO 8601, text escaped."""
    rng = random.Random(5)
    legs = [
        LegRow(
            rng.randint(1, 10**9),
            rng.randint(1, 10**6),
            rng.choice(["CNY", "EUR", "X\tY"]),
            rng.randint(-(10**12), 10**12),
            dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 400)),
            rng.choice(["node_share", "refund", "odd\\rule"]),
            rng.choice([None, 1, 22]),
            _random_basis(rng),
        )
        for _ in range(3000)
    ]

    def copy_text(value):
        if value is None:
            return "\\N"
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    expected = [
        "\t".join(
            copy_text(v)
            for v in (
                leg.transaction_id,
                leg.account_id,
                leg.currency,
                leg.amount_minor,
                leg.effective_on,
                leg.rule,
                leg.contract_id,
                json.dumps(leg.basis, separators=(",", ":")),
            )
        )
        + "\n"
        for leg in legs
    ]
    assert list(leg_lines(legs)) == expected
    assert LEG_COLUMNS[-1] == "basis" and len(LEG_COLUMNS) == 8
