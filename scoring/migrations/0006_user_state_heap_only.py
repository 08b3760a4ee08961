from django.db import migrations


def fillfactor_set(apps, schema_editor):
    """Keep a fifth of each page of the state free, so that a night's updates of a row (no
    indexed column changes) stay on its page: heap-only, no index rewritten (PostgreSQL)."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ALTER TABLE scoring_userstate SET (fillfactor = 80)")


def fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("ALTER TABLE scoring_userstate RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0005_window_sums"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="userstate",
            name="scoring_use_lapses__de5a04_idx",
        ),
        migrations.RemoveIndex(
            model_name="userstate",
            name="scoring_use_stamp_ffc09f_idx",
        ),
        migrations.RunPython(fillfactor_set, fillfactor_reset),
    ]
