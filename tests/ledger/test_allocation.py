"""Allocation is exact: parts sum to the whole to the minor unit, by a deterministic rule."""

import random
from decimal import Decimal

import pytest

from ledger.allocation import Rule, floor_pct, largest_remainder, split_payment, split_refund

D = Decimal


def test_largest_remainder_gives_leftover_units_to_largest_fractions_then_lower_key():
    # given 100 units over three equal weights: quotas 33.33 each
    shares = largest_remainder(100, [(3, D("1")), (1, D("1")), (2, D("1"))])
    # then the single leftover unit goes to the lowest key
    assert {k: v[0] for k, v in shares.items()} == {1: 34, 2: 33, 3: 33}
    assert shares[1][1] == 1


def test_largest_remainder_prefers_the_largest_fraction():
    shares = largest_remainder(10, [(1, D("33.3")), (2, D("66.7"))])  # quotas 3.33, 6.67
    assert shares[1][0] == 3 and shares[2][0] == 7


def test_split_payment_worked_example():
    # given 199.00 CNY, fee 5%, one partner at 7.5%, holdback 10%, two nodes 60/40
    parts = split_payment(
        amount_minor=19900,
        fee_pct=D("5"),
        partner_pcts=[(11, D("7.5"))],
        holdback_pct=D("10"),
        node_pcts=[(1, D("60")), (2, D("40"))],
        emc_id=9,
    )
    by_target = {p.target: p.amount_minor for p in parts}
    # fee 995, partner floor(1492.5)=1492, R=17413, holdback floor(1741.3)=1741, D=15672
    assert by_target == {
        ("clearing", None): 19900,
        ("platform", None): -995,
        ("partner", 11): -1492,
        ("emc_holdback", 9): -1741,
        ("me", 1): -9403,  # 9403.2
        ("me", 2): -6269,  # 6268.8 gets the leftover unit
    }
    assert sum(by_target.values()) == 0
    me2 = next(p for p in parts if p.target == ("me", 2))
    assert me2.rule == Rule.NODE_SHARE and me2.basis == {
        "rate_pct": "40.0000",
        "base_minor": 15672,
        "remainder_units": 1,
    }


def test_split_payment_omits_zero_legs():
    parts = split_payment(
        amount_minor=1,
        fee_pct=D("5"),
        partner_pcts=[(1, D("3"))],
        holdback_pct=D("10"),
        node_pcts=[(1, D("100"))],
        emc_id=1,
    )
    assert [(p.target, p.amount_minor) for p in parts] == [(("clearing", None), 1), (("me", 1), -1)]


def _random_terms(rng):
    fee = D(rng.randint(0, 150000)) / 10000
    partners = [
        (pid, D(rng.randint(0, 150000)) / 10000) for pid in rng.sample(range(1, 50), rng.randint(0, 4))
    ]
    n_nodes = rng.randint(1, 6)
    cuts = sorted(rng.sample(range(1, 1_000_000), n_nodes - 1))
    bounds = [0, *cuts, 1_000_000]
    nodes = [
        (mid, D(bounds[i + 1] - bounds[i]) / 10000) for i, mid in enumerate(rng.sample(range(1, 99), n_nodes))
    ]
    holdback = D(rng.randint(0, 1000000)) / 10000
    return fee, partners, nodes, holdback


def test_random_payments_always_balance_and_respect_each_rate():
    rng = random.Random(20240401)
    for _ in range(3000):
        fee, partners, nodes, holdback = _random_terms(rng)
        amount = rng.choice([1, 2, 3, 7, 99, 100, 101, rng.randint(1, 10**6), rng.randint(1, 10**13)])
        parts = split_payment(
            amount_minor=amount,
            fee_pct=fee,
            partner_pcts=partners,
            holdback_pct=holdback,
            node_pcts=nodes,
            emc_id=1,
        )
        assert sum(p.amount_minor for p in parts) == 0
        assert all(p.amount_minor != 0 for p in parts)
        assert parts[0].amount_minor == amount and all(p.amount_minor < 0 for p in parts[1:])
        node_total = sum(-p.amount_minor for p in parts if p.rule == Rule.NODE_SHARE)
        for p in parts:
            if p.rule == Rule.NODE_SHARE:
                exact = D(node_total) * D(p.basis["rate_pct"]) / 100
                assert abs(D(-p.amount_minor) - exact) < 1  # within one unit of the exact quota
            if p.rule == Rule.PLATFORM_FEE:
                assert -p.amount_minor == floor_pct(amount, fee)


def test_random_refund_sequences_never_over_refund_and_end_at_zero():
    rng = random.Random(7)
    for _ in range(1500):
        fee, partners, nodes, holdback = _random_terms(rng)
        amount = rng.randint(1, 10**7)
        parts = split_payment(
            amount_minor=amount,
            fee_pct=fee,
            partner_pcts=partners,
            holdback_pct=holdback,
            node_pcts=nodes,
            emc_id=1,
        )
        held = {p.target: -p.amount_minor for p in parts[1:]}
        rules = {p.target: p.rule for p in parts[1:]}
        left = amount
        while left:
            r = left if rng.random() < 0.3 else rng.randint(1, left)
            refund = split_refund(
                refund_minor=r,
                debit_target=("clearing", None),
                remaining=[(t, a, rules[t]) for t, a in held.items()],
            )
            assert refund[0].amount_minor == -r
            assert sum(p.amount_minor for p in refund) == 0
            for p in refund[1:]:
                assert 0 < p.amount_minor <= held[p.target]
                held[p.target] -= p.amount_minor
            left -= r
        assert all(v == 0 for v in held.values())


def test_refund_larger_than_what_remains_is_refused():
    with pytest.raises(ValueError):
        split_refund(refund_minor=11, debit_target="c", remaining=[("a", 10, Rule.NODE_SHARE)])


# --- the prepared splitter (PaymentSplitter, _apportion) against the rule written out plainly ---


def _reference_largest_remainder(total, weights):
    """Hamilton's method with exact fractions, straight from the module docstring."""
    from fractions import Fraction

    if total == 0 or not weights:
        return {key: (0, 0) for key, _ in weights}
    weight_sum = sum(Fraction(w) for _, w in weights)
    quotas = {key: Fraction(total) * Fraction(w) / weight_sum for key, w in weights}
    floors = {key: q.numerator // q.denominator for key, q in quotas.items()}
    left = total - sum(floors.values())
    order = sorted(quotas, key=lambda key: (-(quotas[key] - floors[key]), key))
    bonus = set(order[:left])
    return {key: (floors[key] + (key in bonus), int(key in bonus)) for key in quotas}


def _reference_split_payment(*, amount_minor, fee_pct, partner_pcts, holdback_pct, node_pcts, emc_id):
    """The rule of the module docstring, one Decimal/Fraction step at a time (no preparation)."""
    from fractions import Fraction

    def floor_of(amount, pct):
        exact = Fraction(amount) * Fraction(pct) / 100
        return exact.numerator // exact.denominator

    def text(pct):
        return f"{D(pct):.4f}"

    if amount_minor <= 0:
        raise ValueError("a payment is positive")
    if D(fee_pct) + sum((D(p) for _, p in partner_pcts), D(0)) > 100:
        raise ValueError("fee and partner shares exceed 100%")
    if node_pcts and sum(D(p) for _, p in node_pcts) != 100:
        raise ValueError("node shares must sum to 100%")
    parts = [(("clearing", None), amount_minor, Rule.USER_PAYMENT, {"amount_minor": amount_minor})]
    fee = floor_of(amount_minor, fee_pct)
    if fee:
        parts.append(
            (
                ("platform", None),
                -fee,
                Rule.PLATFORM_FEE,
                {"rate_pct": text(fee_pct), "base_minor": amount_minor},
            )
        )
    remainder = amount_minor - fee
    for pid, pct in sorted(partner_pcts):
        share = floor_of(amount_minor, pct)
        remainder -= share
        if share:
            parts.append(
                (
                    ("partner", pid),
                    -share,
                    Rule.PARTNER_SHARE,
                    {"rate_pct": text(pct), "base_minor": amount_minor},
                )
            )
    holdback = floor_of(remainder, holdback_pct)
    if holdback:
        parts.append(
            (
                ("emc_holdback", emc_id),
                -holdback,
                Rule.HOLDBACK,
                {"rate_pct": text(holdback_pct), "base_minor": remainder},
            )
        )
    distributable = remainder - holdback
    if distributable and not node_pcts:
        raise ValueError("no node shares to distribute the remainder to")
    shares = _reference_largest_remainder(distributable, list(node_pcts))
    for me_id, pct in sorted(node_pcts):
        amount, bonus = shares[me_id]
        if amount:
            basis = {"rate_pct": text(pct), "base_minor": distributable, "remainder_units": bonus}
            parts.append((("me", me_id), -amount, Rule.NODE_SHARE, basis))
    return parts


def test_largest_remainder_equals_the_plain_rule():
    rng = random.Random(99)
    for _ in range(3000):
        n = rng.randint(1, 7)
        keys = rng.sample(range(1, 40), n)
        if rng.random() < 0.5:
            weights = [(k, rng.randint(0, 50)) for k in keys]
        else:
            weights = [(k, D(rng.randint(0, 500000)) / D(10) ** rng.randint(0, 4)) for k in keys]
        if sum(w for _, w in weights) <= 0:
            continue
        total = rng.choice([0, 1, 2, n - 1, n, n + 1, rng.randint(1, 1000), rng.randint(1, 10**12)])
        assert largest_remainder(total, weights) == _reference_largest_remainder(total, weights)


def test_split_payment_and_a_reused_splitter_equal_the_plain_rule():
    """The prepared splitter (as the posting engine keeps one per contract) gives exactly the
    parts, bases and errors of the rule applied afresh to each payment."""
    from ledger.allocation import PaymentSplitter

    rng = random.Random(4242)
    for _ in range(300):
        fee, partners, nodes, holdback = _random_terms(rng)
        if rng.random() < 0.05:
            nodes = nodes[:-1]  # shares no longer sum to 100%: refused
        if rng.random() < 0.05:
            nodes = []
        if rng.random() < 0.05:
            fee = D("95.5")  # with partners: more than 100%, refused
        splitter = PaymentSplitter(
            fee_pct=fee, partner_pcts=dict(partners), holdback_pct=holdback, node_pcts=nodes, emc_id=5
        )
        for _ in range(20):
            chosen = rng.sample(partners, rng.randint(0, len(partners)))
            amount = rng.choice([-1, 0, 1, 2, 3, 99, 101, rng.randint(1, 10**6), rng.randint(1, 10**13)])
            terms = {
                "fee_pct": fee,
                "partner_pcts": chosen,
                "holdback_pct": holdback,
                "node_pcts": nodes,
                "emc_id": 5,
            }
            try:
                expected = _reference_split_payment(amount_minor=amount, **terms)
            except ValueError as exc:
                with pytest.raises(ValueError, match=str(exc)):
                    split_payment(amount_minor=amount, **terms)
                with pytest.raises(ValueError, match=str(exc)):
                    splitter.split(amount, tuple(pid for pid, _ in chosen))
                continue
            for parts in (
                split_payment(amount_minor=amount, **terms),
                splitter.split(amount, tuple(pid for pid, _ in chosen)),
            ):
                assert [(p.target, p.amount_minor, p.rule, p.basis) for p in parts] == expected
                assert [list(p.basis) for p in parts] == [list(e[3]) for e in expected]  # key order
