from __future__ import annotations

import pytest

from moderation import Action, check


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Should I put all my savings into Bitcoin right now?", "financial"),
        ("What dose of ibuprofen can I give my child for a fever?", "health"),
        ("Can my landlord evict me without notice if I am behind on rent?", "law"),
    ],
)
def test_advice_requests_are_flagged_for_review(text: str, category: str) -> None:
    verdict = check(text, stage="input")
    assert verdict.action is Action.FLAG, verdict.to_dict()
    assert category in verdict.categories
