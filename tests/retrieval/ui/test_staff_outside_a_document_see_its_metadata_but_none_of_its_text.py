"""Carol is a superuser in no group: she manages Alice's and HR's documents but reads none of them.

Every page she could open about them (the documents list and its search, the detail page and its
passage pages, the status JSON, the Django admin) shows their metadata and never a word of their text.
"""

from __future__ import annotations

from django.urls import reverse

# Planted in the documents' text only (not in their titles or file names).
ALICE_CANARY = "CANARY-HERON-5120"
HR_CANARY = "CANARY-OTTER-8846"
NOT_A_READER = "You manage this document but are not among its readers"


def test_staff_outside_a_document_see_its_metadata_but_none_of_its_text(
    staff_client, ingested, alice, groups
) -> None:  # type: ignore[no-untyped-def]
    appraisal = ingested(
        "appraisal.md",
        f"# Appraisal\n\nAlice's appraisal code is {ALICE_CANARY}.\n".encode(),
        users=[alice],
    )
    salaries = ingested(
        "salary-bands.md",
        f"# Salary bands\n\nThe band review code is {HR_CANARY}.\n".encode(),
        groups=[groups["HR"]],
    )
    ids = f"{appraisal.pk},{salaries.pk}"
    pages = {
        "list": reverse("documents:index"),
        "search": reverse("documents:index") + "?q=salary",
        "status": reverse("documents:status") + f"?ids={ids}&after=0",
        "admin list": reverse("admin:retrieval_document_changelist"),
        "admin log": reverse("admin:retrieval_documentaccesschange_changelist"),
    }
    for document in (appraisal, salaries):
        detail = reverse("documents:detail", args=[document.pk])
        pages[f"detail {document.pk}"] = detail
        pages[f"detail {document.pk} page 2"] = detail + "?page=2"
        pages[f"admin {document.pk}"] = reverse(
            "admin:retrieval_document_change", args=[document.pk]
        )

    bodies = {}
    for name, url in pages.items():
        response = staff_client.get(url)
        assert response.status_code == 200, name
        bodies[name] = response.content.decode()

    for name, body in bodies.items():
        assert ALICE_CANARY not in body, name
        assert HR_CANARY not in body, name
    for document in (appraisal, salaries):
        detail = bodies[f"detail {document.pk}"]
        assert document.title in detail and document.original_filename in detail
        assert "ready" in detail
        assert f'data-field="chunk_count">{document.chunk_count}<' in detail
        assert NOT_A_READER in detail
        assert 'class="chunk"' not in detail
        # Nor a link to the stored file, which holds the whole text.
        admin_page = bodies[f"admin {document.pk}"]
        assert document.original_filename in admin_page
        assert document.file.name not in admin_page
    assert appraisal.title in bodies["list"] and salaries.title in bodies["list"]
    assert salaries.original_filename in bodies["search"]
    status = {row["id"]: row for row in staff_client.get(pages["status"]).json()["documents"]}
    assert status[salaries.pk]["chunk_count"] == salaries.chunk_count
    assert status[salaries.pk]["access_label"] == "HR"
