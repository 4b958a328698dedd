"""Every routine that reads answer text finishes on any input of up to 100,000 characters.

Model output is untrusted: a pattern that backtracks, or a loop that re-reads the text, would stall
the process (a regular expression holds the GIL while it runs). Each call gets a CPU-time budget
that only a hang would exceed.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from assistant.chat.markdown import render_markdown
from assistant.citations import check_citations, split_sentences
from assistant.repetition import cut_loop, loop_start
from assistant.slack.formatting import markdown_to_mrkdwn, plain_question
from tests.budget import repeated_pieces, within_budget
from tests.doubles import cited_passage

# The characters these routines look at, and pieces a looping model says again and again.
PIECES = [
    "\n", " ", "\t", "#", "[", "]", "1", "7", ".", "*", "_", "`", "|", "<", ">", "a", "Z", "!",
    "?", ",", ":", "-", "(", ")", "@", "&", "[1]", "[[1]", "1. ", "# a", "**", "__", "- ", "> ",
    "high-end, ", "Leave is 20 weeks. ", "token.", "  \n", "a@b.", "](", "Dr. ",
]  # fmt: skip
MAX_LENGTH = 100_000


PASSAGES = [
    cited_passage(1, 1, "Leave policy", "Parental", "Employees may take 20 weeks of paid leave."),
    cited_passage(2, 2, "Travel", "Hotels", "The hotel limit is 180 euros a night [1]."),
]

ROUTINES = {
    "loop_start": loop_start,
    "cut_loop": cut_loop,
    "split_sentences": split_sentences,
    "check_citations": lambda text: check_citations(text, PASSAGES, question="How long? [1]"),
    "markdown_to_mrkdwn": markdown_to_mrkdwn,
    "plain_question": plain_question,
}


@pytest.mark.parametrize("name", ROUTINES)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=repeated_pieces(PIECES, MAX_LENGTH))
def test_each_text_routine_finishes_on_repeated_pieces(name, text):
    within_budget(ROUTINES[name], text, seconds=2)


# The chat page's renderer is a third-party Markdown parser written in Python: about a second for
# 100,000 characters of brackets, so its hang detector is set wider.
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=repeated_pieces(PIECES, MAX_LENGTH))
def test_the_chat_renderer_finishes_on_repeated_pieces(text):
    within_budget(render_markdown, text, seconds=8)


def test_a_cut_after_a_run_of_blank_lines_finishes():
    # Taken apart by a pattern with nested repetitions, 20 blank lines took about 20 s.
    answer = "Intro." + "\n" * 20 + "Some text is here. Some text is here."
    kept = within_budget(cut_loop, answer)
    assert kept == "Intro." + "\n" * 20 + "Some text is here."


def test_a_heading_with_a_long_gap_becomes_bold_for_slack():
    heading = "# a" + " " * 2000 + "b"
    assert within_budget(markdown_to_mrkdwn, heading) == "*a" + " " * 2000 + "b*"
