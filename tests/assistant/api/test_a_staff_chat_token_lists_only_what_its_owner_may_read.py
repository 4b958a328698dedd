"""Carol is an admin: with a chat-only token she lists documents like anyone, not as a manager.

Managing (and the manager's view of every document's metadata and readers) needs the documents
scope as well as staff rights.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from assistant.api.tokens import api_token_create
from retrieval.services import document_create

from .conftest import bearer


def document(name: str, **access):  # type: ignore[no-untyped-def]
    return document_create(
        file=ContentFile(f"# {name}\n\nSome text about {name}.\n".encode(), name=f"{name}.md"),
        enqueue=False,
        **access,
    )


@pytest.mark.django_db
def test_a_staff_chat_token_lists_only_readable_documents(client, carol, groups):
    salaries = document("salary-bands", groups=[groups["HR"]])
    office = document("office-guide", org_wide=True)
    chat_only = api_token_create(user=carol, name="chat", scopes=["chat"])[1]
    manager = api_token_create(user=carol, name="manage", scopes=["chat", "documents"])[1]

    as_reader = client.get("/api/documents", **bearer(chat_only))
    as_manager = client.get("/api/documents", **bearer(manager))

    assert {d["id"] for d in as_reader.json()["data"]} == {office.pk}
    assert client.get(f"/api/documents/{salaries.pk}", **bearer(chat_only)).status_code == 404
    assert {d["id"] for d in as_manager.json()["data"]} == {salaries.pk, office.pk}
