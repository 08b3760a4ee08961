"""The computation on posted events: lines per EMC, ME, member, partner and platform."""

import datetime as dt

from django.test import override_settings

from ledger import services as ledger_services
from payouts import services, tasks
from payouts.models import PayoutLine, PayoutReport
from scoring.models import NightlyRun
from scoring.signals import night_scored
from tests.payouts.conftest import JUNE, at


def lines(report, kind):
    owner = {"member": "user_id", "me": "me_id", "partner": "partner_id"}.get(kind, "emc_id")
    return {getattr(line, owner): line for line in PayoutLine.objects.filter(report=report, kind=kind)}


def test_worked_example_9_partner_share_and_platform_fee(world, pay):
    pay("10000.00", JUNE, partners=[world.partner])  # 1,000,000 fen
    [report_id] = services.payout_night_compute(run_date=JUNE)
    report = PayoutReport.objects.get(pk=report_id)
    assert lines(report, "partner")[world.partner.pk].value_minor == 75_000
    assert lines(report, "platform")[world.emc.pk].value_minor == 50_000
    mes = lines(report, "me")
    assert (mes[world.lead_me.pk].value_minor, mes[world.node_me.pk].value_minor) == (525_000, 350_000)
    assert (mes[world.lead_me.pk].accrued_minor, mes[world.node_me.pk].accrued_minor) == (52_500, 35_000)
    emc = lines(report, "emc")[world.emc.pk]
    assert emc.value_minor == 1_000_000 == 50_000 + 75_000 + 525_000 + 350_000
    # the lead ME's 52,500 split 60/40 between its members
    members = lines(report, "member")
    assert (members[world.alice.pk].payable_minor, members[world.bob.pk].payable_minor) == (31_500, 21_000)


def test_tier_crossed_and_refund_counted_on_its_payments_day(world, pay):
    first = pay("8000.00", JUNE + dt.timedelta(days=2), partners=[])
    pay("4000.00", JUNE + dt.timedelta(days=19), partners=[])
    # a refund on June 25 of 1,000.00 of the June 3 payment: counts on June 3
    ledger_services.value_event_refund(
        actor=world.leader, original=first, amount="1000.00", occurred_at=at(JUNE + dt.timedelta(days=24))
    )
    [rid] = services.payout_night_compute(run_date=JUNE + dt.timedelta(days=24))
    emc = lines(PayoutReport.objects.get(pk=rid), "emc")[world.emc.pk]
    assert emc.value_minor == 1_100_000
    assert emc.tier == "tier 100%"
    me = lines(PayoutReport.objects.get(pk=rid), "me")[world.lead_me.pk]
    # no partner: ME value = 95% x 60% of the EMC's; EMC walk: 1,000,000 at 10% + 100,000 at 20%
    assert me.value_minor == 627_000
    assert me.accrued_minor == 627_000 * 120_000 // 1_100_000
    assert me.events == 3
    assert {b["band"] for b in me.explanation["bands"]} == {"base", "tier 100%"}


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_night_scored_recomputes_drafts_idempotently(world, pay):
    pay("1000.00", JUNE)
    for _ in range(2):  # a re-run of the night sends it again
        night_scored.send(sender=NightlyRun, run_id=1, run_date=JUNE)
    report = PayoutReport.objects.get()
    assert report.computations == 2
    keys = list(PayoutLine.objects.filter(report=report).values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 7  # emc, 2 MEs, 2 members, partner, platform
    me = PayoutLine.objects.get(report=report, key=f"me:{world.emc.pk}:{world.lead_me.pk}")
    assert me.previous_payable_minor == me.payable_minor  # nothing changed since last night


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_with_a_broker_the_receiver_queues_the_payouts_task(world, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.night_compute, "delay", lambda *args: queued.append(args))
    night_scored.send(sender=NightlyRun, run_id=1, run_date=JUNE)
    assert queued == [(JUNE.isoformat(),)]
    assert not PayoutReport.objects.exists()


def test_a_submitted_report_is_not_recomputed(world, pay, finance):
    pay("1000.00", JUNE)
    [rid] = services.payout_night_compute(run_date=JUNE)
    services.payout_report_submit(actor=finance, report=PayoutReport.objects.get(pk=rid))
    assert services.payout_night_compute(run_date=JUNE) == []
    assert PayoutReport.objects.get(pk=rid).computations == 1
