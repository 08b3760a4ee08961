"""The audit trail: every service that changes state calls `audit_record` in its transaction."""

from django.contrib.contenttypes.models import ContentType

from orgs.models import AuditEntry


def audit_record(*, actor, action: str, target, changes: dict | None = None, reason: str = "") -> AuditEntry:
    """Append an audit row for `target`; call inside the transaction that made the change."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        object_repr=str(target)[:255],
        changes=changes or {},
        reason=reason,
    )


def audit_for(target):
    """Return the audit rows of one object, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
    ).select_related("actor")
