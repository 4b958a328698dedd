"""The prompt stage sees only what retrieval let through: passages the asker may read.

Real ingestion and the real access-filtered retriever: the HR document's passage reaches the
prompt of Alice (HR), never that of Bob (Engineering), who still gets the org-wide passage.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from assistant.pipeline import default_retriever, fit_prompt
from inference import FakeChatModel
from retrieval.ingestion import document_ingest
from retrieval.services import document_create
from tests.assistant.pipeline.conftest import retrieved

QUESTION = "What hotel allowance per night may auditors claim?"
HR_ONLY = """# Auditor allowances

## Hotels

HR auditors may claim a hotel allowance of 240 euros per night on audit trips.
"""
ORG_WIDE = """# Travel guide

## Hotels

Every employee books hotels through the travel portal; auditors on trips do the same.
"""


def ingest(name: str, content: str, **access: Any) -> int:
    document = document_create(
        file=ContentFile(content.encode(), name=name), filename=name, enqueue=False, **access
    )
    document_ingest(document_id=document.pk)
    return document.pk


def prompt_documents(user: Any) -> tuple[set[int], str]:
    """The documents whose passages reach `user`'s prompt, and the prompt's text."""
    state = retrieved(user, default_retriever, QUESTION)
    prompt = fit_prompt(state, FakeChatModel())
    text = "\n".join(m["content"] for m in prompt.messages)
    return {p.document_id for p in prompt.passages}, text


def test_bob_gets_the_org_wide_passage_and_never_the_hr_one(alice, bob, groups):
    hr_document = ingest("allowances.md", HR_ONLY, groups=[groups["HR"]])
    org_document = ingest("travel.md", ORG_WIDE, org_wide=True)

    alice_documents, _ = prompt_documents(alice)
    bob_documents, bob_prompt = prompt_documents(bob)

    assert hr_document in alice_documents  # the HR passage is relevant: it would be used
    assert org_document in bob_documents
    assert hr_document not in bob_documents
    assert "240 euros" not in bob_prompt
