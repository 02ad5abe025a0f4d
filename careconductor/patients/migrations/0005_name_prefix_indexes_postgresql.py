"""PostgreSQL: indexes for case-insensitive name prefixes.

Django's `istartswith` on PostgreSQL is `UPPER(col::text) LIKE UPPER('abc%')`, which no plain index serves;
these expression indexes (text_pattern_ops, so LIKE prefixes use them under any collation) do. SQLite's
LIKE is case-insensitive already and uses the existing indexes, so nothing is made there."""

from django.db import migrations

COLUMNS = ("family_name", "given_name", "preferred_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS patient_upper_{column}_idx "
            f"ON patients_patient (UPPER({column}::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS patient_upper_{column}_idx")


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_versions_portal_user")]

    operations = [migrations.RunPython(create, drop)]
