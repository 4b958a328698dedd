"""Documents count their ingestion runs, so a stale run cannot write over a newer one."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0006_access_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="run",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
