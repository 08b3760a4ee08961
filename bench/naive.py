"""The balance benchmark's fixture and baseline (a SUM over the legs). The posting and import
floors are in bench/phases.py: they write again the very rows the service wrote. Nothing here
is used by the application."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import Sum

from ledger.models import (
    ROLLUP_SLOTS,
    Account,
    Leg,
)


def bulk_load_legs(world, target: Account, legs: int, days: int = 1000) -> tuple[dt.date, int]:
    """Give the account `target` `legs` more legs spread over `days` days, balanced against clearing.

    Loaded in one SQL statement per table with triggers off for the load
    (session_replication_role = replica, superuser only: the bench connects as the owner, not
    as the application role): this is fixture data, not a figure. The rollups are then built
    from the legs with one INSERT ... SELECT ... GROUP BY (the rollup trigger is off too).
    """
    other = Account.objects.get(kind="clearing", currency="CNY")
    first_day = dt.date(2024, 1, 1)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_transaction")
        base = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO ledger_transaction (id, kind, effective_on, recorded_at, memo)"
            " SELECT %s + g, 'adjustment', %s::date + (g %% %s), now(), 'bench' FROM generate_series(1, %s) g",
            [base, first_day, days, legs],
        )
        cur.execute(
            "INSERT INTO ledger_leg (transaction_id, account_id, currency, amount_minor, effective_on, rule, basis)"
            " SELECT t.id, a.account_id, 'CNY', a.sign * (1 + (t.id * 7919) %% 100000), t.effective_on, 'bench', '{}'"
            " FROM ledger_transaction t CROSS JOIN (VALUES (%s, -1), (%s, 1)) AS a(account_id, sign)"
            " WHERE t.id > %s",
            [target.pk, other.pk, base],
        )
        cur.execute(
            "INSERT INTO ledger_accountday (account_id, day, slot, net_minor, debit_minor, credit_minor, legs)"
            " SELECT account_id, effective_on, transaction_id %% %s, SUM(amount_minor), SUM(GREATEST(amount_minor, 0)),"
            " SUM(GREATEST(-amount_minor, 0)), COUNT(*) FROM ledger_leg WHERE transaction_id > %s"
            " GROUP BY account_id, effective_on, transaction_id %% %s"
            " ON CONFLICT (account_id, day, slot) DO UPDATE SET net_minor = ledger_accountday.net_minor + EXCLUDED.net_minor,"
            " debit_minor = ledger_accountday.debit_minor + EXCLUDED.debit_minor,"
            " credit_minor = ledger_accountday.credit_minor + EXCLUDED.credit_minor,"
            " legs = ledger_accountday.legs + EXCLUDED.legs",
            [ROLLUP_SLOTS, base, ROLLUP_SLOTS],
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('ledger_transaction', 'id'), %s)", [base + legs])
    with connection.cursor() as cur:
        cur.execute("ANALYZE ledger_leg; ANALYZE ledger_accountday")
    return first_day, days


def naive_balance(account_id: int, as_of: dt.date) -> int:
    """The baseline: sum every leg of the account up to the date."""
    total = Leg.objects.filter(account_id=account_id, effective_on__lte=as_of).aggregate(
        s=Sum("amount_minor")
    )["s"]
    return total or 0
