"""Tokens get a scope and an optional expiry; existing tokens keep what they could do."""

from typing import Any

import django.contrib.postgres.fields
from django.db import migrations, models

import assistant.api.models
from assistant.api.scopes import default_scopes


def scope_existing_tokens(apps: Any, schema_editor: Any) -> None:
    """Staff's tokens keep chat and documents, everyone else's keep chat (the staff flag of now)."""
    api_token = apps.get_model("api", "ApiToken")
    for is_staff in (True, False):
        api_token.objects.filter(user__is_staff=is_staff).update(
            scopes=default_scopes(is_staff=is_staff)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("chat", "Chat: chat completions, models and moderations (/v1)"),
                        ("documents", "Documents: manage documents (/api/documents); staff only"),
                    ],
                    max_length=20,
                ),
                default=assistant.api.models.chat_scope,
                size=None,
            ),
        ),
        # Scopes of the staff flag at migration time; later changes of the flag are checked on
        # every request instead (assistant.api.auth).
        migrations.RunPython(scope_existing_tokens, migrations.RunPython.noop, elidable=True),
    ]
