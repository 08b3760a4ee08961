"""Exact splits of user-paid value: pure functions, no database.

Sign convention: a leg is signed, debit > 0 and credit < 0; every split sums to zero.

A payment of A minor units under contract terms posts:

    Dr clearing(cur)           +A        rule user_payment
    Cr platform-fee(cur)       -fee      rule platform_fee   fee  = floor(A * fee_pct / 100)
    Cr partner(p, cur)         -s_p      rule partner_share  s_p  = floor(A * share_p / 100),
                                                             each partner that took part
       remainder R = A - fee - Σ s_p     (the rounding residue of fee and partner shares stays in R)
    Cr emc-holdback(emc, cur)  -H        rule holdback       H    = floor(R * holdback_pct / 100)
    Cr me(m, cur)              -d_m      rule node_share     D    = R - H apportioned over the
                                                             contract's node MEs by share_pct with
                                                             the largest-remainder method

Largest remainder (Hamilton): every part first gets the floor of its exact quota; the units
left over go one each to the parts with the largest fractional remainders; ties go to the
lower key (ME id, account id). So parts always sum to the whole, to the minor unit.

A refund of r against a payment posts Dr→Cr mirrored: the clearing leg is exactly -r and r is
apportioned by largest remainder over what each credited party still holds of that payment
(its original share minus earlier refunds). No party is ever refunded more than it received,
and refunding the rest zeroes every party exactly. A reversal is the exact negation.

Zero-amount legs are omitted. Every part carries `basis`, the numbers that produced it.
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

HUNDRED = Decimal(100)


class Rule:
    USER_PAYMENT = "user_payment"
    PLATFORM_FEE = "platform_fee"
    PARTNER_SHARE = "partner_share"
    HOLDBACK = "holdback"
    NODE_SHARE = "node_share"
    REFUND = "refund"
    REVERSAL = "reversal"


# who a part goes to: ("clearing", None), ("platform", None), ("partner", partner_id),
# ("emc_holdback", emc_id), ("me", me_id); the posting engine maps these to accounts.
Target = tuple[str, int | None]


@dataclass(frozen=True)
class Part:
    target: Hashable
    amount_minor: int
    rule: str
    basis: dict = field(default_factory=dict, compare=False)


@lru_cache(maxsize=4096)
def _pct(value) -> str:
    return f"{Decimal(value):.4f}"


@lru_cache(maxsize=4096)
def _pct_fraction(pct) -> tuple[int, int]:
    """pct / 100 as an exact integer fraction (numerator, denominator): 7.1234 -> (71234, 1000000)."""
    num, den = Decimal(pct).as_integer_ratio()
    return num, den * 100


def floor_pct(amount_minor: int, pct: Decimal) -> int:
    """floor(amount * pct / 100), exact: integer arithmetic on pct's exact fraction (the
    contract's percentages have at most four decimals, so this is amount * basis points
    // 1,000,000, without Decimal work per event)."""
    num, den = _pct_fraction(pct)
    return amount_minor * num // den


@lru_cache(maxsize=1024)
def _int_weights(weights: tuple) -> tuple[list, int]:
    """Weights scaled to exact integers (exact rationals: quota = total * w / sum)."""
    if all(isinstance(w, int) for _, w in weights):
        int_weights = list(weights)
    else:
        scale = 10 ** max((-Decimal(w).as_tuple().exponent for _, w in weights), default=0)
        int_weights = [(key, int(Decimal(w) * scale)) for key, w in weights]
    return int_weights, sum(w for _, w in int_weights)


def _apportion(total: int, int_weights: Sequence[tuple[Hashable, int]], int_sum: int) -> list[tuple]:
    """Largest remainder over integer weights (int_sum > 0, total > 0): [(key, amount, bonus_unit)]
    in the order of `int_weights`."""
    floors = []
    remainders = []
    left = total
    for key, w in int_weights:
        q, r = divmod(total * w, int_sum)
        floors.append(q)
        left -= q
        remainders.append((-r, key))
    if not left:
        return [(key, q, 0) for (key, _w), q in zip(int_weights, floors, strict=True)]
    remainders.sort()  # largest remainder first, ties to the lower key
    bonus = {key for _r, key in remainders[:left]}
    return [
        (key, q + 1, 1) if key in bonus else (key, q, 0)
        for (key, _w), q in zip(int_weights, floors, strict=True)
    ]


def largest_remainder(total: int, weights: Sequence[tuple[Hashable, int | Decimal]]) -> dict:
    """Apportion `total` (≥ 0) over `weights` (key, weight ≥ 0) exactly.

    Returns {key: (amount, bonus_unit)} where bonus_unit is 1 when the key got one of the
    left-over units. Keys must be orderable (ties go to the lower key).
    """
    if total < 0:
        raise ValueError("total must not be negative")
    if total == 0 or not weights:
        return {key: (0, 0) for key, _ in weights}
    int_weights, int_sum = _int_weights(tuple(weights))
    if int_sum <= 0:
        raise ValueError("weights must sum to more than zero")
    return {key: (amount, bonus) for key, amount, bonus in _apportion(total, int_weights, int_sum)}


class PaymentSplitter:
    """The payment rule of one contract's terms, prepared once and applied to many payments
    (`split`): each percentage as an exact integer fraction plus its basis text, the node shares
    as integer weights. `split_payment` is this for one payment; the posting engine keeps one per
    contract (terms.Terms.splitter), so an import does no Decimal work per event."""

    def __init__(
        self,
        *,
        fee_pct: Decimal,
        partner_pcts: dict[int, Decimal],
        holdback_pct: Decimal,
        node_pcts: Sequence[tuple[int, Decimal]],
        emc_id: int,
    ):
        self.fee_pct = fee_pct
        self.partner_pcts = partner_pcts
        self.emc_id = emc_id
        self.fee = (*_pct_fraction(fee_pct), _pct(fee_pct))
        self.holdback = (*_pct_fraction(holdback_pct), _pct(holdback_pct))
        node_pcts = sorted(node_pcts)
        self.nodes_error = (
            "node shares must sum to 100%"
            if node_pcts and sum(Decimal(p) for _, p in node_pcts) != HUNDRED
            else None
        )
        self.node_weights, self.node_sum = _int_weights(tuple(node_pcts)) if node_pcts else ([], 0)
        self.node_rates = {me_id: _pct(pct) for me_id, pct in node_pcts}
        self._partner_sets: dict[tuple, tuple[list, str | None]] = {}

    def _partners(self, partner_ids: tuple[int, ...]) -> tuple[list, str | None]:
        """The partners that took part as sorted (id, num, den, rate text), and whether fee and
        their shares exceed 100% (prepared once per set of partners)."""
        prepared = self._partner_sets.get(partner_ids)
        if prepared is None:
            pcts = sorted((pid, self.partner_pcts[pid]) for pid in partner_ids)
            total_pct = Decimal(self.fee_pct) + sum((Decimal(p) for _, p in pcts), Decimal(0))
            error = "fee and partner shares exceed 100%" if total_pct > HUNDRED else None
            prepared = ([(pid, *_pct_fraction(pct), _pct(pct)) for pid, pct in pcts], error)
            self._partner_sets[partner_ids] = prepared
        return prepared

    def split(self, amount_minor: int, partner_ids: Sequence[int] = ()) -> list[Part]:
        """Split a payment by the prepared terms (`partner_ids`: the partners that took part);
        see the module docstring for the rule."""
        if amount_minor <= 0:
            raise ValueError("a payment is positive")
        partners, error = self._partners(tuple(partner_ids))
        if error:
            raise ValueError(error)
        if self.nodes_error:
            raise ValueError(self.nodes_error)
        parts = [
            Part(("clearing", None), amount_minor, Rule.USER_PAYMENT, {"amount_minor": amount_minor}),
        ]
        num, den, rate = self.fee
        fee = amount_minor * num // den
        if fee:
            parts.append(
                Part(
                    ("platform", None),
                    -fee,
                    Rule.PLATFORM_FEE,
                    {"rate_pct": rate, "base_minor": amount_minor},
                )
            )
        remainder = amount_minor - fee
        for partner_id, num, den, rate in partners:
            share = amount_minor * num // den
            remainder -= share
            if share:
                parts.append(
                    Part(
                        ("partner", partner_id),
                        -share,
                        Rule.PARTNER_SHARE,
                        {"rate_pct": rate, "base_minor": amount_minor},
                    )
                )
        num, den, rate = self.holdback
        holdback = remainder * num // den
        if holdback:
            parts.append(
                Part(
                    ("emc_holdback", self.emc_id),
                    -holdback,
                    Rule.HOLDBACK,
                    {"rate_pct": rate, "base_minor": remainder},
                )
            )
        distributable = remainder - holdback
        if not distributable:
            return parts
        if not self.node_weights:
            raise ValueError("no node shares to distribute the remainder to")
        if self.node_sum <= 0:
            raise ValueError("weights must sum to more than zero")
        rates = self.node_rates
        for me_id, amount, bonus in _apportion(distributable, self.node_weights, self.node_sum):
            if amount:
                parts.append(
                    Part(
                        ("me", me_id),
                        -amount,
                        Rule.NODE_SHARE,
                        {"rate_pct": rates[me_id], "base_minor": distributable, "remainder_units": bonus},
                    )
                )
        return parts


def split_payment(
    *,
    amount_minor: int,
    fee_pct: Decimal,
    partner_pcts: Sequence[tuple[int, Decimal]],
    holdback_pct: Decimal,
    node_pcts: Sequence[tuple[int, Decimal]],
    emc_id: int,
) -> list[Part]:
    """Split a payment by the contract terms; see the module docstring for the rule."""
    splitter = PaymentSplitter(
        fee_pct=fee_pct,
        partner_pcts=dict(partner_pcts),
        holdback_pct=holdback_pct,
        node_pcts=node_pcts,
        emc_id=emc_id,
    )
    return splitter.split(amount_minor, tuple(pid for pid, _ in partner_pcts))


def split_refund(
    *, refund_minor: int, debit_target: Hashable, remaining: Sequence[tuple[Hashable, int, str]]
) -> list[Part]:
    """Refund `refund_minor` of a payment: debit side -r, credits apportioned over what remains.

    `remaining` lists (target, amount still held ≥ 0, original rule) for every credited party.
    """
    held = sum(amount for _, amount, _ in remaining)
    if refund_minor <= 0:
        raise ValueError("a refund is positive")
    if refund_minor > held:
        raise ValueError("refund larger than what remains of the payment")
    rules = {target: rule for target, _, rule in remaining}
    holdings = {target: amount for target, amount, _ in remaining}
    shares = largest_remainder(refund_minor, [(t, a) for t, a, _ in remaining])
    parts = [
        Part(
            debit_target,
            -refund_minor,
            Rule.REFUND,
            {"original_rule": Rule.USER_PAYMENT, "refund_minor": refund_minor, "remaining_minor": held},
        )
    ]
    for target in sorted(shares):
        amount, bonus = shares[target]
        if amount:
            parts.append(
                Part(
                    target,
                    amount,
                    Rule.REFUND,
                    {
                        **({"original_rule": rules[target]} if rules[target] else {}),
                        "refund_minor": refund_minor,
                        "held_minor": holdings[target],
                        "remaining_minor": held,
                        "remainder_units": bonus,
                    },
                )
            )
    return parts


def negate(parts: Sequence[tuple[Hashable, int]]) -> list[tuple[Hashable, int]]:
    """The exact negation of a set of legs (a reversal)."""
    return [(target, -amount) for target, amount in parts]
