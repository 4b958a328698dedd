from __future__ import annotations

import pytest

from assistant.identity.services import account_deactivate, account_delete
from retrieval.access import documents_visible_to, user_principal
from retrieval.models import Document, DocumentAccessChange
from retrieval.views import owner_label
from tests.retrieval.conftest import upload


@pytest.mark.django_db
def test_without_a_successor_the_documents_stay_as_a_former_employees(alice):
    document = upload("notes.md", b"# Notes\n\nHandover notes.", owner=alice, enqueue=False)

    account_deactivate(user=alice, source="scim")

    document.refresh_from_db()
    assert document.owner == alice
    assert owner_label(document) == "alice (former employee)"


@pytest.mark.django_db
def test_with_a_successor_the_documents_and_their_chunks_pass_to_them(settings, alice, carol):
    settings.IDENTITY_DOCUMENTS_SUCCESSOR = carol.username
    document = upload("notes.md", b"# Notes\n\nHandover notes.", owner=alice, enqueue=False)

    done = account_deactivate(user=alice, source="scim")

    document.refresh_from_db()
    assert done.documents_transferred == 1
    assert document.owner == carol
    assert user_principal(carol.pk) in document.principals
    assert user_principal(alice.pk) not in document.principals
    assert documents_visible_to(carol).filter(pk=document.pk).exists()
    change = DocumentAccessChange.objects.filter(document_id=document.pk).first()
    assert change is not None and change.actor_name == "directory (scim)"
    assert change.before["owner"] == "alice" and change.after["owner"] == carol.username


@pytest.mark.django_db
def test_deleting_the_account_keeps_the_documents_and_who_owned_them(alice):
    document = upload("notes.md", b"# Notes\n\nHandover notes.", owner=alice, enqueue=False)

    account_delete(user=alice, source="scim")

    assert Document.objects.filter(pk=document.pk, owner=None).exists()
    change = DocumentAccessChange.objects.filter(document_id=document.pk).first()
    assert change is not None and change.before["owner"] == "alice"
