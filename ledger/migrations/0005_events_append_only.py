"""PostgreSQL: value events, their partner links and user signals are append-only too.

BEFORE UPDATE OR DELETE triggers (reusing `ledger_refuse_change()` from 0002) on
ledger_valueevent, ledger_valueeventpartner and ledger_usersignal: like transactions and legs,
a logged event or signal is corrected by a refund/reversal or a new row, never edited or
removed. TRUNCATE stays allowed (test teardown, disaster recovery). Nothing in the code updates
or deletes these rows; on other databases this migration does nothing.
"""

from django.db import migrations

TABLES = ("ledger_valueevent", "ledger_valueeventpartner", "ledger_usersignal")

FORWARD = "\n".join(
    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();"
    for table in TABLES
)
BACKWARD = "\n".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_incremental_balance_check")]

    operations = [migrations.RunPython(forward, backward)]
