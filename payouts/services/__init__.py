"""Writes of the payouts app: the computation (compute), the report lifecycle (lifecycle)."""

from payouts.services.whatif import payout_what_if  # noqa: I001 (after compute: it builds on it)
from payouts.services.compute import payout_night_compute, payout_report_compute, report_for
from payouts.services.lifecycle import (
    payout_report_approve,
    payout_report_lock,
    payout_report_reconcile,
    payout_report_return,
    payout_report_submit,
)

__all__ = [
    "payout_night_compute",
    "payout_report_approve",
    "payout_report_compute",
    "payout_report_lock",
    "payout_report_reconcile",
    "payout_report_return",
    "payout_report_submit",
    "payout_what_if",
    "report_for",
]
