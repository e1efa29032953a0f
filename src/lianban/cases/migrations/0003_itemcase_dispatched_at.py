# 电子监察 reads item cases by dispatch month: the rollup's refresh and the drill-down.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_itemcase_running_due_and_more"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="itemcase",
            index=models.Index(fields=["dispatched_at"], name="itemcase_dispatched_at"),
        ),
    ]
