"""Lena moves from HR to Engineering in the directory; her next sign-in ends her HR access.

Real ingestion and access-filtered retrieval; the model repeats every passage it is shown, so an HR
passage that still reached her would appear in her answer. Nobody edits her groups by hand: the
provider's group claim is the only thing that changes.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile

from assistant import pipeline
from assistant.identity.models import IdentityEvent, Source
from retrieval.ingestion import document_ingest
from retrieval.services import document_create
from tests.assistant.chat.conftest import ask, read_body
from tests.assistant.identity.oidc.conftest import sign_in_through_provider, signed_in_user
from tests.doubles import EchoModel

CANARY = "HERON-CANARY-4417"
HR_DOCUMENT = f"""# Salary review calendar (HR only)

## Dates

Salary review proposals are due to HR on the third of March. Internal reference {CANARY}.
"""
QUESTION = "When are salary review proposals due, and what is their internal reference?"


@pytest.mark.django_db(transaction=True)
def test_her_next_question_after_signing_in_again_gets_no_hr_passage(
    client, groups, provider, monkeypatch
):
    monkeypatch.setattr(pipeline, "default_chat_model", EchoModel)
    document = document_create(
        file=ContentFile(HR_DOCUMENT.encode(), name="salary-review.md"),
        filename="salary-review.md",
        groups=[groups["HR"]],
        enqueue=False,
    )
    document_ingest(document_id=document.pk)
    provider.person("lena-0001", email="lena@example.com", groups=["HR"])
    lena = signed_in_user(sign_in_through_provider(client, "lena-0001"))
    assert lena is not None
    # Control: while the claim says HR, the passage reaches her.
    assert CANARY in read_body(client.post("/ask", {"question": QUESTION})).decode()

    provider.person("lena-0001", email="lena@example.com", groups=["Engineering"])
    assert signed_in_user(sign_in_through_provider(client, "lena-0001")) == lena

    # Her own question comes back to her in the events; nothing of the HR passage may.
    received = "".join(str(event) for event in ask(client, QUESTION)).replace(QUESTION, "")
    assert CANARY not in received
    assert "third of March" not in received
    assert set(User.objects.get(pk=lena.pk).groups.values_list("name", flat=True)) == {
        "Engineering"
    }
    change = IdentityEvent.objects.filter(
        user_id=lena.pk, kind=IdentityEvent.Kind.GROUPS_CHANGED
    ).first()
    assert change is not None
    assert change.source == Source.OIDC
    assert change.detail == {"added": ["Engineering"], "removed": ["HR"]}
