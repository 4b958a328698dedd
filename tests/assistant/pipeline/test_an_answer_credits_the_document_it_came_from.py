"""A sentence that two documents support nearly alike goes to the document the answer came from."""

from __future__ import annotations

from assistant.citations import check_citations, main_document
from tests.assistant.pipeline.conftest import passage

QUESTION = "How do I pair the Velvera Watch with my phone?"
# Ranked first by retrieval: the product page, which mentions pairing in passing.
PRODUCT = passage(
    1,
    "The Velvera Watch pairs over Bluetooth with any phone in seconds and has a heart rate sensor.",
    title="Velvera Watch",
)
# The usage guide, which the answer follows.
GUIDE = passage(
    2,
    "To pair the Velvera Watch, open the Velvera app, hold the crown and confirm the code on "
    "your phone; it pairs over Bluetooth.",
    title="Watch usage guide",
)
ANSWER = (
    "To pair the Velvera Watch, open the Velvera app and hold the crown for three seconds. "
    "The Velvera Watch pairs with your phone over Bluetooth in seconds."
)


def test_the_answers_main_document_is_the_one_holding_most_of_its_words():
    assert main_document(ANSWER, [PRODUCT, GUIDE], question=QUESTION) == GUIDE.document_id


def test_a_sentence_the_main_document_nearly_supports_as_well_cites_it():
    # The product page holds every word of the second sentence, the guide all but "seconds": close
    # enough, so the answer keeps one source instead of adding the product page for that sentence.
    checked = check_citations(ANSWER, [PRODUCT, GUIDE], question=QUESTION)

    assert {c.document_id for c in checked.citations} == {GUIDE.document_id}
    assert checked.text.count("[1]") == 2


def test_a_sentence_only_another_document_supports_still_cites_that_document():
    answer = ANSWER + " It also has a heart rate sensor."

    checked = check_citations(answer, [PRODUCT, GUIDE], question=QUESTION)

    assert [c.document_id for c in checked.citations] == [GUIDE.document_id, PRODUCT.document_id]
    assert checked.text.endswith("heart rate sensor [2].")
