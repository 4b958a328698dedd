from __future__ import annotations

import pytest
from django.http import Http404

from retrieval.access import chunk_visible_to, document_visible_to
from retrieval.models import Chunk

pytestmark = pytest.mark.django_db


def message(call):
    with pytest.raises(Http404) as raised:
        call()
    return str(raised.value)


def test_a_forbidden_chunk_and_a_missing_chunk_raise_the_same_404(ingested, alice, bob):
    secret = ingested("secret.md", b"# Pay\n\nAlice's salary review notes.", owner=alice)
    chunk = Chunk.objects.filter(document=secret).first()

    assert chunk_visible_to(alice, chunk.pk).document == secret
    assert message(lambda: chunk_visible_to(bob, chunk.pk)) == message(
        lambda: chunk_visible_to(bob, 10**9)
    )


def test_a_forbidden_document_and_a_missing_document_raise_the_same_404(ingested, alice, carol):
    secret = ingested("secret.md", b"# Pay\n\nAlice's salary review notes.", owner=alice)

    assert document_visible_to(alice, secret.pk) == secret
    # Carol is a superuser: managing documents does not let her read them.
    assert message(lambda: document_visible_to(carol, secret.pk)) == message(
        lambda: document_visible_to(carol, 10**9)
    )
