"""Demo payouts: last month's report locked (submitted by finance, approved by finance2, its
payables posted), this month's draft, a tier crossed, a cap hit and an inquiry (the leader asks
about their ME's locked line, finance answers). Called by `manage.py
demo_load` after the scoring demo; safe to run again.

For the cap to bite, one EMC gets a new contract version from last month on (approved versions
are immutable): its terms copied, with a per-ME cap of CNY 5,000, a minimum payout of CNY 100
and a 20% co-investment return; the lead ME's first member co-invests CNY 1,000 in the bet."""

import datetime as dt

from django.utils import timezone

from ledger import services as ledger_services
from ledger.contract_terms import stored_terms
from ledger.models import Contract
from orgs.models import EMC, Membership
from payouts import services
from payouts.models import PayoutInquiry, PayoutLine, PayoutReport
from payouts.services.coinvest import coinvestment_record
from payouts.services.inquiries import inquiry_raise, inquiry_reply
from payouts.services.periods import period_before, period_bounds

DEMO_CAP_MINOR = 500_000  # CNY 5,000 per ME per month
DEMO_MIN_PAYOUT_MINOR = 10_000
DEMO_COINVEST_MINOR = 100_000


def _capped_version(emc: EMC, *, admin, approver, start: dt.date) -> Contract | None:
    current = (
        Contract.objects.filter(emc=emc, status=Contract.Status.APPROVED, effective_from__lte=start)
        .order_by("-effective_from", "-version")
        .first()
    )
    if current is None:
        return None
    terms = stored_terms(current)
    terms.update(
        floor_minor=0,
        cap_minor=DEMO_CAP_MINOR,
        min_payout_minor=DEMO_MIN_PAYOUT_MINOR,
        coinvest_return_pct=20,
    )
    draft = ledger_services.contract_draft_create(
        actor=admin,
        effective_from=start,
        notes="Demo: a per-ME cap of CNY 5,000 from last month (payouts demo).",
        **terms,
    )
    return ledger_services.contract_approve(actor=approver, contract=draft)


def demo_payouts_load(*, users, progress) -> str:
    if PayoutReport.objects.exists():
        return "demo payouts already loaded"
    today = timezone.localdate()
    last_start, last_end = period_before("month", period_bounds("month", today)[0])
    emc = (
        EMC.objects.filter(status=EMC.Status.ACTIVE, contracts__status=Contract.Status.APPROVED)
        .distinct()
        .order_by("code")
        .first()
    )
    if emc is None:
        return "no contracts: load the ledger demo first"
    admin, finance, finance2 = users["admin"], users["finance"], users["finance2"]
    progress("payouts: a capped contract version, last month's report, this month's draft")
    if _capped_version(emc, admin=admin, approver=users["admin2"], start=last_start) is not None:
        member = (
            Membership.objects.filter(me_id=emc.lead_me_id, joined_on__lte=last_start).order_by("id").first()
        )
        if member is not None:
            coinvestment_record(
                actor=finance,
                emc=emc,
                me=member.me,
                user=member.user,
                period_start=last_start,
                currency="CNY",
                amount_minor=DEMO_COINVEST_MINOR,
            )
    for report_id in services.payout_night_compute(run_date=last_end):
        report = PayoutReport.objects.get(pk=report_id)
        services.payout_report_submit(actor=finance, report=report)
        services.payout_report_approve(actor=finance2, report=report)
        services.payout_report_lock(actor=finance, report=report)
    drafts = services.payout_night_compute(
        run_date=max(today - dt.timedelta(days=1), period_bounds("month", today)[0])
    )
    # an inquiry: the leader asks about their ME's line of the locked month, finance answers
    line = (
        PayoutLine.objects.filter(report__status="locked", kind="me", me__leader=users["leader"])
        .order_by("id")
        .first()
    )
    if line is not None:
        inquiry = inquiry_raise(
            actor=users["leader"],
            line=line,
            text="Our ME's payout for last month looks lower than the value we logged. Was the cap applied?",
        )
        inquiry_reply(
            actor=finance,
            inquiry=inquiry,
            text="Yes: the contract caps each ME at CNY 5,000 a month from last month on; the line explains it.",
        )
    capped = PayoutLine.objects.filter(kind="me", explanation__capped=True).count()
    crossed = PayoutLine.objects.filter(kind="emc").exclude(tier__in=["base", "under floor"]).count()
    return (
        f"{PayoutReport.objects.filter(status='locked').count()} locked report(s), {len(drafts)} draft(s); "
        f"{crossed} EMC period(s) past the target, {capped} ME line(s) capped; "
        f"{PayoutInquiry.objects.count()} inquiry"
    )
