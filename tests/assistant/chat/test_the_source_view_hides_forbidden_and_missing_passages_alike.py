"""A cited passage opens for those who may read it; for everyone else it does not exist."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from retrieval.ingestion import document_ingest
from retrieval.models import Chunk
from retrieval.services import document_create

HANDBOOK = b"""# Relocation handbook

## Moving allowance

Staff who relocate for the company receive a moving allowance of 7,300 euros, paid with the
first salary in the new city.
"""


@pytest.fixture
def hr_passage(alice, groups) -> Chunk:
    document = document_create(
        file=ContentFile(HANDBOOK, name="relocation.md"),
        title="Relocation handbook",
        groups=[groups["HR"]],
        enqueue=False,
    )
    document_ingest(document_id=document.pk)
    return Chunk.objects.filter(document=document).order_by("ordinal").last()


def test_alice_in_hr_reads_the_passage(client, alice, hr_passage):
    client.force_login(alice)

    response = client.get(f"/sources/{hr_passage.pk}")

    assert response.status_code == 200
    assert b"Relocation handbook" in response.content
    assert b"7,300 euros" in response.content


def test_bob_gets_the_same_404_as_for_a_passage_that_does_not_exist(client, bob, hr_passage):
    client.force_login(bob)

    forbidden = client.get(f"/sources/{hr_passage.pk}")
    missing = client.get(f"/sources/{hr_passage.pk + 10_000}")

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert b"Relocation" not in forbidden.content
    assert b"7,300" not in forbidden.content


def test_admin_rights_do_not_open_restricted_passages(client, carol, hr_passage):
    client.force_login(carol)

    assert client.get(f"/sources/{hr_passage.pk}").status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, hr_passage):
    response = client.get(f"/sources/{hr_passage.pk}")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
