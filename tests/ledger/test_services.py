"""Posting value events, refunds and reversals through the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from config.errors import ConflictError
from ledger import selectors, services
from ledger.models import (
    Account,
    AccountDay,
    Contract,
    ContractNodeShare,
    Leg,
    Transaction,
    UserSignal,
    ValueEvent,
)
from ledger.posting.specs import ValueEventSpec
from orgs.audit import audit_for
from orgs.models import EMCNode, EMCParticipation
from orgs.services import me_split
from tests.factories import MicroenterpriseFactory, PartnerFactory, ScenarioFactory, UserFactory
from tests.ledger.factories import START, approved_contract, contract_terms

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Transaction.objects.count(),
        Leg.objects.count(),
        ValueEvent.objects.count(),
        AccountDay.objects.count(),
    )


def _assert_balanced():
    totals = selectors.ledger_totals_by_currency()
    assert all(v == 0 for v in totals.values()), totals
    assert selectors.ledger_check_rollups() == []


def test_a_payment_posts_its_split_by_the_contract_in_force(world, log):
    event = log()
    legs = {
        (leg.account.code, leg.rule): leg.amount_minor
        for leg in event.transaction.legs.select_related("account")
    }
    lead, node, partner = world.lead_me.code, world.node_me.code, world.partner.code
    assert legs == {
        ("clearing:CNY", "user_payment"): 19900,
        ("platform-fee:CNY", "platform_fee"): -995,
        (f"partner:{partner}:CNY", "partner_share"): -1492,
        # no holdback at posting (it is the payout's): the remainder 17413 split 60/40 is
        # 10447.8 / 6965.2, floors 10447 + 6965, the unit left to the larger remainder (0.8)
        (f"me:{lead}:CNY", "node_share"): -10448,
        (f"me:{node}:CNY", "node_share"): -6965,
    }
    assert event.transaction.contract == world.contract
    assert all(leg.contract_id == world.contract.pk for leg in event.transaction.legs.all())
    assert event.replayed is False
    _assert_balanced()


def test_balances_as_of_a_past_date_come_from_the_rollup(world, log, now):
    older = log(occurred_at=now - dt.timedelta(days=10), amount="100.00")
    log(occurred_at=now - dt.timedelta(days=1), amount="50.00")
    clearing = Account.objects.get(code="clearing:CNY")
    assert selectors.account_balance(account=clearing, as_of=older.occurred_on) == 10000
    assert selectors.account_balance(account=clearing, as_of=None) == 15000
    assert selectors.account_balance(account=clearing, as_of=older.occurred_on - dt.timedelta(days=1)) == 0
    me_account = Account.objects.get(me=world.lead_me)
    both = selectors.balances(account_ids=[clearing.pk, me_account.pk], as_of=None)
    assert both[clearing.pk] == 15000 and both[me_account.pk] < 0
    assert selectors.me_balances(me=world.lead_me)[0]["owed_minor"] == -both[me_account.pk]


def test_a_striped_rollup_still_gives_exact_balances(world, log, now):
    # given ten payments on one day: their transactions spread over several rollup slots
    day = now - dt.timedelta(hours=3)
    events = [log(occurred_at=day, amount=f"{10 + i}.00") for i in range(10)]
    clearing = Account.objects.get(code="clearing:CNY")
    rows = AccountDay.objects.filter(account=clearing)
    assert rows.values("day").distinct().count() == 1 and rows.count() > 1
    # then the balance sums the slots, and the audit recomputation finds nothing to report
    legs_total = Leg.objects.filter(account=clearing).aggregate(s=Sum("amount_minor"))["s"]
    assert selectors.account_balance(account=clearing, as_of=events[0].occurred_on) == legs_total == 14500
    assert selectors.balances(account_ids=[clearing.pk])[clearing.pk] == 14500
    assert selectors.ledger_check_rollups() == []


def test_the_same_form_token_does_not_post_twice(world, log):
    first = log(idempotency_key="form-token-1")
    second = log(idempotency_key="form-token-1")
    assert second.pk == first.pk and second.replayed is True
    assert ValueEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-5.00"}, "amount", "more than zero"),
        ({"amount": "1.001"}, "amount", "decimal places"),
        ({"currency": "ZZZ"}, "currency", "Unknown currency"),
        ({"currency": "EUR"}, "currency", "contract in force is in CNY"),
        ({"user_ref": "jane@example.org"}, "user_ref", "e-mail"),
        ({"user_ref": "+86 138 0013 8000"}, "user_ref", "phone"),
        ({"occurred_at": "LATER"}, "occurred_at", ""),
    ],
)
def test_bad_input_gets_a_field_error_and_writes_nothing(world, log, now, overrides, field, message):
    if overrides.get("occurred_at") == "LATER":
        overrides["occurred_at"] = now + dt.timedelta(days=2)
        message = "future"
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        log(**overrides)
    assert field in exc.value.message_dict
    assert message in " ".join(exc.value.message_dict[field])
    assert _counts() == before
    _assert_balanced()


def test_an_unknown_currency_is_the_only_error_of_a_valid_amount(world, log):
    with pytest.raises(ValidationError) as exc:
        log(amount="10.00", currency="ZZZ")
    assert set(exc.value.message_dict) == {"currency"}


def test_a_date_too_far_back_is_refused(world, log, now, settings):
    settings.LEDGER_BACKDATE_DAYS = 30
    with pytest.raises(ValidationError) as exc:
        log(occurred_at=now - dt.timedelta(days=31))
    assert "back-dated at most 30 days" in exc.value.message_dict["occurred_at"][0]


def test_a_leader_cannot_log_for_an_me_they_do_not_lead(world, log):
    other_leader = UserFactory(roles=["me_leader"])
    with pytest.raises(ValidationError) as exc:
        log(actor=other_leader)
    assert "you lead" in exc.value.message_dict["me"][0]
    assert ValueEvent.objects.count() == 0


def test_a_partner_not_active_in_the_emc_at_occurred_at_is_refused(world, log, now):
    EMCParticipation.objects.filter(partner=world.partner).update(
        ended_on=(now - dt.timedelta(days=3)).date()
    )
    with pytest.raises(ValidationError) as exc:
        log()
    assert "was not active in this EMC" in exc.value.message_dict["partners"][0]
    # but an event before the participation ended still credits the partner
    assert log(occurred_at=now - dt.timedelta(days=5)).partners.get() == world.partner


def test_a_partner_without_a_contract_share_is_refused(world, log):
    stranger = PartnerFactory()
    EMCParticipation.objects.create(emc=world.emc, partner=stranger, started_on=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError) as exc:
        log(partners=[stranger])
    assert "no share in the contract" in exc.value.message_dict["partners"][0]


def test_a_scenario_the_emc_does_not_serve_is_refused(world, log):
    with pytest.raises(ValidationError) as exc:
        log(scenario=ScenarioFactory(), solution=None)
    assert "does not serve" in exc.value.message_dict["scenario"][0]


def test_an_me_that_is_not_a_node_is_refused(world, log):
    outsider = MicroenterpriseFactory(leader=world.leader)
    with pytest.raises(ValidationError) as exc:
        log(me=outsider)
    assert "not a node" in exc.value.message_dict["emc"][0]


def test_no_contract_in_force_is_a_clear_error(world, log, now):
    services.contract_withdraw(actor=world.admin, contract=world.contract)
    with pytest.raises(ValidationError) as exc:
        log()
    assert "No approved contract" in exc.value.message_dict["emc"][0]


def test_the_newest_effective_contract_applies(world, log, now):
    later = approved_contract(
        world, effective_from=(now - dt.timedelta(days=5)).date(), platform_fee_pct=Decimal("8")
    )
    old = log(occurred_at=now - dt.timedelta(days=6))
    new = log(occurred_at=now - dt.timedelta(days=1))
    assert old.transaction.contract == world.contract
    assert new.transaction.contract == later
    fee = new.transaction.legs.get(rule="platform_fee")
    assert fee.amount_minor == -1592 and fee.basis == {"rate_pct": "8.0000", "base_minor": 19900}


# --- refunds -------------------------------------------------------------------------------


def test_a_refund_reverses_each_share_proportionally(world, log, now):
    payment = log()
    refund = services.value_event_refund(
        actor=world.leader, original=payment, amount="99.50", occurred_at=now - dt.timedelta(minutes=5)
    )
    assert refund.kind == "refund" and refund.original == payment and refund.me == payment.me
    legs = dict(refund.transaction.legs.values_list("account__code", "amount_minor"))
    assert legs["clearing:CNY"] == -9950
    assert sum(legs.values()) == 0
    # every party gives back half of what it got, to within one minor unit
    original = dict(payment.transaction.legs.values_list("account__code", "amount_minor"))
    for code, amount in original.items():
        assert abs(legs[code] + amount / 2) <= 1
    # and a refund of the rest brings every party exactly back to zero
    services.value_event_refund(actor=world.leader, original=payment, amount="99.50", occurred_at=now)
    per_account = Leg.objects.values("account__code").annotate(t=Sum("amount_minor"))
    assert {row["t"] for row in per_account} == {0}
    _assert_balanced()


def test_a_refund_larger_than_what_remains_is_refused(world, log, now):
    payment = log()
    services.value_event_refund(actor=world.leader, original=payment, amount="150.00", occurred_at=now)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.value_event_refund(actor=world.leader, original=payment, amount="49.01", occurred_at=now)
    assert exc.value.message_dict["amount"][0] == "The refund exceeds what remains of the payment (CN¥49.00)."
    assert _counts() == before


def test_a_refund_in_another_currency_is_refused_not_reinterpreted(world, log, now):
    # given a CNY payment
    payment = log()
    before = _counts()
    # when a refund of it is stated in JPY, through the service and through the engine
    with pytest.raises(ValidationError) as exc:
        services.value_event_refund(
            actor=world.leader, original=payment, amount="100", currency="JPY", occurred_at=now
        )
    spec = ValueEventSpec(
        kind="refund",
        original_id=payment.pk,
        user_ref="u-12345",
        amount_minor=100,
        currency="JPY",
        occurred_at=now,
    )
    with pytest.raises(ValidationError) as engine_exc:
        services.value_events_log(specs=[spec], actor=world.leader)
    # then both are refused on the currency field and nothing is written
    assert "currency of its payment (CNY)" in exc.value.message_dict["currency"][0]
    assert "currency of its payment (CNY)" in engine_exc.value.message_dict["currency"][0]
    assert _counts() == before
    # while the same refund in CNY posts
    refund = services.value_event_refund(
        actor=world.leader, original=payment, amount="1.00", currency="CNY", occurred_at=now
    )
    assert refund.currency == "CNY" and refund.amount_minor == 100


def test_what_the_refund_form_offers_is_exactly_what_the_engine_accepts(world, log, now):
    # given a payment partly refunded, and one of its refunds reversed
    payment = log(amount="199.00")
    services.value_event_refund(actor=world.leader, original=payment, amount="50.00", occurred_at=now)
    second = services.value_event_refund(
        actor=world.leader, original=payment, amount="20.00", occurred_at=now
    )
    services.transaction_reverse(actor=world.admin, txn=second.transaction, reason="refund cancelled")
    # when the refund form asks what is still refundable
    left = selectors.refundable_minor(event=payment)
    # then it is the payment less the live refund, one minor unit more is refused, and it all posts
    assert left == 19900 - 5000
    with pytest.raises(ValidationError):
        services.value_event_refund(actor=world.leader, original=payment, amount="149.01", occurred_at=now)
    services.value_event_refund(actor=world.leader, original=payment, amount="149.00", occurred_at=now)
    assert selectors.refundable_minor(event=payment) == 0
    _assert_balanced()


def test_a_refund_of_a_refund_is_refused(world, log, now):
    refund = services.value_event_refund(actor=world.leader, original=log(), amount="1.00", occurred_at=now)
    with pytest.raises(ValidationError) as exc:
        services.value_event_refund(actor=world.leader, original=refund, amount="1.00", occurred_at=now)
    assert "Only a payment" in exc.value.message_dict["original"][0]


# --- reversals -----------------------------------------------------------------------------


def test_a_reversal_negates_exactly_and_only_once(world, log):
    payment = log()
    finance = UserFactory(roles=["finance"])
    reversal = services.transaction_reverse(actor=finance, txn=payment.transaction, reason="logged twice")
    assert reversal.reverses == payment.transaction
    original = sorted(payment.transaction.legs.values_list("account_id", "amount_minor"))
    negated = sorted((a, -m) for a, m in reversal.legs.values_list("account_id", "amount_minor"))
    assert negated == original
    assert {leg.rule for leg in reversal.legs.all()} == {"reversal"}
    assert audit_for(payment.transaction).filter(action="ledger.transaction_reverse").exists()
    with pytest.raises(ConflictError):
        services.transaction_reverse(actor=finance, txn=payment.transaction, reason="again")
    with pytest.raises(ConflictError):
        services.transaction_reverse(actor=finance, txn=reversal, reason="undo")
    # a reversed payment no longer counts toward the target and cannot be refunded
    assert selectors.progress_to_target(emc=world.emc, on=payment.occurred_on)["value_minor"] == 0
    with pytest.raises(ValidationError):
        services.value_event_refund(
            actor=world.leader, original=payment, amount="1.00", occurred_at=payment.occurred_at
        )
    _assert_balanced()


def test_only_finance_or_admins_reverse(world, log):
    payment = log()
    with pytest.raises(PermissionDenied):
        services.transaction_reverse(actor=world.leader, txn=payment.transaction, reason="no")


def test_a_payment_with_live_refunds_cannot_be_reversed(world, log, now):
    payment = log()
    services.value_event_refund(actor=world.leader, original=payment, amount="1.00", occurred_at=now)
    with pytest.raises(ConflictError):
        services.transaction_reverse(actor=world.admin, txn=payment.transaction, reason="x")


# --- contracts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"node_shares": "60/30"}, "node_shares"),
        ({"platform_fee_pct": Decimal("95")}, "partner_shares"),
        ({"platform_fee_pct": Decimal("101")}, "platform_fee_pct"),
        (
            {"tiers": [{"threshold_pct": 120, "rate_pct": 10}, {"threshold_pct": 100, "rate_pct": 12}]},
            "tiers",
        ),
        ({"currency": "ABC"}, "currency"),
        ({"target_minor": 0}, "target_minor"),
    ],
)
def test_a_contract_draft_is_validated_whole(world, overrides, field):
    if overrides.get("node_shares") == "60/30":
        overrides["node_shares"] = [
            {"me": world.lead_me, "share_pct": 60},
            {"me": world.node_me, "share_pct": 30},
        ]
    with pytest.raises(ValidationError) as exc:
        services.contract_draft_create(actor=world.admin, **contract_terms(world, **overrides))
    assert field in exc.value.message_dict


def test_contract_versions_and_approval(world):
    draft = services.contract_draft_create(actor=world.admin, **contract_terms(world))
    assert draft.version == 2 and draft.status == "draft"
    assert selectors.contract_in_force(emc=world.emc, on=dt.date(2030, 1, 1)) == world.contract
    with pytest.raises(PermissionDenied):
        services.contract_approve(actor=world.leader, contract=draft)
    # four eyes: the admin who drafted it may not approve it; it stays a draft
    with pytest.raises(PermissionDenied, match="another admin approves it"):
        services.contract_approve(actor=world.admin, contract=draft)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.approved_by is None
    second = UserFactory(roles=["platform_admin"])
    approved = services.contract_approve(actor=second, contract=draft)
    assert approved.status == "approved" and approved.approved_by == second
    assert selectors.contract_in_force(emc=world.emc, on=dt.date(2030, 1, 1)) == approved
    with pytest.raises(ConflictError):
        services.contract_approve(actor=second, contract=approved)
    assert audit_for(approved).filter(action="ledger.contract_approve").exists()


def _node_share_slipped_in(world, draft) -> None:
    """Alter a draft's terms below the service layer: one more node share, 60 + 40 + 10 = 110%.
    (A row added, not one changed: the application role may not update contract terms.)"""
    extra = MicroenterpriseFactory()
    EMCNode.objects.create(emc=world.emc, me=extra, share_weight=10, joined_on=START)
    ContractNodeShare.objects.create(contract=draft, me=extra, share_pct=10)


def test_approval_validates_the_stored_terms_again(world):
    # given a draft whose node shares were altered after creation (now 110%)
    draft = services.contract_draft_create(actor=world.admin, **contract_terms(world))
    _node_share_slipped_in(world, draft)
    # when a platform admin approves it
    with pytest.raises(ValidationError) as exc:
        services.contract_approve(actor=UserFactory(roles=["platform_admin"]), contract=draft)
    # then it is refused with the same message as at creation, and stays a draft
    assert "Node shares must sum to exactly 100%." in exc.value.message_dict["node_shares"]
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.approved_by is None
    assert selectors.contract_in_force(emc=world.emc, on=dt.date(2030, 1, 1)) == world.contract


def test_terms_the_split_cannot_apply_give_a_field_error_not_a_crash(world, log):
    # given a contract in force whose node shares were broken below the service layer: a draft
    # altered, then approved by a bare UPDATE that skipped the validation
    broken = services.contract_draft_create(actor=world.admin, **contract_terms(world))
    _node_share_slipped_in(world, broken)
    Contract.objects.filter(pk=broken.pk).update(status="approved", approved_at=timezone.now())
    before = _counts()
    # when a leader logs a payment
    with pytest.raises(ValidationError) as exc:
        log()
    # then the EMC field explains it, and nothing is written
    message = exc.value.message_dict["emc"][0]
    assert f"Contract v{broken.version} of EMC {world.emc.code} cannot split this payment" in message
    assert _counts() == before


def test_a_contract_crediting_a_split_me_is_refused_until_a_new_version(world, log, now):
    # given the node ME of the contract in force is split today (its seat passes to an heir)
    heir, _other = me_split(
        me=world.node_me,
        actor=world.admin,
        children=[{"code": "node-heir"}, {"code": "node-other"}],
        reason="reorganised",
        on=timezone.localdate(now),
    )
    before = _counts()
    # when the leader logs a payment today
    with pytest.raises(ValidationError) as exc:
        log(occurred_at=now)
    # then the EMC field says which contract names the dead ME, and nothing is written
    assert exc.value.message_dict["emc"] == [
        f"Contract v1 of EMC {world.emc.code} gives a node share to ME {world.node_me.code}, "
        "which is no longer active; approve a new contract version."
    ]
    assert _counts() == before
    # (an event dated before the split still credits the ME that was live that day)
    earlier = log(occurred_at=now - dt.timedelta(days=1))
    assert world.node_me.pk in set(earlier.transaction.legs.values_list("account__me_id", flat=True))
    # and a new version still naming the dead ME cannot be drafted
    with pytest.raises(ValidationError) as draft_exc:
        services.contract_draft_create(actor=world.admin, **contract_terms(world))
    assert "no longer active" in draft_exc.value.message_dict["node_shares"][0]
    # while a new version giving the share to the heir makes logging work again
    approved_contract(
        world,
        effective_from=timezone.localdate(now),
        node_shares=[{"me": world.lead_me, "share_pct": 60}, {"me": heir, "share_pct": 40}],
    )
    event = log(occurred_at=now)
    credited = set(event.transaction.legs.values_list("account__me_id", flat=True))
    assert heir.pk in credited and world.node_me.pk not in credited


def test_progress_to_target_for_the_current_period(world, log, now):
    log(amount="1000.00")
    progress = selectors.progress_to_target(emc=world.emc, on=now.date())
    assert progress["value_minor"] == 100000 and progress["target_minor"] == 10_000_000
    assert progress["progress_pct"] == Decimal("1.0")
    assert progress["series"][-1]["value_minor"] == 100000
    assert [t["at_minor"] for t in progress["tiers"]] == [10_000_000, 12_000_000]


def test_the_emc_progress_and_the_me_ledger_progress_are_the_same_figures(world, log, now):
    # given payments by two MEs, a refund and a reversed payment in the current period
    from ledger import ui_selectors

    today = timezone.localdate(now)
    log(amount="1000.00", occurred_at=now)
    refunded = log(amount="300.00", occurred_at=now)
    services.value_event_refund(actor=world.leader, original=refunded, amount="100.00", occurred_at=now)
    reversed_payment = log(amount="777.00", occurred_at=now)
    services.transaction_reverse(actor=world.admin, txn=reversed_payment.transaction, reason="duplicate")
    # when the EMC's progress and the ME ledger's progress are computed
    emc_view = selectors.progress_to_target(emc=world.emc, on=today)
    (me_view,) = ui_selectors.me_contracts_and_progress(me=world.lead_me, on=today)
    # then they agree on every figure
    assert emc_view["value_minor"] == me_view["value_minor"] == 120000
    assert emc_view["progress_pct"] == me_view["progress_pct"]
    assert emc_view["tiers"] == me_view["tiers"]
    assert (emc_view["period_start"], emc_view["period_end"]) == (
        me_view["period_start"],
        me_view["period_end"],
    )
    assert emc_view["series"][-1]["value_minor"] == 120000


def test_me_ledger_rows_load_in_constant_queries(world, log, django_assert_num_queries):
    def count_queries(n):
        for _ in range(n):
            log(amount="10.00")
        rows = selectors.me_ledger_rows(me=world.lead_me)
        with django_assert_num_queries(3) as ctx:
            data = [
                (r.emc.code, [leg.account.code for leg in r.transaction.legs.all()], list(r.partners.all()))
                for r in rows
            ]
        return len(ctx.captured_queries), data

    small, data = count_queries(3)
    assert len(data) == 3 and len(data[0][1]) == 5
    big, data = count_queries(27)
    assert small == big and len(data) == 30


# --- user signals --------------------------------------------------------------------------


def test_signals_of_the_four_kinds(world, now):
    common = {
        "actor": world.leader,
        "me": world.lead_me,
        "emc": world.emc,
        "user_ref": "u-777",
        "occurred_at": now,
    }
    services.user_signal_log(kind="rating", rating=4, expectation=5, **common)
    services.user_signal_log(kind="co_creation", co_creation_kind="idea", **common)
    services.user_signal_log(kind="story", note="Told three neighbours about the balcony", **common)
    services.user_signal_log(kind="ownership", products_owned=3, related_purchase=True, **common)
    assert UserSignal.objects.count() == 4
    with pytest.raises(ValidationError) as exc:
        services.user_signal_log(kind="rating", rating=6, **common)
    assert set(exc.value.message_dict) >= {"rating", "expectation"}
    with pytest.raises(ValidationError) as exc:
        services.user_signal_log(kind="co_creation", **common)
    assert "co_creation_kind" in exc.value.message_dict
    assert UserSignal.objects.count() == 4
