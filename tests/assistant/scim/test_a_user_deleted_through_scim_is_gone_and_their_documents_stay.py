"""DELETE /Users/{id} removes the account; its documents and its history stay."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile

from assistant.identity.models import IdentityEvent
from retrieval.models import Document
from retrieval.services import document_create
from tests.assistant.scim.conftest import assert_scim_error

pytestmark = pytest.mark.django_db


def test_deleting_an_account(scim, alice):
    owned = document_create(
        file=ContentFile(b"Alice's notes", name="notes.txt"), owner=alice, enqueue=False
    )

    response = scim.delete(f"Users/{alice.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert_scim_error(scim.get(f"Users/{alice.pk}"), 404)
    assert_scim_error(scim.delete(f"Users/{alice.pk}"), 404)
    assert not User.objects.filter(pk=alice.pk).exists()
    assert Document.objects.filter(pk=owned.pk).exists()
    kinds = IdentityEvent.objects.filter(user_id=alice.pk).values_list("kind", flat=True)
    assert set(kinds) == {"deactivated", "deleted"}
