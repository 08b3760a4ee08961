"""The restore drill: a pg_dump of the ledger restores into a fresh database where verify_ledger
passes; a copy corrupted by the owner, triggers off, shows each kind of break with its ids.
(README: Backup and restore.)"""

import json
import os
import subprocess
import sys

import psycopg
import pytest

from ledger import services
from ledger.models import Account, Leg, Transaction, ValueEvent
from ledger.verification import ledger_verify
from tests import db_roles
from tests.conftest import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _verify_copy(dbname: str) -> tuple[int, dict]:
    """`manage.py verify_ledger --full --json` on `dbname`, as the application role."""
    env = {
        **os.environ,
        "DATABASE_URL": db_roles.database_url(user=db_roles.app(), dbname=dbname),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_ledger", "--full", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def ledger(world, log, now):
    """Six payments (the first with a refund, the third reversed): their transaction ids, the
    payments and the reversal's id."""
    payments = [log(user_ref=f"u-drill-{i}", amount=f"{10 * (i + 1)}.00") for i in range(6)]
    services.value_event_refund(actor=world.leader, original=payments[0], amount="1.00", occurred_at=now)
    reversal = services.transaction_reverse(
        actor=world.admin, txn=Transaction.objects.get(pk=payments[2].transaction_id), reason="drill"
    )
    return [p.transaction_id for p in payments], payments, reversal.pk


def test_a_dump_restores_into_a_fresh_database_that_verifies_and_a_corrupted_copy_shows_each_break(
    ledger, tmp_path
):
    txn, payments, reversal = ledger
    assert ledger_verify().ok  # sealed: the copy's chain is checked too
    copy = f"{db_roles.test_database()}_restored"
    dump = tmp_path / "ledger.dump"
    owner = db_roles.owner()
    # given a dump taken as the owner and restored into a fresh database the owner creates
    subprocess.run(
        ["pg_dump", "-Fc", *db_roles.tool_args(owner), "-d", db_roles.test_database(), "-f", str(dump)],
        env=db_roles.tool_env(),
        check=True,
        capture_output=True,
    )
    with db_roles.connect(user=owner, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        conn.execute(f'CREATE DATABASE "{copy}"')
    try:
        restored = subprocess.run(
            ["pg_restore", "--exit-on-error", *db_roles.tool_args(owner), "-d", copy, str(dump)],
            env=db_roles.tool_env(),
            capture_output=True,
            text=True,
        )
        assert restored.returncode == 0, restored.stderr

        # when verify_ledger runs on it: it passes, and the application role is as restricted there
        code, result = _verify_copy(copy)
        assert code == 0 and result["ok"], result
        with db_roles.app_connect(copy) as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("TRUNCATE ledger_leg")

        # given the copy corrupted by the owner, with the triggers off
        clearing = Account.objects.get(code="clearing:CNY").pk
        reversal_legs = sorted(Leg.objects.filter(transaction_id=reversal).values_list("id", flat=True))
        orphan_event = ValueEvent.objects.get(transaction_id=txn[1]).pk
        with db_roles.owner_connect(copy) as conn:
            for table in (
                "ledger_leg",
                "ledger_transaction",
                "ledger_accountday",
                "ledger_sealedtransaction",
            ):
                conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            (event_fk,) = conn.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_valueevent'::regclass"
                " AND contype = 'f' AND pg_get_constraintdef(oid) LIKE 'FOREIGN KEY (transaction_id)%'"
            ).fetchone()
            conn.execute(f'ALTER TABLE ledger_valueevent DROP CONSTRAINT "{event_fk}"')
            # a leg changed: unbalanced, rollup and digest
            conn.execute(
                "UPDATE ledger_leg SET amount_minor = amount_minor + 1 WHERE transaction_id = %s AND account_id = %s",
                [txn[0], clearing],
            )
            # a rollup changed
            conn.execute(
                "UPDATE ledger_accountday SET net_minor = net_minor + 100 WHERE account_id ="
                " (SELECT id FROM ledger_account WHERE code = 'platform-fee:CNY')"
            )
            # a posted transaction removed with its legs: its event points nowhere
            conn.execute("DELETE FROM ledger_leg WHERE transaction_id = %s", [txn[1]])
            conn.execute("DELETE FROM ledger_transaction WHERE id = %s", [txn[1]])
            # a reversal removed, its legs left behind
            conn.execute("DELETE FROM ledger_transaction WHERE id = %s", [reversal])
            # a memo changed: only the digest knows
            conn.execute("UPDATE ledger_transaction SET memo = 'tampered' WHERE id = %s", [txn[3]])
            # a sealed digest rewritten: the seal's window hash no longer matches
            conn.execute(
                "UPDATE ledger_sealedtransaction SET digest = sha256('forged') WHERE transaction_id = %s",
                [txn[4]],
            )
            # a payment turned into an adjustment: its event no longer matches
            conn.execute("UPDATE ledger_transaction SET kind = 'adjustment' WHERE id = %s", [txn[5]])
            # a balanced transaction slipped in under an old DB transaction id
            forged = conn.execute(
                "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo, created_txid)"
                " VALUES ('adjustment', current_date, now(), 'slipped in', 1) RETURNING id"
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
                " SELECT %s, id, 'CNY', CASE WHEN code = 'clearing:CNY' THEN 5 ELSE -5 END, current_date, 'x', '{}'"
                " FROM ledger_account WHERE code IN ('clearing:CNY', 'platform-fee:CNY')",
                [forged],
            )

        # when verify_ledger --full runs on the corrupted copy
        code, result = _verify_copy(copy)

        # then it exits non-zero and names every break
        found = {b["check"]: b for b in result["breaks"]}
        assert code == 1 and not result["ok"]
        assert found["unbalanced"]["ids"] == [txn[0]]
        assert found["digest_changed"]["ids"] == sorted([txn[0], txn[3], txn[4], txn[5]])
        assert found["digest_removed"]["ids"] == sorted([txn[1], reversal])
        assert found["event_without_transaction"]["ids"] == [orphan_event]
        assert found["legs_without_transaction"]["ids"] == reversal_legs
        assert found["event_mismatch"]["ids"] == [txn[5]]
        assert found["unsealed_below_horizon"]["ids"] == [forged]
        assert found["seal_broken"]["ids"] == [1]
        fee = Account.objects.get(code="platform-fee:CNY").pk
        day = payments[0].occurred_on.isoformat()
        assert [clearing, day] in found["rollup_mismatch"]["ids"] and [fee, day] in found["rollup_mismatch"][
            "ids"
        ]
        assert set(found) == {
            "unbalanced",
            "legs_without_transaction",
            "rollup_mismatch",
            "event_mismatch",
            "event_without_transaction",
            "digest_changed",
            "digest_removed",
            "seal_broken",
            "unsealed_below_horizon",
        }
    finally:
        with db_roles.connect(user=owner, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
