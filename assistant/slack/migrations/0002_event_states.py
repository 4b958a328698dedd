"""Slack events record where their answer stands (received, queued, answering), for the reconciler."""

from django.db import migrations, models


def mark_claimed_events_answering(apps, schema_editor):
    """Events a worker holds right now were 'queued' with a claim; they are 'answering' now."""
    SlackEvent = apps.get_model("slack", "SlackEvent")
    waiting = SlackEvent.objects.filter(status="queued")
    waiting.filter(claimed_until__isnull=False).update(status="answering")
    waiting.filter(queued_at__isnull=True).update(queued_at=models.F("received_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("slack", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="slackevent",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slackevent",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="slackevent",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("queued", "Queued"),
                    ("answering", "Answering"),
                    ("answered", "Answered"),
                    ("unlinked", "Sent link instructions"),
                    ("failed", "Failed"),
                ],
                default="received",
                max_length=10,
            ),
        ),
        migrations.AddIndex(
            model_name="slackevent",
            index=models.Index(
                condition=models.Q(("status__in", ["received", "queued", "answering"])),
                fields=["status"],
                name="slack_event_unanswered",
            ),
        ),
        migrations.RunPython(mark_claimed_events_answering, migrations.RunPython.noop),
    ]
