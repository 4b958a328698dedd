from __future__ import annotations

import pytest
from django.db import connection

from retrieval import bm25

pytestmark = pytest.mark.django_db

DOCS = {
    "n1.md": "Cats and dogs share this garden.",
    "n2.md": "Cats sleep all afternoon.",
    "n3.md": "Dogs bark at the postman. A parrot talks.",
    "n4.md": "Cats, dogs and fish live in this house.",
    "n5.md": "Cats nap.",
    "n6.md": "Dogs dig.",
    "n7.md": "Cats and dogs play.",
}


def test_the_candidate_budget_counts_postings_as_if_the_reader_saw_a_tenth_at_least(
    ingested, alice
):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)

    with connection.cursor() as cursor:
        lexemes = bm25.query_lexemes(cursor, "parrot cats dogs")  # 1, 5 and 5 chunks
        tenth = bm25.candidate_tsquery(cursor, lexemes, visible_share=0.1, budget=1)
        tiny = bm25.candidate_tsquery(cursor, lexemes, visible_share=0.001, budget=1)

    # At a tenth, "parrot" (0.1 expected) and one of the others (0.5) fit a budget of 1, not both;
    # a reader of a thousandth would have taken every word and read every posting list.
    assert tenth == "'parrot' | 'cat'"
    assert tiny == tenth
