"""The model reads each source as "[n] title (location): text"; words it copies from the title or the
heading support its sentence as much as words from the text."""

from __future__ import annotations

from dataclasses import replace

from assistant.citations import check_citations
from tests.assistant.pipeline.conftest import passage


def test_a_sentence_that_names_the_passages_title_and_heading_is_attributed_to_it():
    source = replace(
        passage(
            1, "Andheri East, 400069; open 9:00 to 18:00 on weekdays.", title="Service centers"
        ),
        location="Service centers › Mumbai",
    )

    checked = check_citations(
        "You can visit the service centers in Mumbai.",
        [source],
        question="Where is the service center in Mumbai?",
    )

    assert checked.text == "You can visit the service centers in Mumbai [1]."
    assert [c.chunk_id for c in checked.citations] == [1]


def test_a_model_citation_that_quotes_the_title_is_kept():
    source = passage(1, "7.1% a year for 5 years.", title="ZX Bank House Loan")

    checked = check_citations("The ZX Bank House Loan is for 5 years [1].", [source])

    assert [c.chunk_id for c in checked.citations] == [1]
    assert checked.removed == []
