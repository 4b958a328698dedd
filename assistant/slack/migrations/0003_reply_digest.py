"""Slack replies remember what they show, so a re-render after an access change posts only changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0002_event_states"),
    ]

    operations = [
        migrations.AddField(
            model_name="slackevent",
            name="reply_digest",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
