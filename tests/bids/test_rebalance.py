"""The award's rebalancing rule (bids/rebalance.py), on hand-computed shares."""

from decimal import Decimal as D

from bids import rebalance


def test_node_shares_scale_exactly_when_the_factor_divides():
    # L 50, A 30, B 20 and D wins 12.5: x 87.5/100 → 43.75, 26.25, 17.5
    assert rebalance.with_winner({"l": D(50), "a": D(30), "b": D(20)}, winner="d", share=D("12.5")) == {
        "l": D("43.75"),
        "a": D("26.25"),
        "b": D("17.5"),
        "d": D("12.5"),
    }


def test_the_rounding_remainder_goes_to_the_largest_share():
    # x 0.875: 29.16672 → 29.1667; 29.1666375 → 29.1666 (twice); 87.4999 leaves 0.0001 for A
    got = rebalance.with_winner(
        {"a": D("33.3334"), "b": D("33.3333"), "c": D("33.3333")}, winner="d", share=D("12.5")
    )
    assert got == {"a": D("29.1668"), "b": D("29.1666"), "c": D("29.1666"), "d": D("12.5")}
    assert sum(got.values()) == 100


def test_ties_for_the_remainder_go_to_the_lowest_code():
    # three equal thirds of 90 after a 10 win: 30 each exactly; of 80 after 20: 26.6667 x 3 = 80.0001
    got = rebalance.with_winner({"c": D(1), "b": D(1), "a": D(1)}, winner="w", share=D(20))
    assert got == {"a": D("26.6666"), "b": D("26.6667"), "c": D("26.6667"), "w": D(20)}


def test_a_winner_already_seated_gives_up_its_old_share_first():
    got = rebalance.with_winner({"a": D(60), "d": D(40)}, winner="d", share=D(10))
    assert got == {"a": D(90), "d": D(10)}


def test_partner_shares_stay_while_fee_and_partners_fit_in_100():
    got = rebalance.partners_with_winner({"p1": D(10)}, winner="p2", share=D(8), fee=D(5))
    assert got == {"p1": D(10), "p2": D(8)}


def test_partner_shares_scale_down_to_what_the_fee_and_the_winner_leave():
    # fee 5 + winner 20 leave 75 for P1 60 and P3 30 (90): x 75/90 → 50 and 25
    got = rebalance.partners_with_winner({"p1": D(60), "p3": D(30)}, winner="p2", share=D(20), fee=D(5))
    assert got == {"p1": D(50), "p3": D(25), "p2": D(20)}
