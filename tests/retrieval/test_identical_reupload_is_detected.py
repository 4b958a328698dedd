from __future__ import annotations

import pytest

from retrieval.models import Document
from retrieval.services import DuplicateDocument
from tests.retrieval.conftest import upload

pytestmark = pytest.mark.django_db


def test_uploading_the_same_bytes_again_names_the_existing_document(alice, bob):
    first = upload("policy.md", b"# Policy\n\nSame bytes.", owner=alice, title="Policy")

    with pytest.raises(DuplicateDocument) as raised:
        upload("copy-of-policy.md", b"# Policy\n\nSame bytes.", owner=bob)

    assert raised.value.existing == first
    assert "Policy" in str(raised.value)
    assert Document.objects.count() == 1


def test_different_bytes_are_a_different_document(alice):
    upload("a.md", b"one", owner=alice)
    upload("b.md", b"two", owner=alice)

    assert Document.objects.count() == 2
