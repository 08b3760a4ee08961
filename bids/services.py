"""Writes of the orders for bids: put out, bid, withdraw, award, rate, cancel.

Each owns its transaction, checks the rule (`bids.rules`) when an actor is given, validates with
field-level errors before it writes, and leaves an audit row (orgs.audit). The award, once
bidding has closed, drafts the next contract version through
`ledger.services.contract_draft_create` (if the rebalanced contract does not validate, nothing
is written; see bids/rebalance.py for the rule); the winner joins the EMC through the orgs
services only when a second admin approves that version (`order_winner_seat`, on ledger's
`contract_approving`), from the version's effective date.

`as_of` (the day a step is taken, today by default) is for loaders writing history, such as the
demo; the pages and the API never pass it.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bids import rebalance
from bids.models import Bid, Order
from config.errors import ConflictError
from config.values import TEXT_LONG, text_problem
from ledger import selectors as ledger_selectors
from ledger import services as ledger_services
from ledger.contract_terms import stored_terms
from ledger.models import Contract
from ledger.money import event_max_minor, format_minor, to_minor
from orgs import services as org_services
from orgs.audit import audit_record
from orgs.models import EMC, EMCParticipation, Microenterprise, Partner, Scenario
from orgs.roles import Role, user_roles

QUANTUM = Decimal("0.0001")
TITLE_MAX = 200  # Order.title's column


def _today() -> dt.date:
    return timezone.localdate()


def _require(actor, perm: str, obj=None) -> None:
    if actor is not None and not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You may not do this."))


def _share(value, *, field: str, errors: dict, upper: Decimal = Decimal(100), upper_message=None):
    """A percentage strictly between 0 and `upper` (or at most `upper` with `upper_message`)."""
    try:
        share = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = [_("Give a percentage such as 5 or 7.5.")]
        return None
    if not share.is_finite():
        errors[field] = [_("Give a percentage such as 5 or 7.5.")]
    elif share <= 0 or share >= 100:  # before quantize, which a huge number would overflow
        errors[field] = [_("The share lies strictly between 0 and 100.")]
    elif share != share.quantize(QUANTUM):
        errors[field] = [_("Use at most four decimal places.")]
    elif upper_message is not None and share > upper:
        errors[field] = [upper_message]
    else:
        return share
    return None


def _text(value, *, field: str, errors: dict, max_length: int = TEXT_LONG) -> str:
    """The trimmed text, with a field error if it is too long or holds control characters."""
    text = value.strip() if isinstance(value, str) else ""
    problem = text_problem(text, max_length=max_length, multiline=max_length > TITLE_MAX)
    if problem:
        errors[field] = [problem]
    return text


def _target_max_error(amount_minor: int, currency: str) -> str | None:
    """An order's target (or a bid's commitment) is held to the per-event maximum, said as such."""
    limit = event_max_minor(currency)
    if amount_minor <= limit:
        return None
    return _("A target amount is at most %(max)s %(currency)s.") % {
        "max": format_minor(limit, currency),
        "currency": currency,
    }


def _amount(amount, currency: str, *, field: str, errors: dict) -> int | None:
    if amount in (None, ""):
        return None
    try:
        minor = to_minor(amount, currency, field=field, max_error=_target_max_error)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        return None
    if minor <= 0:
        errors[field] = [_("The amount must be more than zero.")]
        return None
    return minor


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("emc__lead_me").get(pk=order.pk)


# --- put out -------------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    actor,
    emc: EMC,
    scenario: Scenario | None,
    title: str,
    obligations: str,
    share_pct,
    deadline: dt.date | None,
    period_start: dt.date | None,
    period_end: dt.date | None,
    target_amount=None,
    currency: str = "",
    goal: str = "",
    as_of: dt.date | None = None,
) -> Order:
    """Put an EMC's goal out for bids: a target (amount and currency, or a measurable goal, or
    both), the obligations, the share on offer, the bidding deadline and the delivery period."""
    _require(actor, "bids.manage", emc)
    errors: dict[str, list] = {}
    today = as_of or _today()
    title = _text(title, field="title", errors=errors, max_length=TITLE_MAX)
    obligations = _text(obligations, field="obligations", errors=errors)
    goal = _text(goal, field="goal", errors=errors)
    currency = (currency or "").strip().upper()
    if emc.status != EMC.Status.ACTIVE:
        errors["emc"] = [_("Only an active EMC puts orders out.")]
    if not title and "title" not in errors:
        errors["title"] = [_("A title is required.")]
    if not obligations and "obligations" not in errors:
        errors["obligations"] = [_("Say what the winner must do.")]
    if scenario is None:
        errors["scenario"] = [_("Choose a scenario.")]
    elif not emc.scenarios.filter(pk=scenario.pk).exists():
        errors["scenario"] = [
            _("%(s)s is not a scenario of %(emc)s.") % {"s": scenario.name, "emc": emc.code}
        ]
    share = _share(share_pct, field="share_pct", errors=errors)
    target_minor = None
    if target_amount not in (None, ""):
        if not currency:
            errors["currency"] = [_("Give the currency of the target amount.")]
        else:
            target_minor = _amount(target_amount, currency, field="target_amount", errors=errors)
    elif currency:
        currency = ""  # a currency without an amount says nothing
    if target_amount in (None, "") and not goal and "goal" not in errors:
        errors["goal"] = [_("Give a target amount, a measurable goal, or both.")]
    if deadline is None:
        errors["deadline"] = [_("Give the bidding deadline.")]
    elif deadline <= today:
        errors["deadline"] = [_("The bidding deadline must be in the future.")]
    if period_start is None:
        errors["period_start"] = [_("Give the first day of the delivery period.")]
    elif deadline is not None and period_start <= deadline:
        errors["period_start"] = [_("The delivery period starts after the bidding deadline.")]
    if period_end is None:
        errors["period_end"] = [_("Give the last day of the delivery period.")]
    elif period_start is not None and period_end < period_start:
        errors["period_end"] = [_("The delivery period cannot end before it starts.")]
    if errors:
        raise ValidationError(errors)
    order = Order.objects.create(
        emc=emc,
        scenario=scenario,
        title=title,
        target_minor=target_minor,
        currency=currency if target_minor is not None else "",
        goal=goal,
        obligations=obligations,
        share_pct=share,
        deadline=deadline,
        period_start=period_start,
        period_end=period_end,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(
        actor=actor,
        action="bids.order_create",
        target=order,
        changes={
            "emc": emc.code,
            "scenario": scenario.code,
            "share_pct": str(share),
            "deadline": deadline.isoformat(),
            "period": [period_start.isoformat(), period_end.isoformat()],
        },
    )
    return order


@transaction.atomic
def order_cancel(*, actor, order: Order, reason: str) -> Order:
    """Cancel an open order: its live bids are closed (kept, for the record)."""
    order = _lock(order)
    _require(actor, "bids.manage", order)
    errors: dict[str, list] = {}
    reason = _text(reason, field="reason", errors=errors)
    if not reason and not errors:
        errors["reason"] = [_("A reason is required.")]
    if errors:
        raise ValidationError(errors)
    if order.status != Order.Status.OPEN:
        raise ConflictError({"status": _("Only an open order can be cancelled.")})
    Order.objects.filter(pk=order.pk, status=Order.Status.OPEN).update(
        status=Order.Status.CANCELLED, closed_reason=reason
    )
    closed = Bid.objects.filter(order=order, status=Bid.Status.LIVE).update(status=Bid.Status.CLOSED)
    order.refresh_from_db()
    audit_record(
        actor=actor,
        action="bids.order_cancel",
        target=order,
        reason=reason,
        changes={"status": [Order.Status.OPEN, Order.Status.CANCELLED], "bids_closed": closed},
    )
    return order


# --- bid -----------------------------------------------------------------------------------


@transaction.atomic
def bid_place(
    *,
    actor,
    order: Order,
    me: Microenterprise | None = None,
    partner: Partner | None = None,
    asked_share_pct,
    commitment: str = "",
    target_amount=None,
    as_of: dt.date | None = None,
) -> Bid:
    """Bid on an open order before its deadline, for a live ME or an active partner."""
    order = _lock(order)
    if (me is None) == (partner is None):
        raise ValidationError({"bidder": _("Bid for one ME or one partner.")})
    bidder = me or partner
    _require(actor, "bids.bid", bidder)
    if order.status != Order.Status.OPEN:
        raise ConflictError(
            {"order": _("This order is %(s)s; it takes no more bids.") % {"s": order.get_status_display()}}
        )
    if (as_of or _today()) > order.deadline:
        raise ConflictError({"order": _("Bidding closed on %(day)s.") % {"day": order.deadline.isoformat()}})
    errors: dict[str, list] = {}
    if me is not None and not me.is_live:
        errors["bidder"] = [
            _("ME %(code)s is %(s)s and cannot bid.") % {"code": me.code, "s": me.get_status_display()}
        ]
    if partner is not None and partner.state != Partner.State.ACTIVE:
        errors["bidder"] = [
            _("%(p)s is %(s)s; only active partners may bid.")
            % {"p": partner.name, "s": partner.get_state_display()}
        ]
    share = _share(
        asked_share_pct,
        field="asked_share_pct",
        errors=errors,
        upper=order.share_pct,
        upper_message=_("At most the share on offer (%(s)s%%).") % {"s": order.share_pct.normalize()},
    )
    commitment = _text(commitment, field="commitment", errors=errors)
    target_minor = None
    if target_amount not in (None, ""):
        if not order.currency:
            errors["target_amount"] = [_("This order has no target amount; state the commitment in words.")]
        else:
            target_minor = _amount(target_amount, order.currency, field="target_amount", errors=errors)
    if not commitment and target_amount in (None, "") and "commitment" not in errors:
        errors["commitment"] = [_("Say what you commit to (in words, as an amount, or both).")]
    if errors:
        raise ValidationError(errors)
    live = Bid.objects.filter(order=order).exclude(status=Bid.Status.WITHDRAWN)
    if live.filter(me=me, partner=partner).exists():
        raise ConflictError({"bidder": _("%(b)s already has a live bid on this order.") % {"b": bidder.name}})
    try:
        with transaction.atomic():
            bid = Bid.objects.create(
                order=order,
                me=me,
                partner=partner,
                commitment=commitment,
                target_minor=target_minor,
                asked_share_pct=share,
                placed_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:  # a concurrent bid of the same bidder won the race
        raise ConflictError(
            {"bidder": _("%(b)s already has a live bid on this order.") % {"b": bidder.name}}
        ) from None
    audit_record(
        actor=actor,
        action="bids.bid_place",
        target=order,
        changes={"bidder": bidder.code, "asked_share_pct": str(share)},
    )
    return bid


@transaction.atomic
def bid_withdraw(*, actor, bid: Bid) -> Bid:
    """Withdraw a live bid while its order is open (the bidder may bid again)."""
    bid = Bid.objects.select_for_update(of=("self",)).select_related("order", "me", "partner").get(pk=bid.pk)
    _require(actor, "bids.bid", bid.bidder)
    if bid.status != Bid.Status.LIVE or bid.order.status != Order.Status.OPEN:
        raise ConflictError({"bid": _("Only a live bid on an open order can be withdrawn.")})
    Bid.objects.filter(pk=bid.pk, status=Bid.Status.LIVE).update(status=Bid.Status.WITHDRAWN)
    bid.refresh_from_db()
    audit_record(
        actor=actor,
        action="bids.bid_withdraw",
        target=bid.order,
        changes={"bidder": bid.bidder_code, "status": [Bid.Status.LIVE, Bid.Status.WITHDRAWN]},
    )
    return bid


# --- award ---------------------------------------------------------------------------------


def _base_contract(emc: EMC, on: dt.date) -> Contract:
    """The contract the new version starts from: the one in force on `on`, else the newest approved."""
    base = ledger_selectors.contract_in_force(emc=emc, on=on) or (
        Contract.objects.filter(emc=emc, status=Contract.Status.APPROVED)
        .order_by("-effective_from", "-version")
        .first()
    )
    if base is None:
        raise ConflictError(
            {"contract": _("%(emc)s has no approved contract to rebalance.") % {"emc": emc.code}}
        )
    return base


def _seat_obligations(order: Order, bid: Bid) -> str:
    return "\n".join(part for part in (order.obligations, bid.commitment) if part)


def _join_me(*, actor, order: Order, bid: Bid, share: Decimal, on: dt.date) -> None:
    """Seat the winning ME with the order's obligations; the other seat weights rebalanced."""
    seats = {node.me.code: node for node in order.emc.nodes.filter(left_on__isnull=True).select_related("me")}
    weights = rebalance.with_winner(
        {code: node.share_weight for code, node in seats.items()}, winner=bid.me.code, share=share
    )
    by_code = {code: node.me for code, node in seats.items()} | {bid.me.code: bid.me}
    org_services.emc_nodes_set(
        emc=order.emc,
        actor=actor,
        nodes=[
            {
                "me": by_code[code],
                "share_weight": weight,
                "obligations": _seat_obligations(order, bid)
                if code == bid.me.code
                else seats[code].obligations,
            }
            for code, weight in sorted(weights.items())
        ],
        on=on,
        reason=_("Awarded order %(id)s") % {"id": order.pk},
    )


def _join_partner(*, actor, order: Order, bid: Bid, on: dt.date) -> None:
    if EMCParticipation.objects.filter(emc=order.emc, partner=bid.partner, ended_on__isnull=True).exists():
        return  # already takes part: only its contract share changes
    org_services.emc_partner_join(
        emc=order.emc,
        partner=bid.partner,
        actor=actor,
        on=on,
        note=_seat_obligations(order, bid)[:255],
        reason=_("Awarded order %(id)s") % {"id": order.pk},
    )


def _rebalanced_terms(base: Contract, bid: Bid, share: Decimal) -> dict:
    terms = stored_terms(base)
    if bid.me_id:
        by_code = {s["me"].code: s["me"] for s in terms["node_shares"]} | {bid.me.code: bid.me}
        shares = rebalance.with_winner(
            {s["me"].code: s["share_pct"] for s in terms["node_shares"]}, winner=bid.me.code, share=share
        )
        terms["node_shares"] = [{"me": by_code[c], "share_pct": s} for c, s in sorted(shares.items())]
    else:
        by_code = {s["partner"].code: s["partner"] for s in terms["partner_shares"]} | {
            bid.partner.code: bid.partner
        }
        shares = rebalance.partners_with_winner(
            {s["partner"].code: s["share_pct"] for s in terms["partner_shares"]},
            winner=bid.partner.code,
            share=share,
            fee=base.platform_fee_pct,
        )
        terms["partner_shares"] = [{"partner": by_code[c], "share_pct": s} for c, s in sorted(shares.items())]
    return terms


def _not_own_bid(actor, bid: Bid) -> None:
    """The leader of the bidding ME neither awards nor rates its own bid (an admin may)."""
    if bid.me_id and bid.me.leader_id == actor.pk and Role.PLATFORM_ADMIN not in user_roles(actor):
        raise PermissionDenied(_("You lead the ME that bid: an admin or another lead decides."))


@transaction.atomic
def order_award(*, actor, order: Order, bid: Bid, reason: str = "", as_of: dt.date | None = None) -> Order:
    """Award `bid` after the bidding deadline: a draft contract version gives the winner the
    asked share with the other shares rebalanced (bids/rebalance.py), and the other bids are not
    chosen. All or nothing. The winner joins the EMC (a node seat or a participation) with the
    order's obligations when a second admin approves that version (`order_winner_seat`)."""
    order = _lock(order)
    _require(actor, "bids.manage", order)
    errors: dict[str, list] = {}
    reason = _text(reason, field="reason", errors=errors)
    if errors:
        raise ValidationError(errors)
    if order.status != Order.Status.OPEN:
        raise ConflictError(
            {
                "order": _("Only an open order can be awarded; this one is %(s)s.")
                % {"s": order.get_status_display()}
            }
        )
    today = as_of or _today()
    if today <= order.deadline:  # bids are taken until the end of the deadline day
        raise ConflictError(
            {
                "order": _("Bidding runs until %(day)s: award the order after the deadline.")
                % {"day": order.deadline.isoformat()}
            }
        )
    bid = (
        Bid.objects.select_for_update(of=("self",))
        .select_related("me", "partner")
        .filter(pk=bid.pk, order=order)
        .first()
    )
    if bid is None or bid.status != Bid.Status.LIVE:
        raise ConflictError({"bid": _("Choose a live bid of this order.")})
    if bid.partner_id and bid.partner.state != Partner.State.ACTIVE:
        raise ConflictError({"bid": _("%(p)s is no longer active.") % {"p": bid.partner.name}})
    if bid.me_id and not bid.me.is_live:
        raise ConflictError({"bid": _("ME %(code)s is no longer live.") % {"code": bid.me.code}})
    _not_own_bid(actor, bid)
    waiting = Contract.objects.filter(emc=order.emc, status=Contract.Status.DRAFT).order_by("version").first()
    if waiting is not None:
        # the award's version builds on the approved one: a draft waiting would be overwritten
        raise ConflictError(
            {
                "order": _(
                    "EMC %(emc)s has contract version %(v)s waiting for approval: approve or "
                    "withdraw it first, so this award builds on it."
                )
                % {"emc": order.emc.code, "v": waiting.version}
            }
        )
    effective_from = max(order.period_start, today)
    base = _base_contract(order.emc, effective_from)
    share = bid.asked_share_pct
    terms = _rebalanced_terms(base, bid, share)
    terms.pop("emc")
    try:
        contract = ledger_services.contract_draft_create(
            actor=actor,
            emc=order.emc,
            effective_from=effective_from,
            joining_mes=[bid.me] if bid.me_id else [],
            notes=_("Order %(id)s awarded to %(b)s (from version %(v)s).")
            % {"id": order.pk, "b": bid.bidder_code, "v": base.version},
            **terms,
        )
    except ValidationError as exc:
        messages = (
            [m for ms in exc.message_dict.values() for m in ms]
            if hasattr(exc, "error_dict")
            else exc.messages
        )
        raise ValidationError(
            {"contract": [_("The rebalanced contract does not validate: %(e)s") % {"e": " ".join(messages)}]}
        ) from exc
    Bid.objects.filter(pk=bid.pk).update(status=Bid.Status.WON)
    Bid.objects.filter(order=order, status=Bid.Status.LIVE).exclude(pk=bid.pk).update(status=Bid.Status.LOST)
    Order.objects.filter(pk=order.pk, status=Order.Status.OPEN).update(
        status=Order.Status.AWARDED, awarded_at=timezone.now(), contract=contract
    )
    order.refresh_from_db()
    audit_record(
        actor=actor,
        action="bids.order_award",
        target=order,
        reason=reason,
        changes={
            "status": [Order.Status.OPEN, Order.Status.AWARDED],
            "winner": bid.bidder_code,
            "share_pct": str(share),
            "contract": f"{order.emc.code} v{contract.version}",
        },
    )
    return order


@transaction.atomic
def order_winner_seat(*, actor, contract: Contract) -> Order | None:
    """Seat the winner of the order whose award drafted `contract`, from the version's effective
    date, as that version is approved (ledger's `contract_approving`): an ME takes a node seat
    with the order's obligations (the other seat weights rebalanced), a partner starts taking
    part. None when no award drafted this version. A refusal (the EMC ended, the winner no
    longer live, a seat changed after that date) refuses the approval."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("emc__lead_me")
        .filter(contract=contract, status__in=[Order.Status.AWARDED, Order.Status.RATED])
        .first()
    )
    if order is None:
        return None
    bid = Bid.objects.select_related("me", "partner").get(order=order, status=Bid.Status.WON)
    on = contract.effective_from
    if bid.me_id:
        _join_me(actor=actor, order=order, bid=bid, share=bid.asked_share_pct, on=on)
    else:
        _join_partner(actor=actor, order=order, bid=bid, on=on)
    audit_record(
        actor=actor,
        action="bids.winner_seat",
        target=order,
        changes={"winner": bid.bidder_code, "from": on.isoformat(), "contract": f"v{contract.version}"},
    )
    return order


# --- rate ----------------------------------------------------------------------------------


@transaction.atomic
def order_rate(*, actor, order: Order, stars, note: str, as_of: dt.date | None = None) -> Order:
    """Rate the delivery of an awarded order against the commitment, after its period: 1-5 stars."""
    order = _lock(order)
    _require(actor, "bids.manage", order)
    if order.status != Order.Status.AWARDED:
        raise ConflictError(
            {
                "order": _("Only an awarded order is rated; this one is %(s)s.")
                % {"s": order.get_status_display()}
            }
        )
    winner = Bid.objects.select_related("me").filter(order=order, status=Bid.Status.WON).first()
    if winner is not None:
        _not_own_bid(actor, winner)
    if (as_of or _today()) <= order.period_end:
        raise ConflictError(
            {
                "order": _("The delivery period runs until %(day)s; rate it afterwards.")
                % {"day": order.period_end.isoformat()}
            }
        )
    errors = {}
    try:
        stars = int(str(stars).strip())
    except (TypeError, ValueError):
        stars = None
    if stars is None or not 1 <= stars <= 5:
        errors["stars"] = [_("Give 1 to 5 stars.")]
    note = _text(note, field="note", errors=errors)
    if not note and "note" not in errors:
        errors["note"] = [_("Say how the delivery compares with the commitment.")]
    if errors:
        raise ValidationError(errors)
    Order.objects.filter(pk=order.pk, status=Order.Status.AWARDED).update(
        status=Order.Status.RATED,
        stars=stars,
        rating_note=note,
        rated_by=actor if actor is not None and actor.is_authenticated else None,
        rated_at=timezone.now(),
    )
    order.refresh_from_db()
    audit_record(
        actor=actor,
        action="bids.order_rate",
        target=order,
        reason=note,
        changes={"status": [Order.Status.AWARDED, Order.Status.RATED], "stars": stars},
    )
    return order
