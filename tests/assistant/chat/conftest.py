"""Chat test helpers: a fake model and retriever behind the pipeline's defaults, SSE parsing.

The answer runs in a worker thread with its own database connection, so tests that stream an
answer use `django_db(transaction=True)`: that thread must see the rows the test created.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from assistant import pipeline
from inference import FakeChatModel
from retrieval.search import Passage
from tests.doubles import readable_by_everyone

LEAVE = "Every employee may take 20 weeks of fully paid parental leave after a birth or adoption."


def passage(chunk_id: int, text: str = LEAVE, *, title: str = "Leave policy") -> Passage:
    """A retrieved passage as retrieval would return it."""
    return Passage(
        chunk_id=chunk_id,
        document_id=chunk_id * 10,
        title=title,
        location="Leave › Parental leave",
        text=text,
        score=0.8,
        dense_score=0.8,
        lexical_score=1.0,
    )


@dataclass
class FakeRetriever:
    """Returns fixed passages and records who asked what."""

    passages: list[Passage] = field(default_factory=list)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, *, user: Any, query: str, k: int) -> list[Passage]:
        self.asked.append((user.get_username(), query))
        return self.passages[:k]


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> FakeChatModel:
    """The chat model every answer of this test gets."""
    fake = FakeChatModel()
    monkeypatch.setattr(pipeline, "default_chat_model", lambda: fake)
    return fake


@pytest.fixture
def retriever(monkeypatch: pytest.MonkeyPatch, db: None) -> FakeRetriever:
    """The retriever every answer of this test gets; it finds the leave passage (org-wide)."""
    fake = FakeRetriever([passage(1)])
    # Stored answers are shown only while their documents may be read: the document must exist.
    readable_by_everyone(fake.passages)
    monkeypatch.setattr(pipeline, "default_retriever", fake)
    return fake


def parse_sse(body: bytes) -> list[dict[str, Any]]:
    """The events of a server-sent-events body, checking each frame's name matches its type."""
    events = []
    for frame in body.decode().split("\n\n"):
        lines = [line for line in frame.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        name = next(line[len("event: ") :] for line in lines if line.startswith("event: "))
        data = json.loads(
            "\n".join(line[len("data: ") :] for line in lines if line.startswith("data: "))
        )
        assert data["type"] == name
        events.append(data)
    return events


def stream_events(response: Any) -> list[dict[str, Any]]:
    """Read a streamed chat response to the end and parse its events."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    return parse_sse(read_body(response))


def read_body(response: Any) -> bytes:
    """The whole body of a response whose content is an async iterator (an async view's)."""

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)()


def ask(client: Any, question: str, conversation: int | None = None) -> list[dict[str, Any]]:
    """Ask through the chat endpoint and return the streamed events."""
    data = {"question": question}
    if conversation is not None:
        data["conversation"] = str(conversation)
    return stream_events(client.post("/ask", data))


@contextmanager
def signed_in(base_url: str, username: str, password: str) -> Iterator[Any]:
    """An HTTP client signed in to the real web server, sending the CSRF header on every POST."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(180, connect=10)) as client:
        yield sign_in(client, base_url, username, password)


def sign_in(client: Any, base_url: str, username: str, password: str) -> Any:
    """Sign `client` in through the login form."""
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"]
    response = client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    assert response.status_code == 302, response.text
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    client.headers["Referer"] = f"{base_url}/"
    return client


def ingest_and_wait(content: bytes, *, title: str, groups: Iterable[Any]) -> Any:
    """Upload a Markdown document for `groups` and wait for the real worker to make it ready."""
    from django.core.files.base import ContentFile

    from retrieval.models import Document
    from retrieval.services import document_create

    document = document_create(
        file=ContentFile(content, name=f"{title.lower().replace(' ', '-')}.md"),
        title=title,
        groups=list(groups),
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.status in {Document.Status.READY, Document.Status.FAILED}:
            break
        time.sleep(0.3)
    assert document.status == Document.Status.READY, document.error
    return document


BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture
def browser_context(web_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium context on the web server; fails the test if a page errs or calls out."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread, which makes Django refuse ORM
    # calls; the test's own reads never run concurrently with it, so that guard is moot here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        context = browser.new_context(base_url=web_server)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_server)
        context.on(
            "page",
            lambda page: page.on(
                "pageerror", lambda error: problems.append(f"page error: {error}")
            ),
        )
        # Nothing may load from outside the building.
        context.on(
            "request",
            lambda request: (
                None
                if request.url.startswith(web_server) or request.url.startswith("data:")
                else problems.append(f"outside request: {request.url}")
            ),
        )
        context.set_default_timeout(120_000)
        yield context
        context.close()
        browser.close()
    assert not problems, problems


def browser_sign_in(page: Any, username: str, password: str) -> None:
    """Sign in through the login form and land on the chat."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_selector("textarea#question")
