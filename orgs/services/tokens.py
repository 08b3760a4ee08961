"""API tokens (DRF authtoken): a user makes or revokes their own; an admin may revoke anyone's
(with a reason); each change audited.

The audit row names the user, never the key (the key is the credential)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from rest_framework.authtoken.models import Token

from orgs.audit import audit_record
from orgs.services._common import require_reason


@transaction.atomic
def api_token_create(*, user, actor) -> Token:
    """Give `user` a new token; an earlier one stops working at once."""
    replaced, _ = Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit_record(actor=actor, action="api_token.create", target=user, changes={"replaced": bool(replaced)})
    return token


@transaction.atomic
def api_token_revoke(*, user, actor, reason: str = "") -> bool:
    """Revoke `user`'s token; False when there was none (nothing is written then). A user revokes
    their own; revoking another user's needs `orgs.manage_tokens` (admins) and a reason."""
    if actor.pk != user.pk:
        if not actor.has_perm("orgs.manage_tokens"):
            raise PermissionDenied
        reason = require_reason(reason)
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=actor, action="api_token.revoke", target=user, reason=(reason or "").strip())
    return bool(deleted)


def password_change_record(*, user, actor, how: str) -> None:
    """Audit a password change (Django's auth views set it: `how` is "change" or "reset")."""
    audit_record(actor=actor, action=f"auth.password_{how}", target=user)
