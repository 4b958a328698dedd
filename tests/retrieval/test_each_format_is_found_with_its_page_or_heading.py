"""Every supported format goes through the real worker and a known sentence is found where it is."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from retrieval.models import Chunk
from retrieval.search import search
from tests.conftest import SHARED
from tests.retrieval.conftest import upload, wait_until_finished

DOCUMENTS = SHARED / "eval" / "documents"
CINEMAS = SHARED / "eval" / "enterprise" / "ZX Bank"
BANGALORE = "Bangalore (Bengaluru) – Karnataka"

# (file, question, words the passage must contain, text its location must contain)
CASES = [
    (DOCUMENTS / "pdf" / "fake-memo.pdf", "How many blankets were delivered?", "10,000 blankets", "page 1"),
    (DOCUMENTS / "pdf" / "multi-column-2p.pdf", "Is ICT pretraining computationally intensive?", "ICT pretraining is computationally intensive", "page 2"),
    (DOCUMENTS / "fake-power-point-table.pptx", "tangerine pink aqua", "Tangerine | Pink | Aqua", "slide 1 › A Slide with a Table"),
    (DOCUMENTS / "sample-presentation.pptx", "This is kinda backwards", "A2 | B2 | C2", "slide 4"),
    (DOCUMENTS / "2023-half-year-analyses-by-segment.xlsx", "reconciliation from underlying trading operating profit to profit before taxes", "3.4 Reconciliation", "Reconciliation 30 06 2023"),
    (DOCUMENTS / "fake-html-cp1252.html", "Who ate coffee and cake?", "Die schöne Frau", "My First Heading"),
    (DOCUMENTS / "example-with-scripts.html", "Who wrote the assessment? Karolina Hird, George Barros, Grace Mappes", "Karolina Hird", "Russian Offensive Campaign Assessment, December 13"),
    (DOCUMENTS / "eml" / "family-day.eml", "Is there a petting zoo at family day?", "petting zoo", "Family Day"),
    (DOCUMENTS / "codeblock.md", "don't forget me this weekend", "Don't forget me this weekend", "XML Example"),
    (DOCUMENTS / "handbook-1p.docx", "Who appoints standing trustees?", "The United States Trustee appoints", ""),
    (CINEMAS / "md" / "ATM Locations at Major Movie Theaters.md", "INOX Garuda Mall on Magrath Road", "Magrath Road", BANGALORE),
    (CINEMAS / "html" / "ATM Locations at Major Movie Theaters.html", "INOX Garuda Mall on Magrath Road", "Magrath Road", BANGALORE),
    (CINEMAS / "docx" / "ATM Locations at Major Movie Theaters.docx", "INOX Garuda Mall on Magrath Road", "Magrath Road", BANGALORE),
    (CINEMAS / "pptx" / "ATM Locations at Major Movie Theaters.pptx", "INOX Garuda Mall on Magrath Road", "Magrath Road", f"slide 4 › {BANGALORE}"),
    (CINEMAS / "pdf" / "ATM Locations at Major Movie Theaters.pdf", "INOX Garuda Mall on Magrath Road", "Magrath Road", "page 2"),
]  # fmt: skip

PLAIN_TEXT = b"Parking\n\nVisitors park in the north lot after signing in at reception.\n"


@pytest.mark.django_db(transaction=True)
def test_a_known_sentence_of_each_format_is_found_with_its_location(celery_worker):
    # One reader per file: each search sees only that file, so a hit proves its parser.
    readers, documents = [], []
    for number, (path, *_rest) in enumerate(CASES):
        reader = User.objects.create_user(f"reader{number}")
        documents.append(upload(path.name, path, users=[reader]))
        readers.append(reader)
    text_reader = User.objects.create_user("text-reader")
    text_document = upload("parking.txt", PLAIN_TEXT, users=[text_reader])

    wait_until_finished([*documents, text_document], timeout=240)

    problems = []
    for (path, question, words, location), reader, document in zip(
        CASES, readers, documents, strict=True
    ):
        if document.status != "ready":
            problems.append(f"{path.name}: {document.status}: {document.error}")
            continue
        passages = search(user=reader, query=question, k=3)
        hits = [p for p in passages if words in p.text and location in p.location]
        if not hits:
            got = [(p.location, p.text[:80]) for p in passages]
            problems.append(f"{path.name}: wanted {words!r} at {location!r}, got {got}")
    (parking,) = search(user=text_reader, query="Where do visitors park?", k=1)
    assert "north lot" in parking.text
    assert not problems, "\n".join(problems)

    scripted = documents[[c[0].name for c in CASES].index("example-with-scripts.html")]
    texts = " ".join(Chunk.objects.filter(document=scripted).values_list("text", flat=True))
    assert "function(" not in texts and "<script" not in texts
