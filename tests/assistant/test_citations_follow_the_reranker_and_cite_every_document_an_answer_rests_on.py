"""Citation checking reads the second stage's scores: a sentence that several documents phrase
alike goes to the one the reranker found most relevant, and an answer resting on two documents
cites both."""

from __future__ import annotations

from dataclasses import replace

from assistant.citations import check_citations
from tests.doubles import cited_passage

FARMERS = cited_passage(
    1, 10, "Agriculture loan", "", "ZX Bank offers loans to customers in every branch for farming."
)
HOMES = cited_passage(
    2, 20, "House loan", "", "ZX Bank offers loans to customers in every branch for homes."
)
GENERIC = "ZX Bank offers loans to customers in every branch."


def test_a_generic_sentence_goes_to_the_passage_the_reranker_prefers():
    # The question's words are in neither passage; without scores the first passage wins a tie.
    question = "Which lender should I pick?"
    plain = check_citations(GENERIC, [FARMERS, HOMES], question=question)
    assert [c.document_id for c in plain.citations] == [10]

    reranked = [replace(FARMERS, rerank_score=-1.5), replace(HOMES, rerank_score=2.0)]
    checked = check_citations(GENERIC, reranked, question=question)

    assert [c.document_id for c in checked.citations] == [20]
    assert checked.citations[0].added is True


def test_a_sentence_only_one_passage_supports_keeps_it_whatever_the_reranker_says():
    answer = "Farming loans cover seeds, tractors and irrigation pumps."
    farm = cited_passage(
        1, 10, "Agriculture loan", "", "Farming loans cover seeds, tractors and irrigation pumps."
    )
    reranked = [replace(farm, rerank_score=-3.0), replace(HOMES, rerank_score=3.0)]

    checked = check_citations(answer, reranked, question="What do farming loans cover?")

    assert [c.document_id for c in checked.citations] == [10]


def test_an_answer_resting_on_two_documents_cites_both():
    leave = cited_passage(
        1, 10, "Leave policy", "Parental leave", "Parental leave lasts twenty weeks at full pay."
    )
    payroll = cited_passage(
        2, 20, "Payroll calendar", "Pay dates", "Salaries are paid on the last working day."
    )
    answer = (
        "Parental leave lasts twenty weeks at full pay. "
        "Salaries are paid on the last working day of each month."
    )
    for passages in (
        [leave, payroll],
        [replace(leave, rerank_score=1.0), replace(payroll, rerank_score=-1.0)],
    ):
        checked = check_citations(
            answer, passages, question="How long is leave and when am I paid?"
        )

        assert sorted(c.document_id for c in checked.citations) == [10, 20]
        assert checked.text.count("[1]") == 1 and checked.text.count("[2]") == 1
