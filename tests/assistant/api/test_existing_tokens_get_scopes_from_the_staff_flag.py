from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assistant.api.scopes import default_scopes

BEFORE = [("api", "0001_initial")]
AFTER = [("api", "0002_token_scopes")]


def test_staff_keep_chat_and_documents_and_everyone_else_keeps_chat():
    assert default_scopes(is_staff=True) == ["chat", "documents"]
    assert default_scopes(is_staff=False) == ["chat"]


@pytest.mark.django_db
def test_the_migration_scopes_existing_tokens_by_their_users_staff_flag_at_that_time():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user_model = old.get_model("auth", "User")
    token_model = old.get_model("api", "ApiToken")
    admin = user_model.objects.create(username="admin", is_staff=True)
    member = user_model.objects.create(username="member", is_staff=False)
    token_model.objects.create(user=admin, name="a", prefix="eat_a", token_hash="a" * 64)
    token_model.objects.create(user=member, name="m", prefix="eat_m", token_hash="m" * 64)
    # The rows above leave deferred foreign-key checks pending in this transaction, and PostgreSQL
    # refuses to alter a table while any are.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps.get_model("api", "ApiToken")
    assert new.objects.get(name="a").scopes == ["chat", "documents"]
    assert new.objects.get(name="m").scopes == ["chat"]
    assert new.objects.get(name="a").expires_at is None
