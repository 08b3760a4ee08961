"""draft -> submitted -> approved -> locked: refusals leave nothing changed; payables post once;
late changes to a locked period become adjustments in the next."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from config.errors import ConflictError
from ledger import services as ledger_services
from ledger.models import Account, Leg, Transaction
from orgs.models import AuditEntry
from payouts import services
from payouts.models import PayoutApproval, PayoutLine, PayoutReport
from payouts.services.periods import period_bounds
from tests.factories import UserFactory
from tests.payouts.conftest import JUNE, at


@pytest.fixture
def report(world, pay):
    pay("8000.00", JUNE + dt.timedelta(days=2), partners=[])
    [rid] = services.payout_night_compute(run_date=JUNE)
    return PayoutReport.objects.get(pk=rid)


def status(report):
    return PayoutReport.objects.get(pk=report.pk).status


def test_the_whole_lifecycle_posts_the_payables_once(report, finance, finance2):
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    assert status(report) == "approved"
    services.payout_report_lock(actor=finance, report=report)
    report.refresh_from_db()
    assert report.status == "locked" and report.payables_transaction_id
    payable = Account.objects.get(code="payable:CNY")
    me_total = sum(
        PayoutLine.objects.filter(report=report, kind="me").values_list("payable_minor", flat=True)
    )
    assert me_total > 0
    assert -sum(Leg.objects.filter(account=payable).values_list("amount_minor", flat=True)) == me_total
    assert set(AuditEntry.objects.filter(object_id=str(report.pk)).values_list("action", flat=True)) >= {
        "payouts.report_submit",
        "payouts.report_approve",
        "payouts.report_lock",
    }
    # locking twice: refused, no second payable
    with pytest.raises(ConflictError, match="already locked"):
        services.payout_report_lock(actor=finance2, report=report)
    assert Transaction.objects.filter(kind="adjustment").count() == 1


def test_approving_ones_own_submission_is_refused(report, finance):
    services.payout_report_submit(actor=finance, report=report)
    with pytest.raises(PermissionDenied):
        services.payout_report_approve(actor=finance, report=report)
    assert status(report) == "submitted" and not PayoutApproval.objects.exists()


def test_a_report_that_does_not_reconcile_is_not_approved(report, finance, finance2, pay):
    services.payout_report_submit(actor=finance, report=report)
    pay("10.00", JUNE + dt.timedelta(days=3))  # the ledger moved on since the computation
    check = services.payout_report_reconcile(report=report)
    assert not check["ok"] and check["ledger_minor"] - check["report_minor"] == 1_000
    with pytest.raises(ConflictError, match="does not reconcile"):
        services.payout_report_approve(actor=finance2, report=report)
    assert status(report) == "submitted" and not PayoutApproval.objects.exists()
    # returned to draft and recomputed, it reconciles and is approved
    services.payout_report_return(actor=finance, report=report, reason="late event")
    services.payout_report_compute(report=report)
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    assert status(report) == "approved"


@override_settings(PAYOUTS_APPROVALS_REQUIRED=2)
def test_the_number_of_approvals_is_a_setting(report, finance, finance2):
    third = UserFactory(roles=["finance"])
    services.payout_report_submit(actor=finance, report=report)
    services.payout_report_approve(actor=finance2, report=report)
    assert status(report) == "submitted"
    with pytest.raises(ConflictError, match="already approved"):
        services.payout_report_approve(actor=finance2, report=report)
    services.payout_report_approve(actor=third, report=report)
    assert status(report) == "approved"


@pytest.mark.parametrize("role", ["me_leader", "me_member", "auditor", "platform_admin"])
def test_other_roles_are_refused(report, role):
    with pytest.raises(PermissionDenied):
        services.payout_report_submit(actor=UserFactory(roles=[role]), report=report)
    assert status(report) == "draft"


def test_locking_an_unapproved_report_is_refused(report, finance):
    with pytest.raises(ConflictError, match="Only an approved"):
        services.payout_report_lock(actor=finance, report=report)
    assert status(report) == "draft" and not Transaction.objects.filter(kind="adjustment").exists()


def test_a_refund_after_lock_is_clawed_back_in_the_next_period(world, pay, finance, finance2):
    payment = pay("5000.00", JUNE + dt.timedelta(days=2), partners=[])
    [rid] = services.payout_night_compute(run_date=JUNE)
    june = PayoutReport.objects.get(pk=rid)
    services.payout_report_submit(actor=finance, report=june)
    services.payout_report_approve(actor=finance2, report=june)
    services.payout_report_lock(actor=finance, report=june)
    locked_line = PayoutLine.objects.get(report=june, key=f"me:{world.emc.pk}:{world.lead_me.pk}")
    # 5,000.00 x 95% x 60% = 285,000 at 10%
    assert locked_line.payable_minor == 28_500

    july_start, _ = period_bounds("month", JUNE + dt.timedelta(days=40))
    ledger_services.value_event_refund(
        actor=world.leader,
        original=payment,
        amount="3000.00",
        occurred_at=at(july_start + dt.timedelta(days=1)),
    )
    pay("1000.00", july_start + dt.timedelta(days=1), partners=[])
    [jid] = services.payout_night_compute(run_date=july_start + dt.timedelta(days=1))
    july = PayoutLine.objects.get(report_id=jid, key=f"me:{world.emc.pk}:{world.lead_me.pk}")
    # June now: 2,000.00 -> 114,000 at 10% = 11,400: adjustment -17,100; July's own 5,700
    assert july.adjustment_minor == -17_100
    assert july.explanation["adjustments"][0]["accrued_when_locked_minor"] == 28_500
    assert july.accrued_minor == 5_700
    assert (july.payable_minor, july.carried_out_minor) == (0, -11_400)
    # the locked June lines never changed
    assert PayoutLine.objects.get(pk=locked_line.pk).payable_minor == 28_500
