"""The payouts demo: one locked period, one open draft, a tier crossed, a cap hit and an inquiry; once."""

import pytest

from ledger.demo import demo_ledger_load
from ledger.models import Transaction
from orgs.demo import demo_users_load
from orgs.demo_org import demo_org_load
from payouts.demo import demo_payouts_load
from payouts.models import PayoutInquiry, PayoutLine, PayoutReport


@pytest.mark.django_db
def test_the_demo_shows_a_locked_period_a_draft_a_tier_crossed_and_a_cap_hit():
    users = demo_users_load()
    demo_org_load(users=users, progress=lambda *_: None)
    demo_ledger_load(users=users, progress=lambda *_: None)
    summary = demo_payouts_load(users=users, progress=lambda *_: None)
    locked = PayoutReport.objects.get(status="locked")
    assert locked.payables_transaction_id and locked.approvals.get().approved_by == users["finance2"]
    assert PayoutReport.objects.filter(status="draft").exists()
    assert (
        PayoutLine.objects.filter(report=locked, kind="emc")
        .exclude(tier__in=["base", "under floor"])
        .exists()
    )
    assert PayoutLine.objects.filter(report=locked, kind="me", explanation__capped=True).exists()
    assert PayoutLine.objects.filter(
        report=locked, kind="member", coinvest_returned_minor__gt=0
    ).exists() or (
        PayoutLine.objects.filter(report=locked, kind="member", coinvest_forfeited_minor__gt=0).exists()
    )
    inquiry = PayoutInquiry.objects.get()
    assert inquiry.raised_by == users["leader"] and inquiry.line.report == locked
    assert inquiry.messages.count() == 2 and inquiry.status == "open"
    assert "locked report" in summary and "1 inquiry" in summary
    assert demo_payouts_load(users=users, progress=lambda *_: None) == "demo payouts already loaded"
    assert Transaction.objects.filter(kind="adjustment").count() == 1
