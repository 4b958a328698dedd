"""Citation checking takes any text: nested or odd brackets are read as markers or left as text.

"[[1]2]" once left a marker behind that renumbering could not find (KeyError): the answer was lost,
the API answered 500 and Slack retried six times.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.citations import check_citations
from tests.doubles import cited_passage

PASSAGES = [
    cited_passage(
        11, 1, "Leave policy", "Parental", "Employees may take 20 weeks of paid parental leave."
    ),
    cited_passage(
        12, 2, "Leave policy", "Sick", "Sick leave of up to 20 weeks is paid by the company."
    ),
]


def test_a_marker_inside_another_is_read_as_a_citation():
    checked = check_citations("Employees may take 20 weeks of paid leave [[1]2].", PASSAGES)

    assert checked.text == "Employees may take 20 weeks of paid leave [1] [2]."
    assert [c.chunk_id for c in checked.citations] == [11, 12]


def test_the_answer_from_the_report_keeps_its_text():
    checked = check_citations("Parental leave lasts … weeks [[1]2].", PASSAGES)

    assert checked.text.startswith("Parental leave lasts … weeks")


BRACKETY = st.text(alphabet=st.sampled_from("[]123 .\n!?aZ()#"), max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(answer=st.one_of(BRACKETY, st.text(max_size=300)), count=st.integers(0, 2))
def test_any_answer_is_checked_and_every_marker_left_names_a_source(answer, count):
    checked = check_citations(answer, PASSAGES[:count], question="How long is leave [1]?")

    numbers = {int(n) for n in re.findall(r"\[(\d{1,2})\]", checked.text)}
    assert numbers == {c.n for c in checked.citations}
    assert [c.n for c in checked.citations] == list(range(1, len(checked.citations) + 1))
