"""The report lifecycle: draft -> submitted -> approved (by finance other than the submitter,
PAYOUTS_APPROVALS_REQUIRED of them, each on a report that reconciles to the ledger) -> locked
(the payables posted to the ledger once). Every step leaves an audit row."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import ConflictError
from ledger import services as ledger_services
from orgs.audit import audit_record
from payouts import selectors
from payouts.models import PayoutApproval, PayoutLine, PayoutReport
from payouts.services.compute import period_emcs  # the one rule of which EMCs a report holds

# the lines whose value the ledger must show again, to the minor unit
RECONCILED_KINDS = (
    PayoutLine.Kind.EMC,
    PayoutLine.Kind.ME,
    PayoutLine.Kind.PARTNER,
    PayoutLine.Kind.PLATFORM,
)


def _require(actor, perm: str, obj=None) -> None:
    if actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this with payout reports."))


def _locked(report: PayoutReport) -> PayoutReport:
    return PayoutReport.objects.select_for_update().select_related("period").get(pk=report.pk)


def _require_period_over(report: PayoutReport) -> None:
    """Refuse (409) a step that needs the report's period to have ended: a period still running
    takes more events, which would all become adjustments in the next report."""
    end = report.period.end
    if timezone.localdate() <= end:
        raise ConflictError(
            _("The period runs until %(end)s; its report can be submitted and locked from %(day)s.")
            % {"end": end.isoformat(), "day": (end + timedelta(days=1)).isoformat()}
        )


def payout_report_reconcile(*, report: PayoutReport) -> dict:
    """The report's values beside the ledger's, per line key, now: {"ok", "report_minor",
    "ledger_minor", "differences": [{"key", "report_minor", "ledger_minor"}], "missing_emcs"}.

    The ledger side covers every EMC of the report's period kind and currency (by the contract
    version that gives it the period), not only those with a line: an EMC with value in the
    period and no line yet (a contract approved since the last computation) is a difference."""
    period = report.period
    rows = selectors.period_legs(currency=period.currency, start=period.start, end=period.end)
    ledger = defaultdict(int)
    emc_ids = set(
        PayoutLine.objects.filter(report=report, kind=PayoutLine.Kind.EMC).values_list("emc_id", flat=True)
    )
    in_line = set(emc_ids)
    emc_ids |= set(
        period_emcs(
            period.kind,
            period.start,
            period.end,
            period.currency,
            selectors.rule_terms_load(until=period.end, currency=period.currency),
        )
    )
    for emc_id, data in selectors.legs_by_party(rows).items():
        if emc_id not in emc_ids:
            continue
        ledger[f"emc:{emc_id}"] = sum(data["emc_days"].values())
        for _day, me_id, value, _n in data["me_days"]:
            ledger[f"me:{emc_id}:{me_id}"] += value
        for partner_id, (value, _n) in data["partners"].items():
            ledger[f"partner:{emc_id}:{partner_id}"] = value
        if data["platform"]:
            ledger[f"platform:{emc_id}"] = data["platform"]
    stored = dict(
        PayoutLine.objects.filter(report=report, kind__in=RECONCILED_KINDS).values_list("key", "value_minor")
    )
    differences = [
        {
            "key": key,
            "report_minor": stored.get(key, 0),
            "ledger_minor": ledger.get(key, 0),
            "missing": key not in stored,
        }
        for key in sorted(set(stored) | set(ledger))
        if stored.get(key, 0) != ledger.get(key, 0)
    ]
    emc_keys = [k for k in stored if k.startswith("emc:")]
    return {
        "ok": not differences,
        "currency": period.currency,
        "report_minor": sum(stored[k] for k in emc_keys),
        "ledger_minor": sum(
            ledger.get(k, 0) for k in set(emc_keys) | {k for k in ledger if k.startswith("emc:")}
        ),
        "differences": differences,
        "missing_emcs": sorted(
            int(d["key"].split(":")[1])
            for d in differences
            if d["key"].startswith("emc:") and int(d["key"].split(":")[1]) not in in_line
        ),
    }


@transaction.atomic
def payout_report_submit(*, actor, report: PayoutReport) -> PayoutReport:
    """Submit a draft for approval: it is no longer recomputed."""
    _require(actor, "payouts.submit", report)
    report = _locked(report)
    if report.status != PayoutReport.Status.DRAFT:
        raise ConflictError(
            _("Only a draft can be submitted; this report is %(s)s.") % {"s": report.get_status_display()}
        )
    _require_period_over(report)
    report.status = PayoutReport.Status.SUBMITTED
    report.submitted_by, report.submitted_at = actor, timezone.now()
    report.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(actor=actor, action="payouts.report_submit", target=report)
    return report


@transaction.atomic
def payout_report_approve(*, actor, report: PayoutReport) -> PayoutReport:
    """One finance approval; the report becomes approved with PAYOUTS_APPROVALS_REQUIRED of them.
    Refused (nothing written) to the submitter, to a second approval by one person, and when the
    report does not reconcile to the ledger."""
    _require(actor, "payouts.approve", report)
    report = _locked(report)
    if report.status != PayoutReport.Status.SUBMITTED:
        raise ConflictError(
            _("Only a submitted report can be approved; this report is %(s)s.")
            % {"s": report.get_status_display()}
        )
    if report.submitted_by_id == actor.pk:
        raise PermissionDenied(_("You submitted this report; someone else in finance approves it."))
    if PayoutApproval.objects.filter(report=report, approved_by=actor).exists():
        raise ConflictError(_("You have already approved this report."))
    check = payout_report_reconcile(report=report)
    if not check["ok"]:
        raise ConflictError(
            _(
                "The report does not reconcile to the ledger (%(n)s lines differ); return it to draft and recompute."
            )
            % {"n": len(check["differences"])}
        )
    PayoutApproval.objects.create(report=report, approved_by=actor, reconciled=check)
    needed = settings.PAYOUTS_APPROVALS_REQUIRED
    if PayoutApproval.objects.filter(report=report).count() >= needed:
        report.status = PayoutReport.Status.APPROVED
        report.save(update_fields=["status"])
    audit_record(
        actor=actor, action="payouts.report_approve", target=report, changes={"status": report.status}
    )
    return report


@transaction.atomic
def payout_report_lock(*, actor, report: PayoutReport) -> PayoutReport:
    """Lock an approved report and post its payables to the ledger, once: the report row is locked
    and its state checked first, and the transaction is kept in a unique field."""
    _require(actor, "payouts.lock", report)
    report = _locked(report)
    if report.status == PayoutReport.Status.LOCKED:
        raise ConflictError(_("This report is already locked; its payables were posted once."))
    if report.status != PayoutReport.Status.APPROVED:
        raise ConflictError(
            _("Only an approved report can be locked; this report is %(s)s.")
            % {"s": report.get_status_display()}
        )
    _require_period_over(report)
    me_amounts = defaultdict(int)
    for me_id, amount in PayoutLine.objects.filter(
        report=report, kind=PayoutLine.Kind.ME, payable_minor__gt=0
    ).values_list("me_id", "payable_minor"):
        me_amounts[me_id] += amount
    returned = sum(
        PayoutLine.objects.filter(report=report, kind=PayoutLine.Kind.MEMBER).values_list(
            "coinvest_returned_minor", flat=True
        )
    )
    now = timezone.now()
    txn = None
    if me_amounts or returned:
        txn = ledger_services.payables_post(
            actor=actor,
            currency=report.period.currency,
            effective_on=timezone.localdate(now),
            memo=f"payout report {report.pk}: {report.period}",
            me_amounts=dict(me_amounts),
            platform_minor=returned,
            basis={"payout_report": report.pk},
        )
    report.status = PayoutReport.Status.LOCKED
    report.locked_by, report.locked_at, report.payables_transaction = actor, now, txn
    report.save(update_fields=["status", "locked_by", "locked_at", "payables_transaction"])
    audit_record(
        actor=actor,
        action="payouts.report_lock",
        target=report,
        changes={
            "payables_transaction": txn.pk if txn else None,
            "total_minor": sum(me_amounts.values()) + returned,
            "currency": report.period.currency,
        },
    )
    return report


@transaction.atomic
def payout_report_return(*, actor, report: PayoutReport, reason: str = "") -> PayoutReport:
    """Return a submitted or approved report to draft (its approvals are withdrawn), so the night
    or finance recomputes it; a locked report never changes."""
    _require(actor, "payouts.submit", report)
    report = _locked(report)
    if report.status not in (PayoutReport.Status.SUBMITTED, PayoutReport.Status.APPROVED):
        raise ConflictError(
            _("Only a submitted or approved report returns to draft; this report is %(s)s.")
            % {"s": report.get_status_display()}
        )
    withdrawn = list(report.approvals.values_list("approved_by_id", flat=True))
    report.approvals.all().delete()
    before = report.status
    report.status = PayoutReport.Status.DRAFT
    report.submitted_by, report.submitted_at = None, None
    report.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(
        actor=actor,
        action="payouts.report_return",
        target=report,
        changes={"status": [before, "draft"], "approvals_withdrawn": withdrawn},
        reason=reason,
    )
    return report
