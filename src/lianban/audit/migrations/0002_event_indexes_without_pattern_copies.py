"""The event's hash and verb keep their indexes (renamed in the model's state only, to a
constraint and an index of the same names), and lose the pattern-matching copies PostgreSQL
had of them: nothing compares either by prefix, and every append wrote both. Nothing is
rebuilt: on a province's chain of millions of events this runs at once."""

from django.db import migrations, models

PATTERN_COPIES = ("audit_event_hash_254485c8_like", "audit_event_verb_a7af3e69_like")


def drop_pattern_copies(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in PATTERN_COPIES:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def make_pattern_copies(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in zip(PATTERN_COPIES, ("hash", "verb"), strict=True):
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "audit_event" '
                f'("{column}" varchar_pattern_ops)'
            )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="hash",
                    field=models.CharField(max_length=64),
                ),
                migrations.AddConstraint(
                    model_name="event",
                    constraint=models.UniqueConstraint(
                        fields=("hash",), name="audit_event_hash_key"
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="verb",
                    field=models.CharField(max_length=64, verbose_name="动作"),
                ),
                migrations.AddIndex(
                    model_name="event",
                    index=models.Index(fields=["verb"], name="audit_event_verb_a7af3e69"),
                ),
            ],
            database_operations=[migrations.RunPython(drop_pattern_copies, make_pattern_copies)],
        ),
    ]
