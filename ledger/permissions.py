"""Who may log value and signals for which ME: the rule `ledger.log_value` (orgs.rules), asked
once per distinct ME of a batch, before anything is written.

The services and the CSV import they start ask it; the posting engines do not: they post what
they are given, for the system (actor None: jobs, the demo, the generator) or for a user the
caller has already let through. The MEs come from the context the engine loaded for the batch
(`OrgContext.mes`), so asking costs no query.
"""

from django.utils.translation import gettext_lazy as _

NOT_YOURS = _("You may log value only for microenterprises you lead.")
NOT_YOURS_NAMED = _("You may log value only for microenterprises you lead, and you do not lead %(me)s.")
SIGNALS_NOT_YOURS = _("You may log signals only for microenterprises you lead.")
INDICATORS_NOT_YOURS = _("You may log indicators only for microenterprises you lead.")


def refused_rows(*, actor, specs, mes: dict, message=NOT_YOURS_NAMED) -> dict[int, dict[str, list[str]]]:
    """{index: {"me": [message]}} for each spec whose ME `actor` may not log for (none for the
    system). `mes` maps ME id -> Microenterprise (with leader_id); an unknown ME is left to the
    engine's own error. `message` may name the ME as %(me)s."""
    if actor is None:
        return {}
    allowed: dict[int, bool] = {}
    refused: dict[int, dict[str, list[str]]] = {}
    for index, spec in enumerate(specs):
        me = mes.get(spec.me_id)
        if me is None:
            continue
        if me.pk not in allowed:  # once per distinct ME
            allowed[me.pk] = actor.has_perm("ledger.log_value", me)
        if not allowed[me.pk]:
            refused[index] = {
                "me": [str(message) % {"me": me.code} if "%(me)s" in str(message) else str(message)]
            }
    return refused


def with_refusals(errors: dict, refused: dict) -> dict:
    """The engine's row errors with the permission refusals added (the `me` message first)."""
    merged = {index: dict(fields) for index, fields in errors.items()}
    for index, fields in refused.items():
        row = merged.setdefault(index, {})
        row["me"] = fields["me"] + row.get("me", [])
    return dict(sorted(merged.items()))
