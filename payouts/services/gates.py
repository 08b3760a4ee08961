"""Tier gates: a contract version's tier that applies only when a VAM vertical goal is met.
Set on a draft contract (an approved version is immutable), validated by the ledger's contract
terms rules, audited."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from config.errors import ConflictError
from ledger.contract_terms import tier_gates_validate
from ledger.models import Contract
from orgs.audit import audit_record
from payouts.models import TierGate


@transaction.atomic
def tier_gates_set(*, actor, contract: Contract, gates: list[dict]) -> list[TierGate]:
    """Replace the gates of a draft contract version: [{"threshold_pct", "metric"}]."""
    if actor is None or not actor.has_perm("ledger.manage_contracts"):
        raise PermissionDenied(_("You may not change contract terms."))
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != Contract.Status.DRAFT:
        raise ConflictError(
            _("Only a draft contract version takes tier gates; approved versions never change.")
        )
    rows = tier_gates_validate(contract=contract, gates=gates)
    before = sorted(
        f"{g.tier.threshold_pct}:{g.goal.metric}"
        for g in TierGate.objects.filter(contract=contract).select_related("tier", "goal")
    )
    TierGate.objects.filter(contract=contract).delete()
    made = TierGate.objects.bulk_create(TierGate(contract=contract, tier=t, goal=g) for t, g in rows)
    audit_record(
        actor=actor,
        action="payouts.tier_gates_set",
        target=contract,
        changes={"gates": [before, sorted(f"{t.threshold_pct}:{g.metric}" for t, g in rows)]},
    )
    return made
