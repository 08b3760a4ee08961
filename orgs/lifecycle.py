"""The partner entry/exit state machine: which state may follow which, and by what action.

applied → probation → active ⇄ on watch → phased out; applied → rejected; phased out → applied.
Probation and on-watch partners may also be phased out directly. The services consult this
table only (orgs.services.partners.partner_transition); the UI and API derive their buttons from it.
"""

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


def action_labels() -> dict[str, str]:
    """Human labels of the actions, for buttons (translated at call time)."""
    from django.utils.translation import gettext as _

    return {
        "admit": _("Admit to probation"),
        "reject": _("Reject"),
        "activate": _("Activate"),
        "watch": _("Put on watch"),
        "reinstate": _("Reinstate"),
        "phase_out": _("Phase out"),
        "reapply": _("Re-admit (new application)"),
    }
