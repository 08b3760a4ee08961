"""Prior-period adjustments from any earlier locked period (not only the one before), each taken
once, with its source; the reconciliation covers EMCs with value and no line yet."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from config.errors import ConflictError
from ledger import services as ledger_services
from payouts import services
from payouts.models import PayoutAdjustment, PayoutLine, PayoutReport
from tests.ledger.factories import approved_contract, world_build
from tests.payouts.conftest import _months_ago, at, payer

M0, M1, M2, M3 = (_months_ago(n) for n in (4, 3, 2, 1))  # four months, all in the past


@pytest.fixture
def world(db):
    """The payout world of conftest, its contract in force from M0."""
    w = world_build(with_contract=False)
    w.contract = approved_contract(
        w,
        effective_from=M0,
        target_minor=1_000_000,
        base_rate_pct=Decimal(10),
        floor_minor=0,
        cap_minor=None,
        holdback_pct=Decimal(0),
        holdback_days=0,
        tiers=[{"threshold_pct": 100, "rate_pct": 20}, {"threshold_pct": 150, "rate_pct": 30}],
    )
    return w


def night(day) -> PayoutReport:
    [rid] = services.payout_night_compute(run_date=day)
    return PayoutReport.objects.get(pk=rid)


def lock(report, finance, finance2) -> PayoutReport:
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    return services.payout_report_lock(actor=finance, report=report)


def me_line(report, world) -> PayoutLine:
    return PayoutLine.objects.get(report=report, key=f"me:{world.emc.pk}:{world.lead_me.pk}")


def test_a_refund_two_periods_back_is_adjusted_once_in_the_next_open_period(world, finance, finance2):
    pay = payer(world)
    # M0: 5,000.00 without partner: fee 250.00, remainder 4,750.00, the lead ME's 60% 285,000 at
    # 10% = 28,500
    payment = pay("5000.00", M0 + dt.timedelta(days=2), partners=[])
    m0 = lock(night(M0), finance, finance2)
    assert me_line(m0, world).capped_minor == 28_500
    # M1: 1,000.00 -> the lead ME's 57,000 at 10% = 5,700; locked with nothing changed in M0
    pay("1000.00", M1 + dt.timedelta(days=1), partners=[])
    m1 = lock(night(M1), finance, finance2)
    assert me_line(m1, world).adjustment_minor == 0

    # M2: a refund of 3,000.00 of the M0 payment (two periods back) and 4,000.00 of M2's own
    ledger_services.value_event_refund(
        actor=world.leader, original=payment, amount="3000.00", occurred_at=at(M2 + dt.timedelta(days=1))
    )
    pay("4000.00", M2 + dt.timedelta(days=1), partners=[])
    m2 = night(M2)
    line = me_line(m2, world)
    # M0 now: 2,000.00 -> 114,000 at 10% = 11,400: the adjustment 11,400 - 28,500 = -17,100;
    # M2's own: 228,000 at 10% = 22,800; payable 22,800 - 17,100 = 5,700
    assert line.adjustment_minor == -17_100
    [adj] = line.explanation["adjustments"]
    assert (adj["report"], adj["accrued_when_locked_minor"], adj["accrued_now_minor"]) == (
        m0.pk,
        28_500,
        11_400,
    )
    assert adj["period"] == f"{M0} to {m0.period.end}"
    assert (line.accrued_minor, line.payable_minor) == (22_800, 5_700)
    page = _finance_page(finance, m2)
    assert f"prior period {M0} to {m0.period.end}" in page
    m2 = lock(m2, finance, finance2)
    # one row per ME: the node ME's 40% went 190,000 -> 76,000, at 10% 19,000 -> 7,600: -11,400
    rows = PayoutAdjustment.objects.filter(report=m2, source=m0)
    assert dict(rows.values_list("me_id", "amount_minor")) == {
        world.lead_me.pk: -17_100,
        world.node_me.pk: -11_400,
    }

    # M3: another 1,000.00 of the same payment refunded: M0 now 1,000.00 -> 5,700; paid so far
    # 28,500 - 17,100 = 11,400: adjustment -5,700 (the M2 adjustment is not taken again)
    ledger_services.value_event_refund(
        actor=world.leader, original=payment, amount="1000.00", occurred_at=at(M3 + dt.timedelta(days=1))
    )
    pay("2000.00", M3 + dt.timedelta(days=1), partners=[])
    m3 = night(M3)
    line = me_line(m3, world)
    assert line.adjustment_minor == -5_700
    assert line.explanation["adjustments"][0]["accrued_when_locked_minor"] == 11_400
    assert (line.accrued_minor, line.payable_minor) == (11_400, 5_700)
    # the locked lines never changed
    assert (me_line(m0, world).capped_minor, me_line(m2, world).adjustment_minor) == (28_500, -17_100)


def test_nothing_changed_means_no_adjustment_and_a_rerun_takes_it_once(world, finance, finance2):
    pay = payer(world)
    payment = pay("5000.00", M0 + dt.timedelta(days=2), partners=[])
    lock(night(M0), finance, finance2)
    lock(night(M1), finance, finance2)
    assert not PayoutAdjustment.objects.exists()
    ledger_services.value_event_refund(
        actor=world.leader, original=payment, amount="5000.00", occurred_at=at(M2 + dt.timedelta(days=3))
    )
    night(M2)
    m2 = night(M2)  # the night run twice: one adjustment row, one line
    rows = PayoutAdjustment.objects.filter(report=m2)
    # all refunded: the lead ME gives back its 28,500, the node ME its 190,000 at 10% = 19,000
    assert dict(rows.values_list("me_id", "amount_minor")) == {
        world.lead_me.pk: -28_500,
        world.node_me.pk: -19_000,
    }
    assert me_line(m2, world).adjustment_minor == -28_500


def test_an_earlier_open_report_takes_the_adjustment_first(world, finance, finance2):
    pay = payer(world)
    payment = pay("5000.00", M0 + dt.timedelta(days=2), partners=[])
    lock(night(M0), finance, finance2)
    m1 = night(M1)  # still a draft
    ledger_services.value_event_refund(
        actor=world.leader, original=payment, amount="3000.00", occurred_at=at(M1 + dt.timedelta(days=3))
    )
    assert me_line(services.payout_report_compute(report=m1), world).adjustment_minor == -17_100
    m2 = night(M2)
    assert not PayoutAdjustment.objects.filter(report=m2).exists()


def _finance_page(user, report) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("payouts:report-detail", args=[report.pk])).content.decode()


def test_an_emc_with_value_and_no_line_is_a_difference_and_refuses_approval(world, finance, finance2):
    payer(world)("1000.00", M2 + dt.timedelta(days=1), partners=[])
    report = night(M2)
    services.payout_report_submit(actor=finance, report=report)
    # another EMC's contract approved since, and a payment in the period: no line in the report
    other = world_build(with_contract=False)
    approved_contract(other, effective_from=M0, floor_minor=0)
    payer(other)("700.00", M2 + dt.timedelta(days=2), partners=[])
    check = services.payout_report_reconcile(report=report)
    assert not check["ok"] and check["missing_emcs"] == [other.emc.pk]
    assert {
        "key": f"emc:{other.emc.pk}",
        "report_minor": 0,
        "ledger_minor": 70_000,
        "missing": True,
    } in check["differences"]
    with pytest.raises(ConflictError, match="does not reconcile"):
        services.payout_report_approve(actor=finance2, report=report)
    assert PayoutReport.objects.get(pk=report.pk).status == "submitted"
    client = Client()
    client.force_login(finance2)
    page = client.get(reverse("payouts:report-reconcile", args=[report.pk])).content.decode()
    assert 'data-testid="missing-line"' in page
    # back to draft and recomputed, the EMC has its lines and the report reconciles
    services.payout_report_return(actor=finance, report=report)
    services.payout_report_compute(report=report)
    assert services.payout_report_reconcile(report=report)["ok"]
    assert Decimal(PayoutLine.objects.get(report=report, key=f"emc:{other.emc.pk}").value_minor) == 70_000
