"""Login throttling (django-axes counts the failures): an audit row for every lockout and unlock."""

from axes.models import AccessAttempt
from django.db import transaction

from orgs.audit import audit_record


def _changes(attempt: AccessAttempt) -> dict:
    return {
        "username": attempt.username,
        "ip_address": attempt.ip_address,
        "failures": attempt.failures_since_start,
    }


def login_lockout_record(*, username: str | None, ip_address: str) -> None:
    """Audit that `username` is now locked out from `ip_address` (axes' lockout signal calls this)."""
    attempt = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .first()
    )
    if attempt is not None:
        audit_record(actor=None, action="auth.login_locked_out", target=attempt, changes=_changes(attempt))


@transaction.atomic
def login_unlock(*, actor, attempts, reason: str = "") -> int:
    """Lift the lockouts of `attempts` (AccessAttempt rows): their failures are forgotten."""
    n = 0
    for attempt in attempts.select_for_update():
        audit_record(
            actor=actor,
            action="auth.login_unlocked",
            target=attempt,
            changes=_changes(attempt),
            reason=reason,
        )
        attempt.delete()
        n += 1
    return n
