"""ImportBatch.queued_at (when its background task was queued, for the stale-import sweep), and
on PostgreSQL: an account keeps its id and currency, a contract its id.

Since 0006 a leg's account and contract are checked when the leg is written, and accounts and
contracts refuse DELETE. An UPDATE could still move an account's id or currency out from under
its legs (a review found `UPDATE ledger_account SET currency = 'USD'` accepted under CNY legs).
The BEFORE UPDATE triggers refuse exactly those changes; names and other fields stay editable
(ledger/sql/keys_fixed.v1.sql).
"""

from django.db import migrations, models

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = sql_file("keys_fixed", 1)

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_contract_keys_fixed ON ledger_contract;
DROP TRIGGER IF EXISTS ledger_account_keys_fixed ON ledger_account;
DROP FUNCTION IF EXISTS ledger_refuse_key_change();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_checks_planned_per_statement")]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        postgres_sql(FORWARD, BACKWARD),
    ]
