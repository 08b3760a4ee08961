"""Template filters of the organization's pages: the audit trail as a person reads it."""

from django import template

from orgs.audit_display import action_label, change_lines

register = template.Library()


@register.filter
def audit_action(entry) -> str:
    """`{{ entry|audit_action }}` -> "ME created" (the action code when it has no label)."""
    return action_label(entry.action)


@register.filter
def audit_changes(entry) -> list[dict]:
    """`{% for line in entry|audit_changes %}`: {"label", "old", "new"} or {"label", "value"}."""
    return change_lines(action=entry.action, changes=entry.changes)


@register.filter
def state_label(code) -> str:
    """A partner state code as its label: "phased_out" -> "Phased out" (other text unchanged)."""
    from orgs.models import Partner

    return str(dict(Partner.State.choices).get(code, code or ""))


@register.inclusion_tag("orgs/_evidence.html")
def evidence_table(evidence, partner=None) -> dict:
    """`{% evidence_table step.evidence partner %}`: the evidence as a labelled table (orgs.evidence)."""
    from orgs.evidence import evidence_display

    return {"shown": evidence_display(evidence, partner=partner)}
