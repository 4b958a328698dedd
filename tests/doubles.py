"""Test doubles shared by the surfaces' leak tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EchoModel:
    """The worst model for a leak test: it repeats every passage it was shown, citing each."""

    model: str = "echo"
    prompts: list[list[dict[str, str]]] = field(default_factory=list)

    def stream_chat(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[str]:
        self.prompts.append(messages)
        # The passages only (the question is the last paragraph): echoing it would not be a leak.
        passages = messages[-1]["content"].rsplit("\n\n", 1)[0]
        yield f"Here is everything I was given [1]: {passages}"

    def context_length(self) -> int:
        return 4096


def readable_by_everyone(passages: Iterable[Any]) -> None:
    """Org-wide document rows for the fake passages' document ids.

    Stored answers are re-checked against the documents they drew on before they become history,
    so a test about history needs those documents to exist and be readable.
    """
    from retrieval.models import Document

    for p in passages:
        Document.objects.get_or_create(
            pk=p.document_id,
            defaults={
                "title": p.title,
                "original_filename": f"{p.document_id}.md",
                "sha256": f"{p.document_id:064d}",
                "org_wide": True,
                "principals": ["*"],
            },
        )


def cited_passage(chunk_id: int, document_id: int, title: str, location: str, text: str) -> Any:
    """A retrieved passage with neutral scores, for tests of citation checking."""
    from retrieval.search import Passage

    return Passage(chunk_id, document_id, title, location, text, 1.0, 1.0, 1.0)
