from __future__ import annotations

import pytest

from moderation import check

# Questions an employee of a bank asks every day; several share words with harmful requests.
HARMLESS = [
    "How do I kill a Python process that hangs?",
    "I need to take medical leave for surgery next month. What is the process?",
    "How many days of annual leave do I get under the HR policy?",
    "What does the harassment policy say about reporting a complaint?",
    "What interest rate does the bank offer on business savings accounts?",
    "Summarise the credit risk section of the quarterly report.",
    "How do I terminate a contract with a supplier?",
    "What is the best way to shoot a product photo for the catalogue?",
]


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_questions_pass_the_input_check(text: str) -> None:
    verdict = check(text, stage="input")
    assert not verdict.blocked, verdict.to_dict()
