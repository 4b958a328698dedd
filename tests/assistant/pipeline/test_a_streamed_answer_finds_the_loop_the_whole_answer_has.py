"""Fed piece by piece, the loop detector finds the loop that the whole text so far has, where it is."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.repetition import LoopDetector, loop_start

WORDS = [
    "a", "high-end,", "Leave", "is", "20", "weeks.", "1.", "2.", "[1]", "[2]", "3", "4", "5", "6",
    "7", "8", "9", "10", "11", "x.", "Y!", ".", "?", "7.5", "-", "*", "ΑΣ.", "a.b", "Dr.",
]  # fmt: skip
SPACES = [" ", "\n", "  ", " \n ", "\t"]


@st.composite
def answers(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=60))
    text = "".join(word + space for word, space in pairs)
    return text.rstrip() if draw(st.booleans()) else text


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(answer=answers(), piece=st.integers(1, 7))
def test_each_piece_reports_what_the_text_so_far_would(answer, piece):
    detector = LoopDetector()
    for end in range(piece, len(answer) + piece, piece):
        found = detector.feed(answer[end - piece : end])
        assert found == loop_start(answer[:end])
        if found is not None:
            break
