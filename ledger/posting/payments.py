"""Payments: the contract in force on the payment's day, and its split by that contract."""

from django.utils.translation import gettext as _

from ledger.posting.specs import Plan, RowErrors, ValueEventSpec
from ledger.posting.terms import Terms, terms_in_force, terms_load


def _bad_terms_message(terms: Terms, ctx, exc: Exception) -> str:
    emc = ctx.emcs.get(terms.emc_id, {}).get("code", terms.emc_id)
    return _(
        "Contract v%(version)s of EMC %(emc)s cannot split this payment (%(error)s); "
        "approve a corrected contract version."
    ) % {"version": terms.version, "emc": emc, "error": exc}


def _node_ended_message(terms: Terms, ctx, me_code: str) -> str:
    emc = ctx.emcs.get(terms.emc_id, {}).get("code", terms.emc_id)
    return _(
        "Contract v%(version)s of EMC %(emc)s gives a node share to ME %(me)s, which is no longer "
        "active; approve a new contract version."
    ) % {"version": terms.version, "emc": emc, "me": me_code}


def _terms_check(i, s: ValueEventSpec, on, terms: Terms, ctx, errors: RowErrors) -> None:
    """The contract's currency, its node MEs still live, the partners creditable with a share."""
    if terms.currency != s.currency:
        errors.add(
            i,
            "currency",
            _("The contract in force is in %(contract)s, not %(given)s (no conversion).")
            % {"contract": terms.currency, "given": s.currency},
        )
    if ctx.ended_mes:  # a node ME of the contract was split, merged or dissolved
        for node_me_id, _pct in terms.node_pcts:
            ended_code = ctx.me_ended_by(node_me_id, on)
            if ended_code is not None:
                errors.add(i, "emc", _node_ended_message(terms, ctx, ended_code))
    for partner_id in s.partner_ids:
        name = ctx.partners.get(partner_id, {}).get("name", partner_id)
        if not ctx.partner_creditable(s.emc_id, partner_id, on):
            errors.add(
                i, "partners", _("%(p)s was not active in this EMC on %(day)s.") % {"p": name, "day": on}
            )
        elif partner_id not in terms.partner_pcts:
            errors.add(i, "partners", _("%(p)s has no share in the contract in force.") % {"p": name})


def terms_on(emc_id: int, on) -> Terms | None:
    """The terms of the EMC's contract in force on `on`, as the engine loads them (three
    queries): `terms.splitter.split(amount_minor, partner_ids)` is the split a payment posts,
    which the log form previews."""
    return terms_in_force(terms_load(emc_ids={emc_id}, until=on).get(emc_id), on)


def payment_plan(i, s: ValueEventSpec, on, ctx, all_terms: dict, errors: RowErrors) -> Plan | None:
    """The plan of the payment at index i: split by the contract in force on `on`, or None
    with a row error."""
    terms = terms_in_force(all_terms.get(s.emc_id), on)
    if terms is None:
        errors.add(i, "emc", _("No approved contract of this EMC is in force on %(day)s.") % {"day": on})
        return None
    _terms_check(i, s, on, terms, ctx, errors)
    if i in errors:
        return None
    try:
        # allocation.split_payment, with the terms prepared once per contract
        parts = terms.splitter.split(s.amount_minor, s.partner_ids)
    except ValueError as exc:  # terms the split cannot apply: a clear error, never a 500
        errors.add(i, "emc", _bad_terms_message(terms, ctx, exc))
        return None
    return Plan(s, on, terms.contract_id, parts, tuple(sorted(s.partner_ids)))
