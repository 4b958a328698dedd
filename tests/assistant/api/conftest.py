"""API helpers: tokens for the fixture people, a fake model, documents ingested in this process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from inference import FakeChatModel
from tests.doubles import readable_by_everyone

# Planted in an HR-only document; it must never reach anyone outside HR.
CANARY = "CANARY-PELICAN-7731"


@pytest.fixture
def token_for() -> Callable[[Any], str]:
    """Make an API token for a user and return the raw token."""
    from assistant.api.tokens import api_token_create

    def make(user: Any, name: str = "test") -> str:
        return api_token_create(user=user, name=name)[1]

    return make


def bearer(token: str) -> dict[str, str]:
    """Test client keyword arguments that authenticate with `token`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post_json(client: Any, url: str, body: Any, token: str) -> Any:
    """POST a JSON body with a bearer token."""
    return client.post(url, json.dumps(body), content_type="application/json", **bearer(token))


def streamed(response: Any) -> list[bytes]:
    """All chunks of a streaming response; async ones (our SSE views) are drained on a loop."""
    from asgiref.sync import async_to_sync

    content = response.streaming_content
    if not hasattr(content, "__aiter__"):
        return list(content)

    async def drain() -> list[bytes]:
        return [chunk async for chunk in content]

    return async_to_sync(drain)()


def sse_events(response: Any) -> list[Any]:
    """The `data:` payloads of a streamed response, JSON-decoded ([DONE] stays a string)."""
    body = b"".join(streamed(response)).decode()
    events = []
    for block in body.split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeChatModel:
    """The pipeline's default model, replaced by a fake whose replies the test queues."""
    from assistant import pipeline

    model = FakeChatModel()
    monkeypatch.setattr(pipeline, "default_chat_model", lambda: model)
    return model


@pytest.fixture
def ingested() -> Callable[..., Any]:
    """Upload a document and ingest it here, in the test process (no worker)."""

    def make(
        name: str,
        text: str,
        *,
        owner: Any = None,
        org_wide: bool = False,
        groups: Iterable[Any] = (),
        title: str = "",
    ) -> Any:
        from django.core.files.base import ContentFile

        from retrieval.ingestion import document_ingest
        from retrieval.services import document_create

        document = document_create(
            file=ContentFile(text.encode(), name=name),
            title=title,
            owner=owner,
            org_wide=org_wide,
            groups=groups,
            enqueue=False,
        )
        document_ingest(document_id=document.pk)
        document.refresh_from_db()
        assert document.status == "ready", document.error
        return document

    return make


@pytest.fixture
def leave_passage(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The pipeline's retriever, replaced by one that always finds the same passage."""
    from assistant import pipeline
    from retrieval.search import Passage

    found = Passage(
        chunk_id=1,
        document_id=10,
        title="Leave policy",
        location="Leave › Parental leave",
        text="Every employee may take 20 weeks of fully paid parental leave after a birth.",
        score=0.9,
        dense_score=0.9,
        lexical_score=1.0,
    )
    readable_by_everyone([found])
    monkeypatch.setattr(pipeline, "default_retriever", lambda *, user, query, k: [found])
    return found


@pytest.fixture
def guide(db):  # type: ignore[no-untyped-def]
    """An org-wide office guide, stored but not ingested."""
    from django.core.files.base import ContentFile

    from retrieval.services import document_create

    return document_create(
        file=ContentFile(b"# Office guide\n\nThe office opens at eight.\n", name="guide.md"),
        org_wide=True,
        enqueue=False,
    )
