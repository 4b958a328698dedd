from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from retrieval.models import Chunk, LexemeStatistic
from retrieval.services import document_delete

pytestmark = pytest.mark.django_db(transaction=True)


def test_delete_removes_chunks_file_and_term_statistics(ingested, alice):
    document = ingested("zebra.md", b"# Zebras\n\nZebras graze on the savanna.", owner=alice)
    name = document.file.name
    assert default_storage.exists(name)
    assert LexemeStatistic.objects.filter(lexeme="zebra").exists()

    document_delete(document=document)

    assert not Chunk.objects.filter(document_id=document.pk).exists()
    assert not default_storage.exists(name)
    assert not LexemeStatistic.objects.filter(lexeme="zebra").exists()
