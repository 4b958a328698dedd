"""The append-only access log of documents (see DocumentAccessChange), guarded by a trigger."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Rows are only ever inserted. The one update let through is ON DELETE SET NULL of the actor
# (deleting an account must stay possible; actor_name keeps who it was). TRUNCATE is a statement
# of the table's owner, as is dropping the trigger; it is not guarded here.
TRIGGER = """
CREATE FUNCTION retrieval_access_change_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'The document access log is append-only: % is not allowed.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER retrieval_access_change_append_only
BEFORE UPDATE OR DELETE ON retrieval_documentaccesschange
FOR EACH ROW EXECUTE FUNCTION retrieval_access_change_append_only();
"""

UNDO = """
DROP TRIGGER retrieval_access_change_append_only ON retrieval_documentaccesschange;
DROP FUNCTION retrieval_access_change_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("retrieval", "0005_document_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentAccessChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("document_id", models.BigIntegerField()),
                ("document_title", models.CharField(max_length=300)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("changed", "Changed"),
                            ("deleted", "Deleted"),
                        ],
                        max_length=10,
                    ),
                ),
                ("actor_name", models.CharField(max_length=150)),
                ("before", models.JSONField(blank=True, null=True)),
                ("after", models.JSONField(blank=True, null=True)),
                (
                    "before_principals",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), blank=True, default=list, size=None
                    ),
                ),
                (
                    "after_principals",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), blank=True, default=list, size=None
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["document_id", "created_at"], name="accesschange_document_time"
                    )
                ],
            },
        ),
        migrations.RunSQL(TRIGGER, UNDO),
    ]
