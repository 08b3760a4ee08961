"""The worked examples of docs/payouts.md, figure for figure (to the minor unit).

Examples 1-8 and 10 run the rule (payouts.calc) on the days each example gives; example 9 posts
its payment through the ledger and reads the report the payout computation writes."""

import datetime as dt
from decimal import Decimal as D

import pytest

from payouts import calc as rules

JUNE = dt.date(2025, 6, 1)


def terms(**overrides) -> rules.RuleTerms:
    base = {
        "contract_id": 1,
        "version": 1,
        "effective_from": JUNE,
        "target_minor": 1_000_000,
        "base_rate_pct": D(10),
        "tiers": ((D(100), D(20)), (D(150), D(30))),
    }
    base.update(overrides)
    return rules.RuleTerms(**base)


def accrue(t, days, me_days):
    """days: [(day, EMC value)]; me_days: [(day, me, ME value)] -> ({me: accrual}, EMC value)."""
    picker = t if callable(t) else (lambda _day: t)
    return rules.emc_accrue(terms_on=picker, emc_days=days, me_days=[(d, m, v, 1) for d, m, v in me_days])


def test_1_tier_crossed_mid_period():
    acc, value = accrue(
        terms(),
        [(dt.date(2025, 6, 3), 800_000), (dt.date(2025, 6, 20), 400_000)],
        [(dt.date(2025, 6, 3), 7, 720_000), (dt.date(2025, 6, 20), 7, 360_000)],
    )
    assert value == 1_200_000
    assert acc[7].accrued_minor == 126_000
    assert dict(acc[7].by_band) == {"base": 900_000, "tier 100%": 180_000}
    assert acc[7].rates["tier 100%"] == 20


def test_2_floor():
    t = terms(floor_minor=500_000)
    under, _ = accrue(t, [(JUNE, 400_000)], [(JUNE, 7, 360_000)])
    assert under[7].accrued_minor == 0
    over, _ = accrue(t, [(JUNE, 600_000)], [(JUNE, 7, 540_000)])
    assert over[7].accrued_minor == 9_000


def test_3_cap():
    t = terms(cap_minor=100_000)
    acc, _ = accrue(t, [(JUNE, 2_000_000)], [(JUNE, 1, 1_080_000), (JUNE, 2, 720_000)])
    assert (acc[1].accrued_minor, acc[2].accrued_minor) == (189_000, 126_000)
    assert rules.cap_apply(acc[1].accrued_minor, t.cap_minor) == 100_000
    assert rules.cap_apply(acc[2].accrued_minor, t.cap_minor) == 100_000


def test_4_refund_after_lock_clawed_back():
    t = terms()
    may = dt.date(2025, 5, 10)
    locked, _ = accrue(t, [(may, 500_000)], [(may, 7, 450_000)])
    assert locked[7].accrued_minor == 45_000
    # the refund counts on the May payment's day: May recomputed with it
    now, _ = accrue(t, [(may, 500_000), (may, -300_000)], [(may, 7, 450_000), (may, 7, -270_000)])
    adjustment = now[7].accrued_minor - locked[7].accrued_minor
    assert adjustment == -27_000
    june, _ = accrue(t, [(JUNE, 100_000)], [(JUNE, 7, 90_000)])
    s_june = rules.line_settle(
        capped_minor=june[7].accrued_minor, holdback_pct=D(0), min_payout_minor=0, adjustment_minor=adjustment
    )
    assert (s_june.payable_minor, s_june.carried_out_minor) == (0, -18_000)
    s_july = rules.line_settle(
        capped_minor=30_000, holdback_pct=D(0), min_payout_minor=0, carried_in_minor=s_june.carried_out_minor
    )
    assert (s_july.payable_minor, s_july.carried_out_minor) == (12_000, 0)


def test_5_member_weight_changed_mid_period():
    end = dt.date(2025, 6, 30)
    eleventh = dt.date(2025, 6, 11)
    alice, bob, carol = 1, 2, 3
    weights = rules.weight_days(
        [
            (alice, D(60), dt.date(2025, 1, 1), None),
            (bob, D(40), dt.date(2025, 1, 1), eleventh),  # ends June 10
            (bob, D(20), eleventh, None),
            (carol, D(20), eleventh, None),
        ],
        JUNE,
        end,
    )
    assert weights == {alice: 1800, bob: 800, carol: 400}
    assert rules.members_split(100_000, weights) == {alice: 60_000, bob: 26_667, carol: 13_333}


def test_6_minimum_payout_carried_forward():
    june = rules.line_settle(capped_minor=6_000, holdback_pct=D(0), min_payout_minor=10_000)
    assert (june.payable_minor, june.carried_out_minor) == (0, 6_000)
    july = rules.line_settle(
        capped_minor=5_000,
        holdback_pct=D(0),
        min_payout_minor=10_000,
        carried_in_minor=june.carried_out_minor,
    )
    assert (july.payable_minor, july.carried_out_minor) == (11_000, 0)


@pytest.mark.parametrize(("emc_value", "expected"), [(1_200_000, (60_000, 0)), (800_000, (0, 50_000))])
def test_7_coinvestment_returned_or_forfeited(emc_value, expected):
    t = terms(coinvest_return_pct=D(20))
    met = emc_value >= t.target_minor
    assert rules.coinvest_settle(50_000, bet_met=met, return_pct=t.coinvest_return_pct) == expected


def test_8_holdback_released():
    june = rules.line_settle(capped_minor=126_000, holdback_pct=D(10), min_payout_minor=0)
    assert (june.held_back_minor, june.payable_minor) == (12_600, 113_400)
    july = rules.line_settle(
        capped_minor=20_000, holdback_pct=D(10), min_payout_minor=0, released_minor=june.held_back_minor
    )
    assert (july.held_back_minor, july.payable_minor) == (2_000, 30_600)


def test_10_contract_version_changed_mid_period():
    v1 = terms(tiers=((D(100), D(20)),))
    v2 = terms(
        contract_id=2,
        version=2,
        effective_from=dt.date(2025, 6, 16),
        base_rate_pct=D(12),
        tiers=((D(100), D(25)),),
    )
    picker = lambda day: v2 if day >= v2.effective_from else v1  # noqa: E731
    tenth, twentieth = dt.date(2025, 6, 10), dt.date(2025, 6, 20)
    acc, _ = accrue(
        picker, [(tenth, 600_000), (twentieth, 600_000)], [(tenth, 7, 600_000), (twentieth, 7, 600_000)]
    )
    assert acc[7].accrued_minor == 158_000
    assert acc[7].versions == {1, 2}


def test_12_a_tier_gated_by_a_vertical_goal():
    # one day: EMC 2,000,000, the ME 1,000,000; the 150% tier needs the life-long users goal
    ungated, _ = accrue(terms(), [(JUNE, 2_000_000)], [(JUNE, 7, 1_000_000)])
    assert ungated[7].accrued_minor == 175_000  # 100,000 + 100,000 + 150,000 on 2,000,000: 17.5%
    gated, _ = accrue(terms(gated=frozenset({D(150)})), [(JUNE, 2_000_000)], [(JUNE, 7, 1_000_000)])
    # [1,500,000, 2,000,000] earns the 100% tier's 20%: 100,000 + 100,000 + 100,000 = 15%
    assert gated[7].accrued_minor == 150_000
    assert dict(gated[7].by_band) == {
        "base": 500_000,
        "tier 100%": 250_000,
        "tier 150% (goal not met)": 250_000,
    }
    assert gated[7].rates["tier 150% (goal not met)"] == 20
    # the 100% tier gated instead: its band earns the base 10%, the 150% tier's 30% still applies
    low, _ = accrue(terms(gated=frozenset({D(100)})), [(JUNE, 2_000_000)], [(JUNE, 7, 1_000_000)])
    assert low[7].accrued_minor == 150_000  # 100,000 + 50,000 + 150,000 = 300,000: 15%
    # both gated: everything at the base rate, 10%
    both, _ = accrue(terms(gated=frozenset({D(100), D(150)})), [(JUNE, 2_000_000)], [(JUNE, 7, 1_000_000)])
    assert both[7].accrued_minor == 100_000
