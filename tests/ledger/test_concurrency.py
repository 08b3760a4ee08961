"""Concurrent writes never lose or duplicate a posting (PostgreSQL, real threads)."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from ledger import selectors, services
from ledger.models import IdempotencyRecord, ValueEvent
from tests.ledger.factories import world_build

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _run_threads(target, n):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_identical_api_requests_with_one_key_post_once():
    world = world_build()
    now = timezone.now()
    body = {
        "me": world.lead_me.code,
        "emc": world.emc.code,
        "scenario": world.scenario.code,
        "category": world.category.code,
        "user_ref": "u-race",
        "amount": "10.00",
        "currency": "CNY",
        "occurred_at": (now - dt.timedelta(minutes=5)).isoformat(),
    }

    def call(_i):
        client = APIClient()
        client.force_authenticate(world.leader)
        response = client.post("/api/value-events/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
        return response.status_code, response.json()

    results = _run_threads(call, 6)
    assert all(r[0] == 201 for r in results), results
    assert len({r[1]["id"] for r in results}) == 1
    assert ValueEvent.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_concurrent_refunds_cannot_over_refund():
    world = world_build()
    now = timezone.now()
    payment = services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        category=world.category,
        user_ref="u-race",
        amount="100.00",
        currency="CNY",
        occurred_at=now - dt.timedelta(hours=1),
    )

    def refund(i):
        return services.value_event_refund(
            actor=world.leader, original=payment, amount="30.00", occurred_at=now, note=f"r{i}"
        )

    results = _run_threads(refund, 5)
    ok = [r for r in results if isinstance(r, ValueEvent)]
    assert len(ok) == 3  # 3 x 30 fits in 100; the 4th and 5th are refused
    assert ValueEvent.objects.filter(kind="refund").count() == 3
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    assert selectors.ledger_check_rollups() == []


def test_concurrent_payments_keep_rollups_exact():
    world = world_build()
    now = timezone.now()

    def pay(i):
        return services.value_event_log(
            actor=world.leader,
            me=world.lead_me,
            emc=world.emc,
            scenario=world.scenario,
            category=world.category,
            user_ref=f"u-{i:04d}",
            amount="7.77",
            currency="CNY",
            occurred_at=now - dt.timedelta(minutes=1),
            partners=[world.partner],
        )

    results = _run_threads(pay, 8)
    assert all(isinstance(r, ValueEvent) for r in results), results
    assert selectors.ledger_check_rollups() == []
    assert selectors.account_balance(account=selectors.Account.objects.get(code="clearing:CNY")) == 8 * 777


@pytest.mark.parametrize("slow", ["refund", "reversal"])
def test_a_refund_and_a_reversal_of_one_payment_cannot_both_post(monkeypatch, slow):
    # given a payment, and one side made slow after its checks (so the race window is wide)
    from django.core.exceptions import ValidationError

    from config.errors import ConflictError
    from ledger.models import Leg, Transaction

    world = world_build()
    now = timezone.now()
    finance = world.admin
    payment = services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        category=world.category,
        user_ref="u-race",
        amount="100.00",
        currency="CNY",
        occurred_at=now - dt.timedelta(hours=1),
    )
    if slow == "refund":
        holdings = selectors.refund_holdings

        def slow_holdings(**kwargs):
            found = holdings(**kwargs)
            time.sleep(0.5)
            return found

        monkeypatch.setattr(selectors, "refund_holdings", slow_holdings)
    else:
        legs_filter = Leg.objects.filter

        def slow_filter(*args, **kwargs):
            time.sleep(0.5)
            return legs_filter(*args, **kwargs)

        monkeypatch.setattr(services.Leg.objects, "filter", slow_filter)

    # when a refund and a reversal of it run at the same time
    def act(i):
        if i == 0:
            return services.value_event_refund(
                actor=world.leader, original=payment, amount="30.00", occurred_at=now
            )
        txn = Transaction.objects.get(pk=payment.transaction_id)
        return services.transaction_reverse(actor=finance, txn=txn, reason="logged by mistake")

    results = _run_threads(act, 2)

    # then exactly one posts; the other is refused with a clear error
    posted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(posted) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], (ConflictError, ValidationError)), refused
    refunds = ValueEvent.objects.filter(kind="refund").count()
    reversals = Transaction.objects.filter(kind="reversal").count()
    assert refunds + reversals == 1
    assert set(selectors.ledger_totals_by_currency().values()) == {0}
    assert selectors.ledger_check_rollups() == []


def test_postings_of_different_rollup_stripes_do_not_wait_for_each_other(log):
    """The rollup trigger keeps the striping: a posting holds only its own stripe's row of an
    (account, day) until it commits, so others proceed; one of the same stripe waits."""
    import psycopg

    from ledger.models import ROLLUP_SLOTS, Account
    from tests import db_roles

    log()  # the accounts
    clearing, fee = (Account.objects.get(code=c).pk for c in ("clearing:CNY", "platform-fee:CNY"))
    base = 10**9 - 10**9 % ROLLUP_SLOTS  # explicit ids: stripe `base + k` is k

    def post(conn, txn_id):
        conn.execute(
            "INSERT INTO ledger_transaction (id, kind, effective_on, recorded_at, memo)"
            " VALUES (%s, 'adjustment', current_date, now(), '')",
            [txn_id],
        )
        conn.execute(
            "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
            " VALUES (%s, %s, 'CNY', 3, current_date, 't', '{}'), (%s, %s, 'CNY', -3, current_date, 't', '{}')",
            [txn_id, clearing, txn_id, fee],
        )

    # given a posting in stripe 0 that has not committed yet
    holder = db_roles.app_connect()
    post(holder, base)
    try:
        # when another posting of the same accounts and day goes into stripe 1, it commits at once
        with db_roles.app_connect() as other:
            other.execute("SET lock_timeout = '2s'")
            post(other, base + 1)
        # and one into stripe 0 again waits for the first (here: until its lock timeout)
        with db_roles.app_connect() as same, pytest.raises(psycopg.errors.LockNotAvailable):
            same.execute("SET lock_timeout = '500ms'")
            post(same, base + ROLLUP_SLOTS)
    finally:
        holder.rollback()
        holder.close()
    assert selectors.ledger_check_rollups() == []
