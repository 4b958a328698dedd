"""Stored answers as their reader may see them now: nothing outlives access.

An answer is made from passages, so its text, its citations (titles, snippets) and its place in the
conversation history all carry text of documents. The rule is *re-check at display time*: every
time a stored answer is shown (chat page, API, command line, Slack re-render) or fed back to the
model as history, the documents it drew on are checked against the reader's principals as they are
now, through retrieval.access. Nothing is purged, so restoring access restores the answer; Slack,
whose copy lives outside the product, is re-rendered when access changes (assistant.slack).

- A citation of a document the reader can no longer read (deleted, or access removed) shows
  SOURCE_GONE in place of its title and snippet, and no link.
- An answer any of whose prompt documents the reader can no longer read is withheld: its text may
  quote that document, cited or not.
- Such an answer, and the question it answered, are left out of the history sent to the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistant.models import Message
from retrieval.access import documents_visible_to, documents_visible_to_everyone

SOURCE_GONE = "Source no longer available"
ANSWER_WITHHELD = (
    "[This answer drew on a document you can no longer access, so it is no longer shown.]"
)


def answer_documents(message: Message) -> set[int]:
    """Ids of the documents an answer was made from: those of its prompt and of its citations."""
    if message.role != Message.Role.ASSISTANT:
        return set()
    trace = message.trace if isinstance(message.trace, dict) else {}
    by_chunk = {
        row.get("chunk_id"): row.get("document_id")
        for row in trace.get("retrieved", [])
        if isinstance(row, dict)
    }
    documents = {by_chunk.get(chunk_id) for chunk_id in trace.get("prompt_passages", [])}
    # A prompt passage missing from `retrieved` cannot be told apart from any other document:
    # treating the answer as drawing on an unknown document withholds it, which is the safe side.
    if None in documents and trace.get("prompt_passages"):
        documents.add(-1)
    documents |= {c.get("document_id") for c in message.citations or [] if isinstance(c, dict)}
    return {int(d) for d in documents if isinstance(d, int)}


class _Everyone:
    """The readers of a shared place (a Slack channel): only what everyone may read."""

    def __repr__(self) -> str:
        return "EVERYONE"


EVERYONE: Any = _Everyone()


def readable_documents(user: Any, document_ids: Iterable[int]) -> set[int]:
    """Those of `document_ids` that `user` (or EVERYONE) may read now, in one query."""
    ids = set(document_ids)
    if not ids:
        return set()
    visible = documents_visible_to_everyone() if user is EVERYONE else documents_visible_to(user)
    return set(visible.filter(pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True)
class ReadableAnswer:
    """A stored message as its reader may see it now."""

    content: str
    citations: list[dict[str, Any]]
    # True when the text was replaced because the reader lost access to a document it drew on.
    withheld: bool


def as_readable(message: Message, readable: set[int]) -> ReadableAnswer:
    """`message` with what comes from documents outside `readable` taken out."""
    if message.role != Message.Role.ASSISTANT:
        return ReadableAnswer(content=message.content, citations=[], withheld=False)
    citations = [_citation_as_readable(c, readable) for c in message.citations or []]
    withheld = not answer_documents(message) <= readable
    content = ANSWER_WITHHELD if withheld else message.content
    return ReadableAnswer(content=content, citations=citations, withheld=withheld)


def _citation_as_readable(citation: dict[str, Any], readable: set[int]) -> dict[str, Any]:
    if citation.get("document_id") in readable:
        return {**citation, "available": True}
    return {
        "n": citation.get("n"),
        "chunk_id": None,
        "document_id": None,
        "title": SOURCE_GONE,
        "location": "",
        "snippet": "",
        "available": False,
    }


def answers_for_reader(user: Any, messages: Iterable[Message]) -> dict[int, ReadableAnswer]:
    """Each message (by id) as `user` may see it now; one access query for all of them."""
    rows = list(messages)
    readable = readable_documents(user, set().union(*(answer_documents(m) for m in rows)))
    return {m.pk: as_readable(m, readable) for m in rows}


def history_for_reader(user: Any, messages: Iterable[Message]) -> list[Message]:
    """Conversation turns (oldest first) fit to send to the model as history for `user`.

    An answer drawn from a document the asker can no longer read is dropped with the question it
    answered, so the model sees neither that text nor a question left hanging.
    """
    rows = list(messages)
    readable = readable_documents(user, set().union(*(answer_documents(m) for m in rows)))
    kept: list[Message] = []
    for message in rows:
        if message.role == Message.Role.ASSISTANT and not answer_documents(message) <= readable:
            if kept and kept[-1].role == Message.Role.USER:
                kept.pop()
            continue
        kept.append(message)
    return kept
