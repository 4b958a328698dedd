"""A check mixes the shipped OpenAI-set heads into the harm scores at the shares training chose.

The shares in the shipped heads are the ones the training report records; a category with a
share gets the mix, every other category keeps the main heads' score.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from moderation import classifier
from moderation.features import TextFeatures
from moderation.heads import packaged_embedding_heads, packaged_heads
from moderation.verdict import Stage

TEXTS = [
    "People like them should be driven out of this country, they are vermin.",
    "Where do I find the form to report a broken chair in the meeting room?",
]


@pytest.mark.parametrize("text", TEXTS)
def test_checks_mix_the_shipped_openai_set_heads_into_the_harm_scores(text):
    heads = packaged_embedding_heads(classifier.OPENAI_HARM_WEIGHTS)
    shares = heads.shares()
    report = json.loads(
        resources.files("moderation.weights").joinpath("training-report.json").read_text()
    )
    recorded = report["hyperparameters"]["openai_shares"]
    assert {c: round(s, 4) for c, s in recorded.items()} == {
        c: s for c, s in shares.items() if c in recorded
    }
    assert any(s > 0 for s in shares.values())

    features = TextFeatures(text)
    main = classifier.combine(packaged_heads(classifier.HARM_WEIGHTS).score(features))
    openai = classifier.combine_harm(heads.score(features))
    got = classifier.detect(text, features, Stage.INPUT).scores

    for category, score in main.items():
        share = shares.get(category, 0.0)
        expected = (1.0 - share) * score + share * openai[category] if share else score
        assert got[category] == pytest.approx(expected, abs=1e-6), category
    assert any(got[c] != main[c] for c, s in shares.items() if s > 0)
