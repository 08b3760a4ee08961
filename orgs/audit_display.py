"""The audit trail as a person reads it: the action named, each change as "field: old → new"
with the field's label, states and kinds as their labels (in the active language).

The services write `changes` in a few shapes; each is read here, once:
- `{"field": [old, new]}` on updates and transitions;
- `{"field": {"before": {...}, "after": {...}}}` for sets (members and weights, node shares);
- `{"field": value}` on creation (and a two-item list there is a value, not a change).

The apps above orgs name their own actions and fields with `audit_labels_register` (from their
AppConfig.ready), and the ledger lends its money formatter, so amounts kept in minor units read
as money in the currency recorded beside them.
"""

from django.utils.translation import gettext_lazy as _

from orgs import lifecycle
from orgs.models import EMC, Microenterprise, Partner
from orgs.roles import Role

ACTION_LABELS = {
    "me.create": _("ME created"),
    "me.update": _("ME changed"),
    "me.activate": _("ME activated"),
    "me.dissolve": _("ME dissolved"),
    "me.members_set": _("Members and weights set"),
    "me.merge": _("MEs merged"),
    "me.split": _("ME split"),
    "emc.create": _("EMC created"),
    "emc.update": _("EMC changed"),
    "emc.nodes_set": _("Node MEs and shares set"),
    "emc.partner_join": _("Partner joined the EMC"),
    "emc.partner_leave": _("Partner left the EMC"),
    "emc.split": _("EMC split"),
    "emc.disband": _("EMC disbanded"),
    "scenario.create": _("Scenario created"),
    "category.create": _("Category created"),
    "solution.create": _("Solution created"),
    "solution.version_add": _("Solution version added"),
    "partner.create": _("Partner registered"),
    "partner.apply": _("Partner applied"),
    "partner.update": _("Partner changed"),
    "partner.certify": _("Partner certified"),
    "partner.promote": _("Partner tier changed"),
    "partner.proposal_create": _("Proposal made"),
    "partner.proposal_dismiss": _("Proposal dismissed"),
    "partner.resource_use_start": _("Resource use started"),
    "partner.resource_use_end": _("Resource use ended"),
    "api_token.create": _("API token made"),
    "api_token.revoke": _("API token revoked"),
    "auth.password_change": _("Password changed"),
    "auth.password_reset": _("Password reset"),
    "auth.login_locked_out": _("Login locked out"),
    "auth.login_unlocked": _("Login unlocked"),
}
# partner lifecycle steps: "partner.admit", "partner.reject", ... (orgs.lifecycle)
ACTION_LABELS |= {f"partner.{action}": label for action, label in lifecycle.ACTION_LABELS.items()}

FIELD_LABELS = {
    "name": _("Name"),
    "code": _("Code"),
    "kind": _("Kind"),
    "status": _("Status"),
    "state": _("State"),
    "leader": _("Leader"),
    "lead_me": _("Lead ME"),
    "members": _("Members and weights (%)"),
    "nodes": _("Node shares (%)"),
    "scenarios": _("Scenarios"),
    "scenario": _("Scenario"),
    "categories": _("Categories"),
    "roles": _("Roles"),
    "industries": _("Industries"),
    "tier": _("Tier"),
    "effective_on": _("Effective on"),
    "is_core": _("Core category"),
    "industry": _("Industry"),
    "user": _("User"),
    "replaced": _("Replaced an earlier token"),
    "partner": _("Partner"),
    "version": _("Version"),
    "released_on": _("Released on"),
    "standard": _("Standard"),
    "certified_on": _("Certified on"),
    "expires_on": _("Expires on"),
    "provider_mes": _("Provider MEs"),
    "provider_partners": _("Provider partners"),
    "started_on": _("Started on"),
    "ended_on": _("Ended on"),
    "resource": _("Resource"),
    "currency": _("Currency"),
}

# fields in minor units, shown as money in the row's "currency"
MONEY_FIELDS: set[str] = set()
_money_format = None

# codes shown as their labels, per field
VALUE_LABELS = {
    "state": dict(Partner.State.choices),
    "to_state": dict(Partner.State.choices),
    "status": dict(Microenterprise.Status.choices) | dict(EMC.Status.choices),
    "kind": dict(EMC.Kind.choices),
    "role": dict(Role.choices),
}

CREATING = (".create", ".apply")
EMPTY = "—"


def audit_labels_register(
    *,
    actions: dict | None = None,
    fields: dict | None = None,
    values: dict | None = None,
    money_fields=(),
    money_format=None,
) -> None:
    """Name an app's audit actions, fields and codes (`values`: per field, code -> label, added to
    the field's codes); `money_fields` hold minor units, `money_format` turns (minor units,
    currency) into money text."""
    global _money_format
    ACTION_LABELS.update(actions or {})
    FIELD_LABELS.update(fields or {})
    for field, labels in (values or {}).items():
        VALUE_LABELS[field] = {**labels, **VALUE_LABELS.get(field, {})}
    MONEY_FIELDS.update(money_fields)
    if money_format is not None:
        _money_format = money_format


def _money(value, currency) -> str | None:
    if _money_format is None or not isinstance(currency, str) or isinstance(value, bool):
        return None
    try:
        return _money_format(int(value), currency)
    except (TypeError, ValueError):
        return None


def _text(field: str, value, changes: dict | None = None) -> str:
    if field in MONEY_FIELDS and isinstance(value, int | str):
        shown = _money(value, (changes or {}).get("currency"))
        if shown is not None:
            return shown
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(_text(field, v, changes) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items()))
    labels = VALUE_LABELS.get(field, {})
    return str(labels.get(value, value))


def _label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field.replace("_", " ").capitalize()))


def change_lines(*, action: str, changes: dict) -> list[dict]:
    """Each change of an audit row as {"label", "old", "new"} (a change) or {"label", "value"}."""
    if not isinstance(changes, dict):
        return [{"label": "", "value": str(changes)}]
    creating = action.endswith(CREATING)
    lines = []
    for field, value in changes.items():
        label = _label(field)
        if isinstance(value, dict) and set(value) == {"before", "after"}:
            lines.append(
                {
                    "label": label,
                    "old": _text(field, value["before"], changes),
                    "new": _text(field, value["after"], changes),
                }
            )
        elif isinstance(value, list) and len(value) == 2 and (not creating or value[0] is None):
            lines.append(
                {
                    "label": label,
                    "old": _text(field, value[0], changes),
                    "new": _text(field, value[1], changes),
                }
            )
        else:
            lines.append({"label": label, "value": _text(field, value, changes)})
    return lines


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
