"""The partner entry/exit state machine: which state may follow which, and by what action.

applied → probation → active ⇄ on watch → phased out; applied → rejected; phased out → applied.
Probation and on-watch partners may also be phased out directly. The services consult this
table only (orgs.services.partners.partner_transition); the UI and API derive their buttons from it.
"""

from django.utils.translation import gettext_lazy

from orgs.models import Partner

S = Partner.State

TRANSITIONS: dict[str, dict[str, str]] = {
    S.APPLIED: {S.PROBATION: "admit", S.REJECTED: "reject"},
    S.PROBATION: {S.ACTIVE: "activate", S.PHASED_OUT: "phase_out"},
    S.ACTIVE: {S.ON_WATCH: "watch", S.PHASED_OUT: "phase_out"},
    S.ON_WATCH: {S.ACTIVE: "reinstate", S.PHASED_OUT: "phase_out"},
    S.PHASED_OUT: {S.APPLIED: "reapply"},
    S.REJECTED: {},
}

# action name → target state (each action leads to exactly one state)
ACTION_TARGETS: dict[str, str] = {
    action: to_state for targets in TRANSITIONS.values() for to_state, action in targets.items()
}

# states a proposal (the nightly job's suggestion) may aim at
PROPOSABLE_STATES = (S.ON_WATCH, S.PHASED_OUT)


def allowed_targets(state: str) -> list[str]:
    """Return the states reachable from `state` in one step."""
    return list(TRANSITIONS.get(state, {}))


def allowed_actions(state: str) -> dict[str, str]:
    """Return {action: to_state} available from `state`."""
    return {action: to_state for to_state, action in TRANSITIONS.get(state, {}).items()}


def is_allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, {})


ACTION_LABELS = {
    "admit": gettext_lazy("Admit to probation"),
    "reject": gettext_lazy("Reject"),
    "activate": gettext_lazy("Activate"),
    "watch": gettext_lazy("Put on watch"),
    "reinstate": gettext_lazy("Reinstate"),
    "phase_out": gettext_lazy("Phase out"),
    "reapply": gettext_lazy("Re-admit (new application)"),
}


def action_labels() -> dict[str, str]:
    """Human labels of the actions, for buttons (translated at call time)."""
    return {name: str(label) for name, label in ACTION_LABELS.items()}
