"""The checks every event of a batch passes before it is planned: kind, amount, currency,
user reference, date, and the organization's date rules for its ME and EMC on its day."""

from django.utils.translation import gettext as _

from config.values import TEXT_SHORT, text_problem
from ledger.context import OrgContext, occurred_at_error, user_ref_error
from ledger.models import ValueEvent
from ledger.money import event_max_error
from ledger.posting.specs import EVENT_KINDS, RowErrors, ValueEventSpec
from orgs.currencies import currency_error


def solution_category_error(s: ValueEventSpec, ctx: OrgContext) -> str | None:
    """A payment for a solution is for one of the categories it bundles; a solution that bundles
    none (only older data or the Django admin can make one) restricts nothing. Every entry point
    (one event, the batch API, the CSV import) asks this of the batch's context: no query."""
    bundled = ctx.solution_categories.get(s.solution_id) if s.solution_id else None
    if not bundled or s.category_id not in ctx.categories or s.category_id in bundled:
        return None
    return _("%(solution)s bundles %(categories)s, not %(category)s: choose one of its categories.") % {
        "solution": ctx.solution_names[s.solution_id],
        "categories": ", ".join(sorted(bundled.values())),
        "category": ctx.category_names[s.category_id],
    }


def _payment_refs_check(i, s: ValueEventSpec, ctx: OrgContext, errors: RowErrors) -> None:
    if (s.emc_id, s.scenario_id) not in ctx.emc_scenarios:
        errors.add(i, "scenario", _("This EMC does not serve that scenario."))
    if s.solution_id and ctx.solutions.get(s.solution_id) != s.scenario_id:
        errors.add(i, "solution", _("This solution does not belong to the scenario."))
    if s.category_id not in ctx.categories:
        errors.add(i, "category", _("Choose a category."))
    elif message := solution_category_error(s, ctx):
        errors.add(i, "category", message)
    if len(set(s.partner_ids)) != len(s.partner_ids):
        errors.add(i, "partners", _("A partner is listed twice."))


def spec_check(i, s: ValueEventSpec, on, ctx: OrgContext, now, errors: RowErrors) -> bool:
    """Check the event at index i (its day `on`); False when it cannot be planned."""
    if s.kind not in EVENT_KINDS:
        errors.add(i, "kind", _("Use payment or refund."))
        return False
    if not isinstance(s.amount_minor, int) or s.amount_minor <= 0:
        errors.add(i, "amount", _("The amount must be more than zero."))
    message = currency_error(s.currency)
    if message:
        errors.add(i, "currency", message)
    elif isinstance(s.amount_minor, int) and (too_much := event_max_error(s.amount_minor, s.currency)):
        errors.add(i, "amount", too_much)
    message = text_problem(s.note, max_length=TEXT_SHORT) if isinstance(s.note, str) else _("Give text.")
    if message:
        errors.add(i, "note", message)
    message = user_ref_error(s.user_ref)
    if message:
        errors.add(i, "user_ref", message)
    message = occurred_at_error(s.occurred_at, now=now)
    if message:
        errors.add(i, "occurred_at", message)
        return False
    me = ctx.mes.get(s.me_id)
    if me is None:
        errors.add(i, "me", _("Choose a microenterprise."))
        return False
    if s.emc_id not in ctx.emcs:
        errors.add(i, "emc", _("Choose an EMC."))
        return False
    if not ctx.emc_open_on(s.emc_id, on):
        errors.add(i, "emc", _("The EMC was not active on %(day)s.") % {"day": on})
    elif not ctx.me_in_emc(s.emc_id, s.me_id, on):
        errors.add(i, "emc", _("%(me)s was not a node of this EMC on %(day)s.") % {"me": me.code, "day": on})
    if s.kind == ValueEvent.Kind.PAYMENT:
        _payment_refs_check(i, s, ctx, errors)
    return i not in errors
