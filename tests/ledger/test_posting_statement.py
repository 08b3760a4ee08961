"""The posting engine's writes on PostgreSQL: a batch below COPY_MIN_ROWS (a logged event, an
API batch, a generator's day) goes in by one statement, one INSERT per table, after one round
trip of lookups; the rows are those one INSERT per table would write."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger import selectors, services
from ledger.models import Leg, Source, ValueEvent, ValueEventPartner
from ledger.posting.specs import ValueEventSpec

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _statements(captured) -> list[str]:
    return [q["sql"].split(None, 1)[0].upper() for q in captured]


def test_one_logged_event_costs_one_lookup_and_one_write(world, log):
    log()  # the accounts a first posting opens
    with CaptureQueriesContext(connection) as captured:
        event = log(amount="199.00", partners=[world.partner])
    # the savepoint of the test's transaction, the batch's lookups (one call of
    # ledger_posting_context, the solution's categories among them: every entry point checks
    # the category is one of them), the write (one call of ledger_posting_write), the release:
    # four, where one INSERT per table took eight
    statements = [q["sql"] for q in captured.captured_queries]
    assert _statements(captured.captured_queries) == ["SAVEPOINT", "SELECT", "SELECT", "RELEASE"]
    assert "ledger_posting_context(" in statements[1] and "ledger_posting_write(" in statements[2]
    legs = list(Leg.objects.filter(transaction_id=event.transaction_id).order_by("id"))
    # 199.00 CNY: fee 5% = 995, partner 7.5% = 1492 (1492.5 rounded down), no holdback at
    # posting (it is the payout's), 17413 to the nodes 60/40 = 10447.8 / 6965.2 -> 10448 / 6965
    # (the unit left over goes to the larger remainder); in the split's order
    assert [(leg.rule, leg.amount_minor) for leg in legs] == [
        ("user_payment", 19900),
        ("platform_fee", -995),
        ("partner_share", -1492),
        ("node_share", -10448),
        ("node_share", -6965),
    ]
    assert legs[1].basis == {"rate_pct": "5.0000", "base_minor": 19900}
    assert all(leg.effective_on == event.occurred_on and leg.contract_id == world.contract.pk for leg in legs)
    stored = ValueEvent.objects.get(pk=event.pk)
    assert stored.transaction_id == event.transaction.pk and stored.amount_minor == 19900
    assert list(ValueEventPartner.objects.filter(event=stored).values_list("partner_id", flat=True)) == [
        world.partner.pk
    ]
    assert selectors.ledger_check_rollups() == []


def _payment(world, now, i) -> ValueEventSpec:
    return ValueEventSpec(
        me_id=world.lead_me.pk,
        emc_id=world.emc.pk,
        scenario_id=world.scenario.pk,
        solution_id=world.solution.pk,
        category_id=world.category.pk,
        user_ref=f"u-{i:05d}",
        amount_minor=10_000,
        currency="CNY",
        occurred_at=now - dt.timedelta(minutes=30 + i),
        partner_ids=(world.partner.pk,) if i % 2 else (),
    )


def test_a_batch_with_a_refund_of_its_own_payment_is_one_write(world, now, log):
    log()
    specs = [_payment(world, now, i) for i in range(20)]
    specs.append(
        ValueEventSpec(
            kind=ValueEvent.Kind.REFUND,
            original_index=3,
            user_ref="u-00003",
            amount_minor=4_000,
            currency="CNY",
            occurred_at=now - dt.timedelta(minutes=5),
            note='退货: returned "within" 7 days',
        )
    )
    with CaptureQueriesContext(connection) as captured:
        ids = services.value_events_log(specs=specs, actor=None, source=Source.JOB, as_ids=True)
    # 21 events, the refund's payment among them: as many round trips as one event
    assert _statements(captured.captured_queries) == ["SAVEPOINT", "SELECT", "SELECT", "RELEASE"]
    events = ValueEvent.objects.in_bulk(ids)
    assert [events[pk].user_ref for pk in ids] == [s.user_ref for s in specs]  # the specs' order
    refund = events[ids[20]]
    assert refund.kind == ValueEvent.Kind.REFUND and refund.original_id == ids[3]
    assert refund.amount_minor == 4_000 and refund.me_id == world.lead_me.pk
    assert refund.note == '退货: returned "within" 7 days'  # text through the JSON as given
    # the odd payments name the partner, and the refund inherits its payment's (3 is odd)
    linked = set(ValueEventPartner.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    assert linked == {ids[i] for i in (*range(1, 20, 2), 20)}
    assert sum(leg.amount_minor for leg in Leg.objects.filter(transaction_id=refund.transaction_id)) == 0
    clearing = Leg.objects.get(transaction_id=refund.transaction_id, account__code="clearing:CNY")
    assert clearing.amount_minor == -4_000 and clearing.rule == "refund"
    assert selectors.ledger_check_rollups() == []


def test_the_write_function_inserts_every_column_the_engine_sends():
    # the function's INSERT column lists (ledger/sql, frozen per version) against the fields
    # the engine's rows carry: a field added to one and not the other would be dropped silently
    import re

    from ledger.posting.legs import LEG_COLUMNS
    from ledger.posting.write import EVENT_FIELDS, TXN_FIELDS
    from ledger.sql import objects_in_force, sql_file

    text = sql_file("posting_write", objects_in_force()["posting_write"])
    inserts = {
        table: [c.strip() for c in columns.split(",")]
        for table, columns in re.findall(r"INSERT INTO (\w+) \(([^)]*)\)", text)
    }
    assert inserts == {
        "ledger_transaction": ["id", *TXN_FIELDS],
        "ledger_valueevent": ["id", *EVENT_FIELDS],
        "ledger_valueeventpartner": ["event_id", "partner_id"],
        "ledger_leg": LEG_COLUMNS,
    }
