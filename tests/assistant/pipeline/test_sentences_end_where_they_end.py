"""The checker cites sentence by sentence; an abbreviation's stop or a list number is no sentence end."""

from __future__ import annotations

import pytest

from assistant.citations import check_citations, split_sentences
from tests.assistant.pipeline.conftest import passage

AWARDS = passage(
    1,
    "ZX Bank Ltd. won the Best Women's Banking Initiative award in 2023.",
    title="Awards & recognitions",
)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "ZX Bank Ltd. won an award in 2023. It was the first.",
            ["ZX Bank Ltd. won an award in 2023.", "It was the first."],
        ),
        ("Ask Dr. Rao. Or visit e.g. Pune. Done", ["Ask Dr. Rao.", "Or visit e.g. Pune.", "Done"]),
        ("The fee is Rs. 500 a year. Pay online.", ["The fee is Rs. 500 a year.", "Pay online."]),
        (
            "1. Open the app. Tap Cheque.\n2. Confirm.",
            ["1. Open the app.", "Tap Cheque.", "2. Confirm."],
        ),
        ("Yes!\n\nNo? Maybe.", ["Yes!", "No?", "Maybe."]),
    ],
)
def test_sentences(text, sentences):
    pairs = split_sentences(text)
    assert [sentence for sentence, _ in pairs if sentence] == sentences
    # Nothing is lost: sentences and separators put back together give the text.
    assert "".join(sentence + separator for sentence, separator in pairs) == text


def test_a_citation_goes_after_the_sentence_not_inside_a_company_name():
    checked = check_citations(
        "ZX Bank Ltd. won the Best Women's Banking Initiative award in 2023.",
        [AWARDS],
        question="What awards did ZX Bank Ltd. win in 2023?",
    )

    assert checked.text == "ZX Bank Ltd. won the Best Women's Banking Initiative award in 2023 [1]."
