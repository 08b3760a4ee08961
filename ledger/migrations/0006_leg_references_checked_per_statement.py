"""Legs' references are checked once per statement instead of once per row and column.

Legs are the ledger's highest-volume rows (about 8 per value event). A FOREIGN KEY costs
PostgreSQL one lookup per row and column at commit: for a 20,000-row CSV import that was 480,000
lookups and 1.3 of its 3.4 seconds of database time. This migration:

1. drops the three FK constraints of ledger_leg (transaction, account, contract) and the two
   indexes nothing reads (account alone: (account, effective_on) serves it; contract: the
   transaction carries the contract and is indexed), and the redundant single-column indexes
   of value events (me, emc: the (me|emc, occurred_on) indexes serve them) and partner links
   (event: the unique (event, partner) index serves it);
2. PostgreSQL: replaces the statement-level trigger on legs with `ledger_leg_checked`
   (ledger/sql/leg_checked.v1.sql), which
   checks, set-based over the statement's new rows (transition table), everything the old
   trigger did (legs only join a transaction created by this DB transaction and not yet
   checked as balanced) plus what the FKs did (the transaction, the account and the contract
   exist) plus one thing they did not (a leg's currency is its account's);
3. PostgreSQL: accounts and contracts refuse DELETE (transactions already do), so a reference
   checked on insert stays valid (ledger/sql/refuse_delete.v1.sql). TRUNCATE stayed allowed
   until 0010.
"""

import django.db.models.deletion
from django.db import migrations, models

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = "\n".join(
    [
        sql_file("leg_checked", 1),
        "DROP TRIGGER IF EXISTS ledger_leg_same_db_transaction ON ledger_leg;",
        "DROP FUNCTION IF EXISTS ledger_check_legs_same_db_transaction();",
        sql_file("refuse_delete", 1),
    ]
)

# back to 0004's trigger (the FK constraints come back with the AlterField operations)
BACKWARD = "\n".join(
    [
        "DROP TRIGGER IF EXISTS ledger_contract_no_delete ON ledger_contract;",
        "DROP TRIGGER IF EXISTS ledger_account_no_delete ON ledger_account;",
        "DROP FUNCTION IF EXISTS ledger_refuse_delete();",
        "DROP TRIGGER IF EXISTS ledger_leg_checked ON ledger_leg;",
        "DROP FUNCTION IF EXISTS ledger_check_new_legs();",
        sql_file("legs_same_db_transaction", 2),
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0005_events_append_only"),
        ("orgs", "0002_reference_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="leg",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="legs",
                to="ledger.account",
            ),
        ),
        migrations.AlterField(
            model_name="leg",
            name="contract",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ledger.contract",
            ),
        ),
        migrations.AlterField(
            model_name="leg",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="legs",
                to="ledger.transaction",
            ),
        ),
        migrations.AlterField(
            model_name="valueevent",
            name="emc",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="value_events",
                to="orgs.emc",
            ),
        ),
        migrations.AlterField(
            model_name="valueevent",
            name="me",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="value_events",
                to="orgs.microenterprise",
            ),
        ),
        migrations.AlterField(
            model_name="valueeventpartner",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="partner_links",
                to="ledger.valueevent",
            ),
        ),
        postgres_sql(FORWARD, BACKWARD),
    ]
