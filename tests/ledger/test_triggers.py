"""PostgreSQL refuses unbalanced, altered or late-extended ledger rows, whatever the caller.

The tests connect as the application role (tests/db_roles.py): a change of an append-only row
is refused to it by its privileges, and to the owner role by the triggers behind them.
"""

import datetime as dt

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from ledger.models import Account, Leg, Transaction
from tests import db_roles

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DAY = dt.date(2025, 1, 15)


@pytest.fixture
def accounts():
    clearing = Account.objects.create(code="clearing:CNY", kind="clearing", currency="CNY", name="Clearing")
    fee = Account.objects.create(code="platform-fee:CNY", kind="platform", currency="CNY", name="Fee")
    return clearing, fee


def _insert_transaction(cursor) -> int:
    cursor.execute(
        "INSERT INTO ledger_transaction (kind, effective_on, recorded_at, memo) "
        "VALUES ('adjustment', %s, now(), '') RETURNING id",
        [DAY],
    )
    return cursor.fetchone()[0]


def refused_to_both(sql: str, params, trigger_message: str) -> None:
    """`sql` is refused to the application role (no privilege, or the trigger) and to the
    owner role (the trigger), and changes nothing."""
    with (
        pytest.raises(DatabaseError, match=f"permission denied|{trigger_message}"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    with pytest.raises(psycopg.Error, match=trigger_message), db_roles.owner_cursor() as cursor:
        cursor.execute(sql, params)


def _insert_leg(cursor, txn_id, account, amount):
    cursor.execute(
        "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis) "
        "VALUES (%s, %s, 'CNY', %s, %s, 'test', '{}')",
        [txn_id, account.pk, amount, DAY],
    )


def test_an_unbalanced_transaction_is_refused_at_commit(accounts):
    clearing, fee = accounts
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        txn_id = _insert_transaction(cursor)
        _insert_leg(cursor, txn_id, clearing, 100)
        _insert_leg(cursor, txn_id, fee, -99)
    assert Transaction.objects.count() == 0 and Leg.objects.count() == 0


def test_a_transaction_with_one_leg_is_refused(accounts):
    with (
        pytest.raises(DatabaseError, match="at least 2"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _insert_transaction(cursor)
    assert Transaction.objects.count() == 0


def test_a_balanced_transaction_commits_and_then_cannot_be_changed(accounts):
    clearing, fee = accounts
    with transaction.atomic(), connection.cursor() as cursor:
        txn_id = _insert_transaction(cursor)
        _insert_leg(cursor, txn_id, clearing, 100)
        _insert_leg(cursor, txn_id, fee, -100)
    assert Leg.objects.filter(transaction_id=txn_id).count() == 2

    # when anyone tries to edit or delete a posted row, the database refuses at once
    for sql in (
        "UPDATE ledger_leg SET amount_minor = 5 WHERE transaction_id = %s",
        "DELETE FROM ledger_leg WHERE transaction_id = %s",
        "UPDATE ledger_transaction SET memo = 'x' WHERE id = %s",
        "DELETE FROM ledger_transaction WHERE id = %s",
    ):
        refused_to_both(sql, [txn_id], "append-only")

    # and a balanced pair of legs cannot be slipped into the committed transaction later
    with (
        pytest.raises(DatabaseError, match="already committed"),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        _insert_leg(c, txn_id, clearing, 7)
        _insert_leg(c, txn_id, fee, -7)
    assert sorted(Leg.objects.filter(transaction_id=txn_id).values_list("amount_minor", flat=True)) == [
        -100,
        100,
    ]


def test_the_orm_cannot_change_a_leg_either(accounts):
    clearing, fee = accounts
    with transaction.atomic():
        txn = Transaction.objects.create(kind="adjustment", effective_on=DAY)
        Leg.objects.bulk_create(
            [
                Leg(
                    transaction=txn,
                    account=clearing,
                    currency="CNY",
                    amount_minor=5,
                    effective_on=DAY,
                    rule="t",
                ),
                Leg(
                    transaction=txn, account=fee, currency="CNY", amount_minor=-5, effective_on=DAY, rule="t"
                ),
            ]
        )
    with pytest.raises(DatabaseError):
        Leg.objects.filter(transaction=txn).update(amount_minor=6)
    with pytest.raises(DatabaseError):
        txn.delete()


# --- the set-based balance check (ledger/sql/transaction_balanced) ----------------------------


def test_one_unbalanced_transaction_among_many_refuses_the_whole_commit(accounts):
    clearing, fee = accounts
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        for i in range(50):
            txn_id = _insert_transaction(cursor)
            _insert_leg(cursor, txn_id, clearing, 100)
            _insert_leg(cursor, txn_id, fee, -100 if i != 37 else -99)
    assert Transaction.objects.count() == 0 and Leg.objects.count() == 0


def test_a_check_forced_mid_transaction_does_not_let_later_rows_through(accounts):
    clearing, fee = accounts
    # given a balanced transaction checked early with SET CONSTRAINTS ... IMMEDIATE
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        first = _insert_transaction(cursor)
        _insert_leg(cursor, first, clearing, 100)
        _insert_leg(cursor, first, fee, -100)
        cursor.execute("SET CONSTRAINTS ledger_transaction_balanced IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ledger_transaction_balanced DEFERRED")
        # when an unbalanced one follows (an id below the watermark, too), the commit still fails
        cursor.execute(
            "INSERT INTO ledger_transaction (id, kind, effective_on, recorded_at, memo) "
            "VALUES (%s, 'adjustment', %s, now(), '')",
            [first - 1 if first > 1 else first + 1000, DAY],
        )
        low = first - 1 if first > 1 else first + 1000
        _insert_leg(cursor, low, clearing, 5)
        _insert_leg(cursor, low, fee, -4)
    assert Transaction.objects.count() == 0


def test_a_leg_added_to_a_transaction_already_checked_is_checked_again(accounts):
    clearing, fee = accounts
    # given a balanced transaction checked early, then given one more leg in the same DB transaction
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        txn_id = _insert_transaction(cursor)
        _insert_leg(cursor, txn_id, clearing, 100)
        _insert_leg(cursor, txn_id, fee, -100)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        _insert_leg(cursor, txn_id, clearing, 1)
    # then the commit checks it again and refuses it
    assert Transaction.objects.count() == 0


def test_balanced_transactions_commit_after_a_forced_check(accounts):
    clearing, fee = accounts
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(3):
            txn_id = _insert_transaction(cursor)
            _insert_leg(cursor, txn_id, clearing, 10 + i)
            _insert_leg(cursor, txn_id, fee, -10 - i)
            if i == 0:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert Transaction.objects.count() == 3 and Leg.objects.count() == 6


# --- value events, their partner links and user signals are append-only ----------------------


def test_logged_events_partner_links_and_signals_cannot_be_changed_or_removed():
    # given a logged payment with a partner, a refund of it and a user signal
    from django.utils import timezone

    from ledger import services
    from ledger.models import UserSignal, ValueEvent, ValueEventPartner
    from tests.ledger.factories import world_build

    world = world_build()
    now = timezone.now()
    payment = services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        category=world.category,
        user_ref="u-append",
        amount="10.00",
        currency="CNY",
        occurred_at=now - dt.timedelta(hours=1),
        partners=[world.partner],
    )
    services.value_event_refund(actor=world.leader, original=payment, amount="1.00", occurred_at=now)
    signal = services.user_signal_log(
        actor=world.leader,
        kind="rating",
        me=world.lead_me,
        emc=world.emc,
        user_ref="u-append",
        occurred_at=now,
        rating=4,
        expectation=3,
    )
    # when anyone edits or deletes them, with SQL or the ORM, the database refuses at once
    for sql, param in (
        ("UPDATE ledger_valueevent SET amount_minor = 1 WHERE id = %s", payment.pk),
        ("UPDATE ledger_valueevent SET user_ref = 'someone' WHERE id = %s", payment.pk),
        ("DELETE FROM ledger_valueevent WHERE original_id = %s", payment.pk),
        ("UPDATE ledger_valueeventpartner SET partner_id = partner_id WHERE event_id = %s", payment.pk),
        ("DELETE FROM ledger_valueeventpartner WHERE event_id = %s", payment.pk),
        ("UPDATE ledger_usersignal SET rating = 1 WHERE id = %s", signal.pk),
        ("DELETE FROM ledger_usersignal WHERE id = %s", signal.pk),
    ):
        refused_to_both(sql, [param], "append-only")
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        ValueEvent.objects.filter(pk=payment.pk).update(customized=True)
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        UserSignal.objects.filter(pk=signal.pk).delete()
    # then every row is as it was logged
    payment.refresh_from_db()
    assert payment.amount_minor == 1000 and payment.user_ref == "u-append" and not payment.customized
    assert ValueEvent.objects.count() == 2
    assert list(ValueEventPartner.objects.filter(event=payment).values_list("partner_id", flat=True)) == [
        world.partner.pk
    ]
    assert UserSignal.objects.get(pk=signal.pk).rating == 4


# --- legs' references, checked per statement (ledger/sql/leg_checked) -------------------------


def _insert_legs(cursor, rows):
    """One multi-row INSERT: (transaction_id, account_id, currency, amount, contract_id)."""
    cursor.execute(
        "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, "
        "contract_id, basis) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, 'test', %s, '{}')"] * len(rows)),
        [
            v
            for txn, account, currency, amount, contract in rows
            for v in (txn, account, currency, amount, DAY, contract)
        ],
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("account", "account .* does not exist"),
        ("transaction", "transaction .* does not exist"),
        ("contract", "contract .* does not exist"),
        ("currency", "in USD on account .* which is in CNY"),
    ],
)
def test_a_leg_with_a_bad_reference_is_refused_even_among_good_ones(accounts, bad, message):
    clearing, fee = accounts
    # given a statement of many balanced legs where ONE leg is wrong in one way
    with pytest.raises(DatabaseError, match=message), transaction.atomic(), connection.cursor() as cursor:
        txn_ids = [_insert_transaction(cursor) for _ in range(20)]
        rows = []
        for txn_id in txn_ids:
            rows += [(txn_id, clearing.pk, "CNY", 100, None), (txn_id, fee.pk, "CNY", -100, None)]
        missing = 10**12
        txn_id = txn_ids[13]
        rows[27] = {
            "account": (txn_id, missing, "CNY", 100, None),
            "transaction": (missing, clearing.pk, "CNY", 100, None),
            "contract": (txn_id, clearing.pk, "CNY", 100, missing),
            "currency": (txn_id, clearing.pk, "USD", 100, None),
        }[bad]
        _insert_legs(cursor, rows)
    # then nothing was written
    assert Transaction.objects.count() == 0 and Leg.objects.count() == 0


def test_accounts_and_contracts_cannot_be_deleted(accounts):
    from tests.ledger.factories import world_build

    clearing, _fee = accounts
    world = world_build()
    for table, pk in (("ledger_account", clearing.pk), ("ledger_contract", world.contract.pk)):
        refused_to_both(f"DELETE FROM {table} WHERE id = %s", [pk], "never deleted")
    assert Account.objects.filter(pk=clearing.pk).exists()


def test_an_account_keeps_its_currency_and_id_and_a_contract_its_id(accounts):
    from tests.ledger.factories import world_build

    clearing, _fee = accounts
    world = world_build()
    for sql, pk in (
        ("UPDATE ledger_account SET currency = 'USD' WHERE id = %s", clearing.pk),
        ("UPDATE ledger_account SET id = id + 1000 WHERE id = %s", clearing.pk),
        ("UPDATE ledger_contract SET id = id + 1000 WHERE id = %s", world.contract.pk),
    ):
        refused_to_both(sql, [pk], "keep their id")
    # the owner may still rename an account (the application role may not update accounts)
    with db_roles.owner_cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET name = 'User-payments clearing (CNY)' WHERE id = %s", [clearing.pk]
        )
    clearing.refresh_from_db()
    assert clearing.currency == "CNY" and clearing.name == "User-payments clearing (CNY)"


def test_legs_written_by_copy_are_checked_like_inserts(accounts):
    from ledger import bulk

    clearing, fee = accounts
    columns = ["transaction_id", "account_id", "currency", "amount_minor", "effective_on", "rule", "basis"]

    def line(txn_id, account_id, amount):
        return f"{txn_id}\t{account_id}\tCNY\t{amount}\t{DAY.isoformat()}\ttest\t{{}}\n"

    # given 600 balanced transactions whose legs go in by COPY (the import's path), one of them
    # on an account that does not exist
    with pytest.raises(DatabaseError, match=r"account .* does not exist"), transaction.atomic():
        with connection.cursor() as cursor:
            txn_ids = [_insert_transaction(cursor) for _ in range(600)]
        lines = [line(t, clearing.pk, 100) for t in txn_ids] + [line(t, fee.pk, -100) for t in txn_ids]
        lines[777] = line(txn_ids[177], 10**12, -100)
        bulk.copy_text("ledger_leg", columns, lines)
    assert Transaction.objects.count() == 0 and Leg.objects.count() == 0
    # and the same rows with the right account commit
    with transaction.atomic():
        with connection.cursor() as cursor:
            txn_ids = [_insert_transaction(cursor) for _ in range(600)]
        bulk.copy_text(
            "ledger_leg",
            columns,
            [line(t, clearing.pk, 100) for t in txn_ids] + [line(t, fee.pk, -100) for t in txn_ids],
        )
    assert Leg.objects.count() == 1200
