"""Helpers for the retrieval tests: upload files, ingest them here or in the real worker."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

FINISHED = {"ready", "failed"}


def upload(
    name: str,
    content: bytes | Path,
    *,
    owner: Any = None,
    org_wide: bool = False,
    groups: Iterable[Any] = (),
    users: Iterable[Any] = (),
    title: str = "",
    enqueue: bool = True,
) -> Any:
    """Upload bytes (or a file's bytes) through the product's create service.

    `enqueue=False` queues nothing: the caller ingests it itself, and a worker that some other test
    started cannot claim it meanwhile and leave it half-done when the caller looks.
    """
    from django.core.files.base import ContentFile

    from retrieval.services import document_create

    data = content.read_bytes() if isinstance(content, Path) else content
    return document_create(
        file=ContentFile(data, name=name),
        title=title,
        owner=owner,
        org_wide=org_wide,
        groups=groups,
        users=users,
        enqueue=enqueue,
    )


def wait_until_finished(documents: Iterable[Any], timeout: float = 180) -> None:
    """Wait for the worker to finish the documents (ready or failed), then refresh them."""
    from retrieval.models import Document

    documents = list(documents)
    ids = [d.pk for d in documents]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = dict(Document.objects.filter(pk__in=ids).values_list("id", "status"))
        if all(statuses.get(i) in FINISHED for i in ids):
            break
        time.sleep(0.2)
    for document in documents:
        document.refresh_from_db()
    unfinished = [d.original_filename for d in documents if d.status not in FINISHED]
    assert not unfinished, f"not finished within {timeout} s: {unfinished}"


@pytest.fixture
def ingested() -> Callable[..., Any]:
    """Upload and ingest right here, in the test process (no worker, no broker)."""

    def make(name: str, content: bytes | Path, **access: Any) -> Any:
        from retrieval.ingestion import document_ingest

        document = upload(name, content, enqueue=False, **access)
        document_ingest(document_id=document.pk)
        document.refresh_from_db()
        assert document.status == "ready", document.error
        return document

    return make


def document_with_random_chunks(
    number: int, *, rng: Any, groups: Iterable[Any] = (), users: Iterable[Any] = (), chunks: int = 4
) -> Any:
    """A document readable by `groups` and `users`, with `chunks` random unit vectors, unparsed.

    For search-plan tests that need many chunks fast: no file, no parser, no embedder.
    """
    import numpy as np

    from retrieval.models import Chunk, Document
    from retrieval.services import document_set_access

    document = Document.objects.create(
        title=f"d{number}", original_filename=f"d{number}.md", sha256=f"{number:064d}",
        chunk_count=chunks,
    )  # fmt: skip
    vectors = rng.normal(size=(chunks, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    Chunk.objects.bulk_create(
        Chunk(document=document, version=1, ordinal=i, text=f"text {number} {i}", token_count=3,
              embedding=vector)
        for i, vector in enumerate(vectors)
    )  # fmt: skip
    document_set_access(document=document, org_wide=False, groups=list(groups), users=list(users))
    return document


CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'wordprocessingml.document.main+xml"/></Types>'
)
RELATIONSHIPS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)


def docx(paragraphs: list[str]) -> bytes:
    """The smallest valid DOCX holding `paragraphs`."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELATIONSHIPS)
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


@pytest.fixture
def fresh_query_encoder_cache(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """An empty cache folder for the ONNX query encoder, and no encoder built yet in this process."""
    from retrieval import embedding

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    embedding._query_embedder.cache_clear()
    yield tmp_path
    embedding._query_embedder.cache_clear()
