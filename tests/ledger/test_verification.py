"""verify_ledger: the ledger checks itself and seals what it checked in a hash chain."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger.models import LedgerSeal, SealedTransaction, Transaction
from ledger.verification import GENESIS, chain_hash, ledger_verify
from orgs.models import AuditEntry
from tests import db_roles


@pytest.mark.django_db
def test_a_clean_ledger_verifies_and_the_command_says_so(log):
    # given a few postings
    for amount in ("10.00", "20.00", "30.00"):
        log(amount=amount)
    # when the ledger is verified, by the service and the command
    result = ledger_verify(full=True)
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    # then there is no break
    assert result.ok and result.breaks == [] and result.transactions_checked == 3
    assert "ledger verified: no break" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_clean_check_seals_only_what_was_recorded_since_the_last(log):
    first = [log(amount="10.00").transaction_id for _ in range(3)]
    # when the ledger is verified twice with postings in between
    one = ledger_verify()
    second = [log(amount="20.00").transaction_id, log(amount="30.00").transaction_id]
    two = ledger_verify()
    nothing_new = ledger_verify()
    # then each seal holds exactly the transactions recorded since the one before, chained to it
    assert one.ok and one.seal_number == 1 and one.transactions_checked == 3
    assert two.ok and two.seal_number == 2 and two.transactions_checked == 2
    seal1, seal2 = LedgerSeal.objects.order_by("number")
    assert (
        sorted(SealedTransaction.objects.filter(seal=seal1).values_list("transaction_id", flat=True)) == first
    )
    assert (
        sorted(SealedTransaction.objects.filter(seal=seal2).values_list("transaction_id", flat=True))
        == second
    )
    assert seal1.chain_hash == chain_hash(GENESIS, seal1.window_hash)
    assert seal2.chain_hash == chain_hash(seal1.chain_hash, seal2.window_hash)
    # and a check with nothing new seals nothing and keeps the head
    assert nothing_new.ok and nothing_new.seal_number is None and nothing_new.chain_head == seal2.chain_hash
    # and each seal has its audit row; a full check agrees
    assert AuditEntry.objects.filter(action="ledger.seal").count() == 2
    assert ledger_verify(full=True).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_posting_that_commits_late_with_a_lower_id_is_never_skipped(log):
    from ledger.models import Account

    log()  # creates the accounts
    clearing, fee = (Account.objects.get(code=c) for c in ("clearing:CNY", "platform-fee:CNY"))
    # given a DB transaction that takes a transaction id and stays open
    late = db_roles.app_connect()
    late_id = late.execute(
        "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo)"
        " VALUES ('adjustment', current_date, now(), 'late') RETURNING id"
    ).fetchone()[0]
    late.execute(
        "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
        " VALUES (%s, %s, 'CNY', 5, current_date, 'test', '{}'), (%s, %s, 'CNY', -5, current_date, 'test', '{}')",
        [late_id, clearing.pk, late_id, fee.pk],
    )
    # and a posting after it (a higher id) that commits first, then a clean check
    early_id = log().transaction_id
    assert early_id > late_id
    first = ledger_verify()
    # when the late one commits and the ledger is verified again
    late.commit()
    late.close()
    second = ledger_verify()
    # then the first check sealed what had committed, the second the late one: none skipped
    sealed = dict(SealedTransaction.objects.values_list("transaction_id", "seal__number"))
    assert first.ok and second.ok
    assert sealed[early_id] == first.seal_number and sealed[late_id] == second.seal_number
    assert set(sealed) == set(Transaction.objects.values_list("id", flat=True))
    assert ledger_verify(full=True).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_break_in_the_window_is_reported_with_its_id_and_nothing_is_sealed_until_it_is_gone(log):
    log()
    assert ledger_verify().seal_number == 1
    # given an unbalanced transaction written by the owner with the triggers off
    with db_roles.owner_cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_leg DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction DISABLE TRIGGER USER")
        cursor.execute(
            "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo)"
            " VALUES ('adjustment', current_date, now(), 'forged') RETURNING id"
        )
        forged = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
            " SELECT %s, id, 'CNY', 100, current_date, 'forged', '{}' FROM ledger_account WHERE code = 'clearing:CNY'",
            [forged],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (no pending events: triggers may come back)
        cursor.execute("ALTER TABLE ledger_leg ENABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction ENABLE TRIGGER USER")
    # when the ledger is verified (incrementally), twice
    first, again = ledger_verify(), ledger_verify()
    # then the break names the transaction, and the window stays open
    for result in (first, again):
        assert not result.ok and result.seal_number is None
        found = {b.check: b for b in result.breaks}
        assert found["unbalanced"].ids == [forged]
        assert found["rollup_mismatch"].count == 1  # the forged leg has no rollup (triggers were off)
    assert LedgerSeal.objects.count() == 1
    # and the command exits non-zero
    with pytest.raises(CommandError) as exc:
        call_command("verify_ledger", stdout=io.StringIO())
    assert exc.value.returncode == 1
