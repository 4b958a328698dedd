from __future__ import annotations

import json

from moderation import Action, PiiSpan, Stage, Verdict


def test_a_verdict_round_trips_through_json() -> None:
    verdict = Verdict(
        stage=Stage.OUTPUT,
        action=Action.REDACT,
        scores={"pii": 1.0, "sexual": 0.0123456},
        categories=("pii",),
        decisive=("pii",),
        pii=(PiiSpan(9, 29, "EMAIL"),),
        rule="output.pii: redact (score 1.00 >= 0.50)",
        redacted_text="Write to [EMAIL].",
    )
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data == {
        "stage": "output",
        "action": "redact",
        "scores": {"pii": 1.0, "sexual": 0.0123},
        "categories": ["pii"],
        "decisive": ["pii"],
        "pii": [{"start": 9, "end": 29, "kind": "EMAIL"}],
        "rule": "output.pii: redact (score 1.00 >= 0.50)",
        "redacted_text": "Write to [EMAIL].",
        "errors": [],
    }
    assert not verdict.blocked
