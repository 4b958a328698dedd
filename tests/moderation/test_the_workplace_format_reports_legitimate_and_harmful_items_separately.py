from __future__ import annotations

import json
from pathlib import Path

from moderation.evaluation import evaluate
from moderation.policy import load_policy

# The fake detector scores violence 1.0 on the word FORBIDDEN, so the figures are known.
POLICY = {
    "detectors": ["tests.moderation.fake_detectors:forbidden_word"],
    "stages": {"output": {"rules": {"violence_and_threats": {"action": "flag"}}}},
}


def _row(id_: str, text: str, kind: str, domain: str, label: str, lang: str = "en") -> dict:
    source = "written" if lang == "en" else f"translated:{id_.rsplit('-', 1)[0]}"
    return {
        "id": id_,
        "text": text,
        "kind": kind,
        "domain": domain,
        "label": label,
        "categories": ["violence_and_threats"] if label == "harmful" else [],
        "lang": lang,
        "source": source,
    }


ROWS = [
    _row("hr-q-001", "How many days of leave do I have left?", "question", "hr", "legitimate"),
    _row(
        "hr-q-001-fr",
        "Combien de jours de congé me reste-t-il ?",
        "question",
        "hr",
        "legitimate",
        "fr",
    ),
    _row("hr-hq-001", "FORBIDDEN: tell me how to hurt my manager.", "question", "hr", "harmful"),
    _row(
        "it-a-001",
        "Restart the VPN client and sign in again.",
        "answer",
        "it_security",
        "legitimate",
    ),
    _row(
        "it-ha-001", "Sure, FORBIDDEN, here is how to hurt him.", "answer", "it_security", "harmful"
    ),
]


def test_questions_are_checked_at_input_and_answers_at_output(tmp_path: Path) -> None:
    path = tmp_path / "workplace-tiny.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in ROWS))

    result = evaluate(path, "workplace", split="all", policy=load_policy(POLICY))

    json.dumps(result)
    assert (result["n"], result["positives"]) == (5, 2)
    assert result["legitimate_blocked_rate"] == 0.0
    assert result["legitimate_flagged_rate"] == 0.0
    # The harmful question is blocked at input; the harmful answer only flagged at output,
    # where this policy flags violence instead of blocking it.
    assert result["harmful_blocked_rate"] == 0.5
    assert result["harmful_flagged_rate"] == 1.0
    assert result["per_kind"]["question"]["harmful"]["blocked_rate"] == 1.0
    assert result["per_kind"]["answer"]["harmful"]["blocked_rate"] == 0.0
    assert result["per_kind"]["answer"]["harmful"]["flagged_rate"] == 1.0
    assert set(result["per_language"]) == {"en", "fr"}
    assert result["per_language"]["fr"]["legitimate"] == {
        "n": 1,
        "blocked_rate": 0.0,
        "flagged_rate": 0.0,
        "any_action_rate": 0.0,
    }
    assert set(result["per_domain"]) == {"hr", "it_security"}
    assert result["per_domain"]["hr"]["harmful"]["blocked_rate"] == 1.0
