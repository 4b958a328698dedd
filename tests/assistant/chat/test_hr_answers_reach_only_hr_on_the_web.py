"""End to end with the real demo model, the real search and a real worker and web server.

Alice (HR) asks about an HR-only handbook and gets an answer citing it. Bob (Engineering) asks the
same and is told nothing was found; nothing of the handbook reaches him: not its title, its text,
a citation or a source link, on the page, in the stream or through the source view.
"""

from __future__ import annotations

import re

import pytest

from retrieval.models import Chunk
from tests.assistant.chat.conftest import ingest_and_wait, parse_sse, signed_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANDBOOK = b"""# Relocation handbook

## Moving allowance

The moving allowance for staff who relocate is 7,300 euros. It is paid with the first salary
in the new city.
"""
QUESTION = "What is the moving allowance for staff who relocate?"
# Strings only the handbook holds (the question itself is Bob's own words).
HANDBOOK_ONLY = ["Relocation handbook", "7,300", "first salary in the new city"]


def ask(client, question: str) -> tuple[bytes, list[dict]]:
    with client.stream("POST", "/ask", data={"question": question}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        body = b"".join(response.iter_bytes())
    return body, parse_sse(body)


def test_alice_gets_a_cited_answer_and_bob_gets_nothing_of_the_hr_handbook(
    celery_worker, model_server, web_server, alice, bob, groups
):
    handbook = ingest_and_wait(HANDBOOK, title="Relocation handbook", groups=[groups["HR"]])
    chunk_ids = list(Chunk.objects.filter(document=handbook).values_list("id", flat=True))

    with signed_in(web_server, "alice", PASSWORD) as as_alice:
        _, events = ask(as_alice, QUESTION)
        done = events[-1]
        assert done["type"] == "done"
        assert done["status"] == "complete", done["content"]
        cited = {c["chunk_id"] for c in done["citations"]}
        assert cited and cited <= set(chunk_ids)
        assert {c["document_id"] for c in done["citations"]} == {handbook.pk}
        assert "Relocation handbook" in done["html"]
        source = as_alice.get(f"/sources/{min(cited)}")
        assert source.status_code == 200
        assert "Relocation handbook" in source.text

    with signed_in(web_server, "bob", PASSWORD) as as_bob:
        body, events = ask(as_bob, QUESTION)
        done = events[-1]
        assert done["status"] == "nothing_found"
        assert done["citations"] == []
        page = as_bob.get(f"/conversations/{events[0]['conversation_id']}/").text
        home = as_bob.get("/").text
        for received in (body.decode(), page, home):
            for secret in HANDBOOK_ONLY:
                assert secret not in received
            for chunk_id in chunk_ids:
                assert f"/sources/{chunk_id}" not in received
                assert f'"chunk_id":{chunk_id}' not in received
        missing_id = max(chunk_ids) + 10_000
        missing = as_bob.get(f"/sources/{missing_id}")
        for chunk_id in chunk_ids:
            forbidden = as_bob.get(f"/sources/{chunk_id}")
            assert forbidden.status_code == missing.status_code == 404
            # The same page but for the path it names (the development server's 404 shows it).
            assert re.sub(rf"sources/{chunk_id}\b", "sources/N", forbidden.text) == (
                re.sub(rf"sources/{missing_id}\b", "sources/N", missing.text)
            )
