"""Every change of who may read a document is logged with who made it, and the log is append-only.

Alice's HR document is created, Carol (an admin outside HR) grants herself access, which works and
is logged, then deletes it; the history stays, and the database itself refuses to rewrite it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from retrieval.access import group_principal, user_principal
from retrieval.models import DocumentAccessChange
from tests.retrieval.ui.conftest import AS_SCRIPT


def test_every_access_change_is_logged_and_the_log_cannot_be_changed(
    staff_client, ingested, alice, carol, groups
) -> None:  # type: ignore[no-untyped-def]
    from retrieval.services import document_set_access

    hr = groups["HR"]
    document = ingested(
        "salary-bands.md", b"# Salary bands\n\nBands start at 48,000.\n", groups=[hr]
    )
    document_set_access(document=document, org_wide=False, groups=[hr], actor=alice)
    detail = reverse("documents:detail", args=[document.pk])
    assert "Bands start at 48,000." not in staff_client.get(detail).content.decode()

    granted = staff_client.post(
        reverse("documents:access", args=[document.pk]),
        {"access": "restricted", "groups": [hr.pk], "users": [carol.pk]},
        **AS_SCRIPT,
    )

    assert granted.status_code == 200
    page = staff_client.get(detail).content.decode()
    assert "Bands start at 48,000." in page
    assert "Access history" in page and "carol, HR" in page
    created, by_alice, by_carol = DocumentAccessChange.objects.filter(
        document_id=document.pk
    ).order_by("id")
    assert (created.kind, created.actor_name, created.before) == ("created", "system", None)
    assert created.after == {"org_wide": False, "owner": None, "groups": ["HR"], "users": []}
    assert (by_alice.kind, by_alice.actor, by_alice.actor_name) == ("changed", alice, "alice")
    assert (by_carol.kind, by_carol.actor, by_carol.actor_name) == ("changed", carol, "carol")
    assert by_carol.before == {"org_wide": False, "owner": None, "groups": ["HR"], "users": []}
    assert by_carol.after == {
        "org_wide": False,
        "owner": None,
        "groups": ["HR"],
        "users": ["carol"],
    }
    assert by_carol.before_principals == [group_principal(hr.pk)]
    assert sorted(by_carol.after_principals) == sorted(
        [group_principal(hr.pk), user_principal(carol.pk)]
    )

    deleted = staff_client.post(reverse("documents:delete", args=[document.pk]), **AS_SCRIPT)

    assert deleted.status_code == 200
    last = DocumentAccessChange.objects.filter(document_id=document.pk).latest("id")
    assert (last.kind, last.actor_name, last.after) == ("deleted", "carol", None)
    assert last.before == by_carol.after
    assert last.document_title == "salary-bands"
    assert DocumentAccessChange.objects.filter(document_id=document.pk).count() == 4

    # The database refuses to rewrite or remove history, whatever the code path.
    for statement in (
        "UPDATE retrieval_documentaccesschange SET actor_name = 'nobody'",
        "DELETE FROM retrieval_documentaccesschange",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        DocumentAccessChange.objects.filter(pk=last.pk).update(kind="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        last.delete()
    assert DocumentAccessChange.objects.filter(document_id=document.pk).count() == 4

    # Deleting an account stays possible: its entries keep the name and lose only the link.
    User.objects.filter(pk=alice.pk).delete()
    by_alice.refresh_from_db()
    assert (by_alice.actor, by_alice.actor_name) == (None, "alice")
