"""Issue 8's attacker, connected as the application role: every tampering statement is
refused, and the ledger is as it was. The owner role is refused the same changes of data by the
triggers (it may change the schema: that is the owner's job, and verify_ledger sees the result).
"""

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from ledger import selectors, services
from ledger.append_only import TABLES
from ledger.models import Account, AccountDay, Contract, Leg, Transaction
from ledger.verification import ledger_verify
from tests import db_roles
from tests.factories import PartnerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NEW_TXN = (
    "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo)"
    " VALUES ('adjustment', current_date, now(), 'attack') RETURNING id"
)
# why a statement may be refused: a privilege or a guard (insufficient_privilege), or a check at
# insert or commit (check_violation). Anything else (a typo in this file) fails the test.
REFUSALS = {"42501", "23514"}

LEG = (
    "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
    " VALUES (%s, %s, 'CNY', %s, current_date, 'attack', '{}')"
)


@pytest.fixture
def ledger(world, log, now):
    """A payment with a partner, a user signal and a seal: things to tamper with."""
    payment = log()
    services.user_signal_log(
        actor=world.leader,
        kind="rating",
        me=world.lead_me,
        emc=world.emc,
        user_ref="u-victim",
        occurred_at=now,
        rating=5,
        expectation=3,
    )
    assert ledger_verify().ok
    return world, payment


def _attempts(world, payment) -> list[tuple[str, list]]:
    """(what, [SQL statements run in one DB transaction]) for each tampering attempt."""
    txn_id = payment.transaction_id
    contract = world.contract.pk
    clearing = Account.objects.get(code="clearing:CNY").pk
    fee = Account.objects.get(code="platform-fee:CNY").pk
    stranger = PartnerFactory().pk
    data = [(f"TRUNCATE {table}", [f"TRUNCATE {table} CASCADE"]) for table in TABLES]
    data += [
        ("raise a rollup", ["UPDATE ledger_accountday SET net_minor = net_minor + 100"]),
        ("delete the rollups", ["DELETE FROM ledger_accountday"]),
        (
            "invent a rollup",
            [
                "INSERT INTO ledger_accountday (account_id, day, slot, net_minor, debit_minor, credit_minor, legs)"
                f" VALUES ({clearing}, current_date + 1, 0, 100, 100, 0, 1)"
            ],
        ),
        (
            "raise an approved contract's fee",
            [f"UPDATE ledger_contract SET platform_fee_pct = 50 WHERE id = {contract}"],
        ),
        (
            "reopen an approved contract",
            [f"UPDATE ledger_contract SET status = 'draft' WHERE id = {contract}"],
        ),
        (
            "withdraw it and change its terms",
            [f"UPDATE ledger_contract SET status = 'withdrawn', holdback_pct = 0 WHERE id = {contract}"],
        ),
        ("delete an approved contract", [f"DELETE FROM ledger_contract WHERE id = {contract}"]),
        ("change a tier", [f"UPDATE ledger_contracttier SET rate_pct = 99 WHERE contract_id = {contract}"]),
        ("drop a node share", [f"DELETE FROM ledger_contractnodeshare WHERE contract_id = {contract}"]),
        (
            "add a partner share",
            [
                "INSERT INTO ledger_contractpartnershare (contract_id, partner_id, share_pct)"
                f" VALUES ({contract}, {stranger}, 5)"
            ],
        ),
        ("lower a goal", [f"UPDATE ledger_contractgoal SET target = 1 WHERE contract_id = {contract}"]),
        (
            "change a leg",
            [f"UPDATE ledger_leg SET amount_minor = amount_minor * 2 WHERE transaction_id = {txn_id}"],
        ),
        ("delete the legs", [f"DELETE FROM ledger_leg WHERE transaction_id = {txn_id}"]),
        (
            "change a transaction",
            [f"UPDATE ledger_transaction SET effective_on = effective_on - 1 WHERE id = {txn_id}"],
        ),
        ("delete a transaction", [f"DELETE FROM ledger_transaction WHERE id = {txn_id}"]),
        ("change a value event", [f"UPDATE ledger_valueevent SET amount_minor = 1 WHERE id = {payment.pk}"]),
        ("delete a value event", [f"DELETE FROM ledger_valueevent WHERE id = {payment.pk}"]),
        ("drop a partner link", [f"DELETE FROM ledger_valueeventpartner WHERE event_id = {payment.pk}"]),
        ("change a user signal", ["UPDATE ledger_usersignal SET rating = 1"]),
        ("delete the user signals", ["DELETE FROM ledger_usersignal"]),
        ("rewrite the audit trail", ["UPDATE orgs_auditentry SET reason = 'nothing happened'"]),
        ("delete the audit trail", ["DELETE FROM orgs_auditentry"]),
        (
            "move an account to another currency",
            [f"UPDATE ledger_account SET currency = 'USD' WHERE id = {clearing}"],
        ),
        ("delete an account", [f"DELETE FROM ledger_account WHERE id = {clearing}"]),
        ("rewrite a seal", ["UPDATE ledger_ledgerseal SET chain_hash = repeat('0', 64)"]),
        ("rewrite a sealed digest", ["UPDATE ledger_sealedtransaction SET digest = sha256('x')"]),
        ("delete the seals", ["DELETE FROM ledger_sealedtransaction", "DELETE FROM ledger_ledgerseal"]),
        (
            "legs slipped into a committed transaction",
            [LEG % (txn_id, clearing, 7), LEG % (txn_id, fee, -7)],
        ),
        (
            "the watermark bypass: unbalanced legs, then ledger.checked_upto raised",
            [
                f"WITH t AS ({NEW_TXN}) INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor,"
                f" effective_on, rule, basis) SELECT t.id, {clearing}, 'CNY', 100, current_date, 'attack', '{{}}' FROM t",
                "SELECT set_config('ledger.checked_upto', '9223372036854775807', true)",
            ],
        ),
        (
            "the watermark bypass, raised first",
            [
                "SELECT set_config('ledger.checked_upto', '9223372036854775807', true)",
                f"WITH t AS ({NEW_TXN}) INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor,"
                f" effective_on, rule, basis) SELECT t.id, {clearing}, 'CNY', 100, current_date, 'attack', '{{}}' FROM t",
            ],
        ),
        (
            "the created_txid bypass: a transaction of no legs under another DB transaction's id",
            [
                "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo, created_txid)"
                " VALUES ('adjustment', current_date, now(), 'attack', 1)"
            ],
        ),
        (
            "the created_txid bypass, under a future DB transaction's id",
            [
                "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo, created_txid)"
                " VALUES ('adjustment', current_date, now(), 'attack', txid_current() + 1)"
            ],
        ),
        (
            "an unbalanced transaction after a forced check",
            [
                "SET CONSTRAINTS ALL IMMEDIATE",
                f"WITH t AS ({NEW_TXN}) INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor,"
                f" effective_on, rule, basis) SELECT t.id, {clearing}, 'CNY', 100, current_date, 'attack', '{{}}' FROM t",
            ],
        ),
    ]
    schema = [
        (f"disable the triggers of {table}", [f"ALTER TABLE {table} DISABLE TRIGGER ALL"])
        for table in ("ledger_leg", "ledger_transaction", "ledger_accountday", "ledger_contract")
    ]
    schema += [
        ("disable the rollup trigger", ["ALTER TABLE ledger_leg DISABLE TRIGGER ledger_leg_rollup"]),
        ("disable the TRUNCATE guard", ["ALTER TABLE ledger_leg DISABLE TRIGGER ledger_leg_no_truncate"]),
        ("drop the append-only guard", ["DROP TRIGGER ledger_leg_append_only ON ledger_leg"]),
        (
            "replace the guard's function",
            [
                "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger"
                " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
            ],
        ),
        ("skip every trigger", ["SET session_replication_role = replica"]),
        ("take the table", ["ALTER TABLE ledger_leg OWNER TO CURRENT_USER"]),
        ("empty the pending balance checks", ["DELETE FROM ledger_balance_pending"]),
        (
            "pre-arm a future balance check",
            ["INSERT INTO ledger_balance_pending VALUES (txid_current() + 1)"],
        ),
    ]
    return data, schema


def _snapshot():
    return (
        Transaction.objects.count(),
        sorted(Leg.objects.values_list("id", "amount_minor")),
        sorted(AccountDay.objects.values_list("account_id", "day", "slot", "net_minor", "legs")),
        Contract.objects.get(status="approved").platform_fee_pct,
    )


def _try(attempts, as_owner: bool) -> tuple[list[str], dict[str, str]]:
    """Run each attempt in its own DB transaction, as the application role (Django's
    connection) or the owner; return (what was accepted, {what was refused: SQLSTATE})."""
    accepted, refused = [], {}
    for what, statements in attempts:
        try:
            if as_owner:
                with db_roles.owner_cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
            else:
                with transaction.atomic(), connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
        except (DatabaseError, psycopg.Error) as exc:
            refused[what] = getattr(exc, "sqlstate", None) or exc.__cause__.sqlstate
            continue
        accepted.append(what)
    return accepted, refused


def test_every_tampering_statement_is_refused_to_the_application_role_and_changes_nothing(ledger):
    data, schema = _attempts(*ledger)
    before = _snapshot()
    # when each attempt runs as the application role
    accepted, refused = _try(data + schema, as_owner=False)
    # then every one was refused, for a privilege, a guard or a check, and the ledger is as it was
    print(f"\n{len(data) + len(schema)} tampering attempts as the application role, {len(refused)} refused")
    assert accepted == []
    assert {what: code for what, code in refused.items() if code not in REFUSALS} == {}
    assert _snapshot() == before
    assert ledger_verify(full=True).ok
    assert set(selectors.ledger_totals_by_currency().values()) == {0}


def test_the_owner_role_is_refused_the_same_changes_of_data(ledger):
    data, _schema = _attempts(*ledger)
    before = _snapshot()
    accepted, refused = _try(data, as_owner=True)
    print(f"\n{len(data)} changes of data tried as the owner role, {len(refused)} refused")
    assert accepted == []
    assert {what: code for what, code in refused.items() if code not in REFUSALS} == {}
    assert _snapshot() == before
    assert ledger_verify(full=True).ok
