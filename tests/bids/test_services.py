"""Orders put out, bid on, awarded (the winner joins, a draft contract rebalanced) and rated."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bids import selectors, services
from bids.models import Bid, Order
from config.errors import ConflictError
from ledger import services as ledger_services
from ledger.contract_terms import stored_terms
from ledger.models import Contract
from orgs.audit import audit_for
from orgs.models import AuditEntry, EMCNode, EMCParticipation, Partner
from tests.bids.conftest import days, order_terms
from tests.factories import UserFactory


def _open_seats(emc):
    return {
        n.me.code: n.share_weight
        for n in EMCNode.objects.filter(emc=emc, left_on__isnull=True).select_related("me")
    }


def test_the_emc_lead_puts_an_order_out(world):
    order = services.order_create(actor=world.lead, **order_terms(world))
    assert (order.status, order.share_pct, order.target_minor, order.currency) == (
        "open",
        D("12.5"),
        5_000_000,
        "CNY",
    )
    assert audit_for(order).filter(action="bids.order_create", actor=world.lead).exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"share_pct": "0"}, "share_pct"),
        ({"share_pct": "100"}, "share_pct"),
        ({"share_pct": "abc"}, "share_pct"),
        ({"share_pct": "1e30"}, "share_pct"),  # past quantize's range (it answered 500)
        ({"share_pct": "1.23456"}, "share_pct"),
        ({"deadline": days(0), "period_start": days(1)}, "deadline"),
        ({"period_start": days(7)}, "period_start"),
        ({"period_end": days(7)}, "period_end"),
        ({"title": "  "}, "title"),
        ({"obligations": ""}, "obligations"),
        ({"target_amount": "", "goal": ""}, "goal"),
        ({"target_amount": "-5"}, "target_amount"),
        ({"target_amount": "10.001"}, "target_amount"),
        ({"currency": ""}, "currency"),
        ({"scenario": None}, "scenario"),
        ({"title": "t" * 201}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"goal": "g" * 2001}, "goal"),
        ({"obligations": "o\x01\x02"}, "obligations"),
        ({"obligations": "o\x00"}, "obligations"),
    ],
)
def test_bad_orders_are_refused_by_field_and_write_nothing(world, override, field):
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.order_create(actor=world.lead, **order_terms(world, **override))
    assert field in exc.value.message_dict
    assert Order.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_a_target_over_the_maximum_is_said_of_the_order(world):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.order_create(actor=world.lead, **order_terms(world, target_amount="999999999999999999999"))
    (message,) = exc.value.message_dict["target_amount"]
    assert message.startswith("A target amount is at most 100000000.00 CNY")
    assert "event" not in message
    assert Order.objects.count() == 0


def test_a_scenario_of_another_emc_is_refused(world):
    from tests.factories import ScenarioFactory

    with pytest.raises(ValidationError) as exc:
        services.order_create(
            actor=world.lead, **order_terms(world, scenario=ScenarioFactory(name="Kitchen"))
        )
    assert "Kitchen is not a scenario of balcony-emc." in exc.value.message_dict["scenario"]


def test_only_the_lead_or_an_admin_puts_an_order_out(world):
    with pytest.raises(PermissionDenied):
        services.order_create(actor=world.bidder, **order_terms(world))
    services.order_create(actor=world.admin, **order_terms(world))
    assert Order.objects.count() == 1


def test_an_me_and_an_active_partner_bid(world, order):
    me_bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="12.5", commitment="200 dryers"
    )
    firm_bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", target_amount="60000"
    )
    assert (me_bid.status, firm_bid.target_minor) == ("live", 6_000_000)
    assert audit_for(order).filter(action="bids.bid_place").count() == 2


def test_one_live_bid_per_bidder_a_withdrawn_one_may_be_followed(world, order):
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    with pytest.raises(ConflictError) as exc:
        services.bid_place(
            actor=world.bidder, order=order, me=world.me_d, asked_share_pct="9", commitment="y"
        )
    assert "bidder" in exc.value.message_dict
    services.bid_withdraw(actor=world.bidder, bid=bid)
    services.bid_place(actor=world.bidder, order=order, me=world.me_d, asked_share_pct="9", commitment="y")
    assert list(Bid.objects.values_list("status", flat=True).order_by("id")) == ["withdrawn", "live"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"asked_share_pct": "13"}, "asked_share_pct"),
        ({"asked_share_pct": "0"}, "asked_share_pct"),
        ({"asked_share_pct": "5", "commitment": ""}, "commitment"),
        ({"asked_share_pct": "5", "commitment": "x", "target_amount": "0"}, "target_amount"),
        ({"asked_share_pct": "5", "commitment": "c" * 2001}, "commitment"),
        ({"asked_share_pct": "5", "commitment": "c\x07"}, "commitment"),
    ],
)
def test_bad_bids_are_refused_by_field(world, order, kwargs, field):
    kwargs = {"commitment": "200 dryers"} | kwargs
    with pytest.raises(ValidationError) as exc:
        services.bid_place(actor=world.bidder, order=order, me=world.me_d, **kwargs)
    assert field in exc.value.message_dict
    assert Bid.objects.count() == 0


@pytest.mark.parametrize("state", [Partner.State.PROBATION, Partner.State.ON_WATCH, Partner.State.PHASED_OUT])
def test_only_active_partners_bid(world, order, state):
    Partner.objects.filter(pk=world.p2.pk).update(state=state)
    world.p2.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.bid_place(
            actor=world.firm, order=order, partner=world.p2, asked_share_pct="5", commitment="x"
        )
    assert "only active partners may bid" in exc.value.message_dict["bidder"][0]
    assert Bid.objects.count() == 0


def test_bids_after_the_deadline_or_on_a_closed_order_are_refused(world, order, monkeypatch):
    monkeypatch.setattr(services, "_today", lambda: days(8))
    with pytest.raises(ConflictError) as exc:
        services.bid_place(
            actor=world.bidder, order=order, me=world.me_d, asked_share_pct="5", commitment="x"
        )
    assert "order" in exc.value.message_dict
    monkeypatch.undo()
    services.order_cancel(actor=world.lead, order=order, reason="Goal dropped")
    with pytest.raises(ConflictError):
        services.bid_place(
            actor=world.bidder, order=order, me=world.me_d, asked_share_pct="5", commitment="x"
        )
    assert Bid.objects.count() == 0


def test_a_user_bids_only_for_its_own_me_or_partner(world, order):
    with pytest.raises(PermissionDenied):
        services.bid_place(actor=world.lead, order=order, me=world.me_d, asked_share_pct="5", commitment="x")
    with pytest.raises(PermissionDenied):
        services.bid_place(
            actor=world.firm, order=order, partner=world.p1, asked_share_pct="5", commitment="x"
        )
    services.bid_place(actor=world.admin, order=order, partner=world.p1, asked_share_pct="5", commitment="x")


def test_awarding_an_me_drafts_a_rebalanced_contract_and_its_approval_seats_it(world, order):
    won = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="12.5", commitment="200 dryers"
    )
    lost = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150 dryers"
    )
    seats = _open_seats(world.emc)
    order = services.order_award(actor=world.lead, order=order, bid=won, as_of=days(8))

    assert order.status == "awarded"
    won.refresh_from_db(), lost.refresh_from_db()
    assert (won.status, lost.status) == ("won", "lost")
    # L 50, A 30, B 20 x 87.5/100 and D 12.5
    expected = {"l-me": D("43.75"), "a-me": D("26.25"), "b-me": D("17.5"), "d-me": D("12.5")}
    draft = order.contract
    assert (draft.status, draft.version, draft.effective_from, draft.created_by) == (
        "draft",
        2,
        days(8),
        world.lead,
    )
    assert {s.me.code: s.share_pct for s in draft.node_shares.all()} == expected
    assert {s.partner.code: s.share_pct for s in draft.partner_shares.all()} == {"p1": D(10)}
    assert (draft.platform_fee_pct, draft.target_minor) == (D(5), 10_000_000)
    assert audit_for(order).filter(action="bids.order_award", actor=world.lead).exists()
    # the version waits for a second admin: the winner is not seated yet, the seats unchanged
    assert _open_seats(world.emc) == seats
    assert not EMCNode.objects.filter(emc=world.emc, me=world.me_d).exists()

    assert ledger_services.contract_approve(actor=world.admin, contract=draft).status == "approved"
    assert _open_seats(world.emc) == expected
    seat = EMCNode.objects.get(emc=world.emc, me=world.me_d, left_on__isnull=True)
    assert seat.obligations == "Deliver and install 200 heat-pump dryers\n200 dryers"
    assert seat.joined_on == draft.effective_from == days(8)  # from the version's effective date
    assert audit_for(world.emc).filter(action="emc.nodes_set", actor=world.admin).exists()
    assert audit_for(order).filter(action="bids.winner_seat", actor=world.admin).exists()


def test_a_withdrawn_award_version_never_seats_the_winner(world, order):
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150 dryers"
    )
    order = services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    assert not EMCParticipation.objects.filter(emc=world.emc, partner=world.p2).exists()
    ledger_services.contract_withdraw(actor=world.admin, contract=order.contract, reason="Share too high")
    assert not EMCParticipation.objects.filter(emc=world.emc, partner=world.p2).exists()


def test_an_approval_the_winner_cannot_be_seated_by_is_refused_and_writes_nothing(world, order):
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150 dryers"
    )
    order = services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    Partner.objects.filter(pk=world.p2.pk).update(state=Partner.State.PHASED_OUT)  # meanwhile
    audits = AuditEntry.objects.count()
    with pytest.raises(ConflictError) as exc:
        ledger_services.contract_approve(actor=world.admin, contract=order.contract)
    assert "partner" in exc.value.message_dict
    assert Contract.objects.get(pk=order.contract_id).status == "draft"
    assert not EMCParticipation.objects.filter(emc=world.emc, partner=world.p2).exists()
    assert AuditEntry.objects.count() == audits


def test_an_approval_of_a_version_no_award_drafted_seats_nobody(world):
    seats = _open_seats(world.emc)
    draft = ledger_services.contract_draft_create(
        actor=world.admin, **(stored_terms(world.contract) | {"effective_from": days(30)})
    )
    ledger_services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=draft)
    assert _open_seats(world.emc) == seats


@pytest.mark.parametrize("on", [-1, 0])  # before the deadline, and on its day (bids still come)
def test_an_award_before_bidding_closes_is_refused_and_writes_nothing(world, order, on):
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    audits = AuditEntry.objects.count()
    with pytest.raises(ConflictError) as exc:
        services.order_award(actor=world.lead, order=order, bid=bid, as_of=order.deadline + dt.timedelta(on))
    assert exc.value.message_dict["order"] == [
        f"Bidding runs until {order.deadline.isoformat()}: award the order after the deadline."
    ]
    order.refresh_from_db(), bid.refresh_from_db()
    assert (order.status, bid.status, Contract.objects.count()) == ("open", "live", 1)
    assert AuditEntry.objects.count() == audits


def test_cancelling_an_order_closes_its_live_bids(world, order):
    live = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    withdrawn = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="y"
    )
    services.bid_withdraw(actor=world.firm, bid=withdrawn)
    services.order_cancel(actor=world.lead, order=order, reason="Goal dropped")
    live.refresh_from_db(), withdrawn.refresh_from_db()
    assert (live.status, withdrawn.status) == ("closed", "withdrawn")
    assert live.get_status_display() == "Closed: order cancelled"
    entry = audit_for(order).get(action="bids.order_cancel")
    assert entry.changes["bids_closed"] == 1
    with pytest.raises(ConflictError):  # a closed bid is not withdrawn
        services.bid_withdraw(actor=world.bidder, bid=live)


def test_awarding_a_partner_makes_it_take_part_with_its_share_once_approved(world, order):
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150 dryers"
    )
    order = services.order_award(actor=world.admin, order=order, bid=bid, as_of=days(8))
    taking_part = EMCParticipation.objects.filter(emc=world.emc, partner=world.p2, ended_on__isnull=True)
    assert not taking_part.exists()
    ledger_services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=order.contract)
    assert taking_part.get().started_on == days(8)
    assert {s.partner.code: s.share_pct for s in order.contract.partner_shares.all()} == {
        "p1": D(10),
        "p2": D(8),
    }
    assert {s.me.code: s.share_pct for s in order.contract.node_shares.all()} == {
        "l-me": D(50),
        "a-me": D(30),
        "b-me": D(20),
    }


def test_an_award_whose_contract_does_not_validate_writes_nothing(world):
    # fee 5% + a partner share of 96% exceed 100%: the draft is refused, the partner does not join
    order = services.order_create(actor=world.lead, **order_terms(world, share_pct="99"))
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="96", commitment="x"
    )
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    assert "platform fee and partner shares together exceed 100%" in exc.value.message_dict["contract"][0]
    order.refresh_from_db(), bid.refresh_from_db()
    assert (order.status, bid.status, Contract.objects.count()) == ("open", "live", 1)
    assert not EMCParticipation.objects.filter(partner=world.p2).exists()
    assert AuditEntry.objects.count() == audits


def test_an_award_to_an_me_refused_by_the_seats_writes_nothing(world, order):
    # node B was dissolved meanwhile: its seat cannot be rebalanced
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    world.node_b.__class__.objects.filter(pk=world.node_b.pk).update(status="dissolved")
    audits, seats = AuditEntry.objects.count(), _open_seats(world.emc)
    with pytest.raises(ValidationError):
        services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    order.refresh_from_db()
    assert order.status == "open" and Contract.objects.count() == 1
    assert _open_seats(world.emc) == seats and AuditEntry.objects.count() == audits


def test_an_emc_without_an_approved_contract_cannot_award(world, order):
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    Contract.objects.update(status="withdrawn")
    with pytest.raises(ConflictError) as exc:
        services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    assert "contract" in exc.value.message_dict
    assert _open_seats(world.emc)["l-me"] == 50


def test_another_leader_may_not_award(world, order):
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="10", commitment="x"
    )
    with pytest.raises(PermissionDenied):
        services.order_award(actor=world.bidder, order=order, bid=bid, as_of=days(8))


def test_the_delivery_is_rated_after_its_period_and_shown_with_later_bids(world, order, monkeypatch):
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150 dryers"
    )
    services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    with pytest.raises(ConflictError):  # the period runs
        services.order_rate(actor=world.lead, order=order, stars=4, note="Good")
    monkeypatch.setattr(services, "_today", lambda: days(99))
    for bad, field in (
        ({"stars": 6, "note": "x"}, "stars"),
        ({"stars": "x", "note": "x"}, "stars"),
        ({"stars": 3, "note": ""}, "note"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.order_rate(actor=world.lead, order=order, **bad)
        assert field in exc.value.message_dict
    services.order_rate(actor=world.lead, order=order, stars=4, note="150 installed, two late")
    order.refresh_from_db()
    assert (order.status, order.stars, order.rated_by) == ("rated", 4, world.lead)
    assert audit_for(order).filter(action="bids.order_rate").exists()

    # a second rated delivery of P2 with 3 stars: mean (4 + 3) / 2 = 3.5 over 2 (the first
    # award's version approved first: an award builds on the approved one)
    monkeypatch.undo()
    ledger_services.contract_approve(actor=world.admin, contract=order.contract)
    second = services.order_create(actor=world.lead, **order_terms(world, title="Second"))
    bid2 = services.bid_place(
        actor=world.firm, order=second, partner=world.p2, asked_share_pct="5", commitment="x"
    )
    second = services.order_award(actor=world.lead, order=second, bid=bid2, as_of=days(8))
    ledger_services.contract_approve(actor=world.admin, contract=second.contract)
    monkeypatch.setattr(services, "_today", lambda: days(99))
    services.order_rate(actor=world.lead, order=second, stars=3, note="Late")
    monkeypatch.undo()
    third = services.order_create(actor=world.lead, **order_terms(world, title="Third"))
    services.bid_place(actor=world.firm, order=third, partner=world.p2, asked_share_pct="5", commitment="x")
    services.bid_place(actor=world.bidder, order=third, me=world.me_d, asked_share_pct="5", commitment="x")
    records = {b.bidder_code: b.record for b in selectors.order_bids(order=third)}
    assert records == {"p2": {"mean": 3.5, "count": 2}, "d-me": None}


def test_the_database_holds_one_live_bid_per_bidder_and_one_bidder_per_bid(world, order):
    from django.db import IntegrityError, transaction

    Bid.objects.create(order=order, me=world.me_d, asked_share_pct=5, status="withdrawn")
    Bid.objects.create(order=order, me=world.me_d, asked_share_pct=5)
    for kwargs in (
        {"me": world.me_d},  # a second live bid of the same ME
        {"me": world.me_d, "partner": world.p2},  # two bidders
        {"partner": world.p2, "asked_share_pct": 100},  # share out of range
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Bid.objects.create(order=order, **({"asked_share_pct": 5} | kwargs))
    assert Bid.objects.count() == 2


def test_an_award_waits_for_the_emc_s_pending_version_and_writes_nothing(world, order):
    bid = services.bid_place(
        actor=world.firm, order=order, partner=world.p2, asked_share_pct="8", commitment="150 dryers"
    )
    # its draft waits for approval
    services.order_award(actor=world.lead, order=order, bid=bid, as_of=days(8))
    second = services.order_create(actor=world.lead, **order_terms(world, title="Second"))
    bid2 = services.bid_place(
        actor=world.bidder, order=second, me=world.me_d, asked_share_pct="5", commitment="x"
    )
    seats, drafts = EMCNode.objects.count(), Contract.objects.filter(status="draft").count()
    with pytest.raises(ConflictError) as exc:
        services.order_award(actor=world.lead, order=second, bid=bid2, as_of=days(8))
    assert "waiting for approval" in exc.value.message_dict["order"][0]
    assert (EMCNode.objects.count(), Contract.objects.filter(status="draft").count()) == (seats, drafts)
    second.refresh_from_db()
    assert second.status == "open"


def test_the_leader_of_the_bidding_me_neither_awards_nor_rates_its_own_bid(world, order):
    own = services.bid_place(
        actor=world.lead, order=order, me=world.lead_me, asked_share_pct="5", commitment="ours"
    )
    with pytest.raises(PermissionDenied):
        services.order_award(actor=world.lead, order=order, bid=own, as_of=days(8))
    assert Order.objects.get(pk=order.pk).status == "open"
    services.order_award(actor=world.admin, order=order, bid=own, as_of=days(8))  # an admin may


@pytest.mark.parametrize("reason", ["r" * 2001, "r\x01"])
def test_a_cancel_or_award_reason_too_long_or_with_control_characters_is_refused(world, order, reason):
    bid = services.bid_place(
        actor=world.bidder, order=order, me=world.me_d, asked_share_pct="5", commitment="x"
    )
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.order_cancel(actor=world.lead, order=order, reason=reason)
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.order_award(actor=world.lead, order=order, bid=bid, reason=reason)
    assert "reason" in exc.value.message_dict
    order.refresh_from_db()
    assert (order.status, order.closed_reason, AuditEntry.objects.count()) == ("open", "", audits)
