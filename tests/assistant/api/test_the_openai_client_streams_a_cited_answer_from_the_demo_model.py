"""End to end: a document uploaded through the API, ingested by the real worker, and a streamed,
cited answer from the real demo model through the official `openai` client."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from assistant.models import Message

from .conftest import CANARY

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GUIDE = b"""# Cycling policy

## Bicycle allowance

The bicycle allowance for staff who cycle to work is 40 euros a month. It is paid with the salary.
"""
SALARIES = f"""# Salary bands 2026

Senior engineers are paid between 90,000 and 120,000 euros a year. Reference {CANARY}.
""".encode()


def upload(base: str, token: str, name: str, content: bytes, **fields: object) -> int:
    response = httpx.post(
        f"{base}/api/documents",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": (name, content, "text/markdown")},
        data=fields,
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def wait_ready(base: str, token: str, document_id: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    status = {}
    while time.monotonic() < deadline:
        status = httpx.get(
            f"{base}/api/documents/{document_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        if status["status"] in {"ready", "failed"}:
            break
        time.sleep(0.3)
    assert status.get("status") == "ready", status


def test_alice_streams_an_answer_citing_an_org_wide_document_and_bob_never_sees_hr_text(
    celery_worker, model_server, web_server, alice, bob, carol, token_for
):
    carol_token = token_for(carol)
    guide = upload(web_server, carol_token, "cycling.md", GUIDE, org_wide="true")
    salaries = upload(web_server, carol_token, "salaries.md", SALARIES, groups="HR")
    wait_ready(web_server, carol_token, guide)
    wait_ready(web_server, carol_token, salaries)

    as_alice = openai.OpenAI(
        base_url=f"{web_server}/v1", api_key=token_for(alice), max_retries=0, timeout=300
    )
    chunks = list(
        as_alice.chat.completions.create(
            model="assistant",
            messages=[
                {
                    "role": "user",
                    "content": "What is the bicycle allowance for staff who cycle to work?",
                }
            ],
            stream=True,
        )
    )

    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(deltas) >= 1 and "".join(deltas).strip()
    final = chunks[-1].model_extra
    assert final["status"] == "complete", final["content"]
    assert {c["document_id"] for c in final["citations"]} == {guide}, final["content"]
    # The audit trail names the model that wrote the answer, as the model server calls it.
    served = httpx.get(f"{model_server}/v1/models", timeout=30).json()["data"][0]["id"]
    stored = Message.objects.filter(role=Message.Role.ASSISTANT).latest("id")
    assert stored.content == final["content"] and stored.model == served

    as_bob = openai.OpenAI(
        base_url=f"{web_server}/v1", api_key=token_for(bob), max_retries=0, timeout=300
    )
    for question in ("What are the salary bands for senior engineers?", f"What is {CANARY}?"):
        answer = as_bob.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": question}]
        )
        seen = answer.model_dump_json()
        assert CANARY not in seen and "120,000" not in seen and "Salary bands" not in seen
        assert salaries not in {c["document_id"] for c in answer.model_extra["citations"]}
