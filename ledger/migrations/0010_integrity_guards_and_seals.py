"""Money that cannot be tampered with (PostgreSQL; other databases get only the seal tables).

- The balance check can no longer be skipped (ledger/sql/transaction_balanced.v4.sql): no
  watermark setting any role could raise, and created_txid is always the database's own.
  ledger/sql/leg_checked.v3.sql drops its watermark too; retired/balance_watermark goes.
- The daily rollups are written by the database from leg inserts, as the owner role, and any
  other change of them is refused (ledger/sql/leg_rollup.v1.sql).
- Approved contracts and their terms are immutable; the only change left is approved ->
  withdrawn (ledger/sql/contract_immutable.v1.sql, which keeps a contract's id too, so
  ledger/sql/keys_fixed.v2.sql keeps only the account's).
- TRUNCATE is refused by `ledger_refuse_truncate()` (ledger/sql/refuse_truncate.v1.sql), which
  `ledger.append_only` binds, after every migrate, to every append-only table with the grants
  of the application role.
- LedgerSeal / SealedTransaction: the hash chain `verify_ledger` writes.

Backwards, the versions before come back (and the bindings of ledger_refuse_truncate go with it).
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from ledger.migrations._postgres import postgres_sql, sql_file

FORWARD = "\n".join(
    [
        sql_file("refuse_truncate", 1),
        "DROP TRIGGER IF EXISTS ledger_transaction_watermark ON ledger_transaction;",
        "DROP FUNCTION IF EXISTS ledger_transaction_lower_watermark();",
        sql_file("transaction_balanced", 4),
        sql_file("leg_checked", 3),
        "DROP FUNCTION IF EXISTS ledger_checked_upto();",
        sql_file("leg_rollup", 1),
        "DROP TRIGGER IF EXISTS ledger_contract_keys_fixed ON ledger_contract;",
        sql_file("keys_fixed", 2),
        sql_file("contract_immutable", 1),
    ]
)

BACKWARD = "\n".join(
    [
        """
DROP TRIGGER IF EXISTS ledger_contractgoal_terms_fixed ON ledger_contractgoal;
DROP TRIGGER IF EXISTS ledger_contractnodeshare_terms_fixed ON ledger_contractnodeshare;
DROP TRIGGER IF EXISTS ledger_contractpartnershare_terms_fixed ON ledger_contractpartnershare;
DROP TRIGGER IF EXISTS ledger_contracttier_terms_fixed ON ledger_contracttier;
DROP FUNCTION IF EXISTS ledger_contract_terms_guard();
DROP TRIGGER IF EXISTS ledger_contract_immutable ON ledger_contract;
DROP FUNCTION IF EXISTS ledger_contract_guard();
""",
        sql_file("keys_fixed", 1),
        """
DROP TRIGGER IF EXISTS ledger_accountday_written_by_legs ON ledger_accountday;
DROP FUNCTION IF EXISTS ledger_accountday_refuse();
DROP TRIGGER IF EXISTS ledger_leg_rollup ON ledger_leg;
DROP FUNCTION IF EXISTS ledger_leg_rollup();
""",
        sql_file("balance_watermark", 1),
        """
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_balance_pending;
DROP TRIGGER IF EXISTS ledger_transaction_inserted ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_transactions_inserted();
""",
        sql_file("transaction_balanced", 3),
        sql_file("leg_checked", 2),
        "DROP TABLE IF EXISTS ledger_balance_pending;",
        "DROP FUNCTION IF EXISTS ledger_refuse_truncate() CASCADE;",
    ]
)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0009_import_queued_at_account_keys_fixed'),
    ]

    operations = [
        migrations.CreateModel(
            name='LedgerSeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(unique=True)),
                ('sealed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('full', models.BooleanField(default=False, help_text='Whether the whole ledger was checked.')),
                ('scan_from', models.BigIntegerField()),
                ('transactions', models.PositiveIntegerField()),
                ('first_transaction_id', models.BigIntegerField()),
                ('last_transaction_id', models.BigIntegerField()),
                ('digest_version', models.PositiveSmallIntegerField(default=1)),
                ('window_hash', models.CharField(max_length=64)),
                ('chain_hash', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': 'ledger seal',
                'verbose_name_plural': 'ledger seals',
                'ordering': ['-number'],
            },
        ),
        migrations.CreateModel(
            name='SealedTransaction',
            fields=[
                ('transaction', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='sealed', serialize=False, to='ledger.transaction')),
                ('digest', models.BinaryField(max_length=32)),
                ('seal', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='ledger.ledgerseal')),
            ],
            options={
                'ordering': ['transaction'],
            },
        ),
        postgres_sql(FORWARD, BACKWARD),
    ]
