"""Each harm label's blend of embedding and character heads is chosen out of fold, per label.

One label is carried by the embedding alone (a direction of the vectors, with texts that share
no telling n-gram); another by a word in the text alone (vectors are noise). The chosen blend
leans on the embedding head for the first and on the character head for the second, and heads
written with per-label blends read back the same scores.
"""

from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.features import char_counts
from moderation.heads import LinearHeads
from moderation.training import HARM_LABELS, HARMFUL, Features, Item, _fit_harm, harm_blends

SEXUAL, DANGEROUS = "sexual", "dangerous_and_criminal_content"


def _population(seed: int = 7) -> tuple[list[Item], Features]:
    rng = np.random.default_rng(seed)
    n, dim = 400, 32
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    sexual = rng.random(n) < 0.3
    dangerous = rng.random(n) < 0.3
    vectors = rng.normal(0.0, 1.0, (n, dim)).astype(np.float32)
    vectors[:, 0] += np.where(sexual, 2.5, 0.0)
    others = [label for label in HARM_LABELS if label not in (SEXUAL, DANGEROUS, HARMFUL)]
    items, texts = [], []
    for i in range(n):
        text = " ".join(rng.choice(words, 6)) + (" zyxwvut" if dangerous[i] else "")
        # Every other label is noise, present on one text in ten: each head has positives.
        noise = [label for label in others if rng.random() < 0.1]
        labels = frozenset([SEXUAL] * bool(sexual[i]) + [DANGEROUS] * bool(dangerous[i]) + noise)
        items.append(Item(Example(text, labels), "openai", f"g{i}", labels, None))
        texts.append(text)
    feats = Features.__new__(Features)
    feats.texts, feats.vectors, feats.counts = texts, vectors, char_counts(texts).tocsr()
    return items, feats


def test_each_harm_label_blends_its_heads_by_the_part_that_ranks_it_better(tmp_path):
    items, feats = _population()
    blends = harm_blends(items, feats)

    assert set(blends) == set(HARM_LABELS)
    assert blends[SEXUAL] >= 0.7, blends
    assert blends[DANGEROUS] <= 0.3, blends

    heads = _fit_harm(items, np.arange(len(items)), feats, blends)
    assert heads.blend.shape == (len(HARM_LABELS),)
    heads.save(tmp_path / "harm.npz")
    loaded = LinearHeads.load(tmp_path / "harm.npz")
    np.testing.assert_allclose(loaded.blend, [blends[label] for label in HARM_LABELS])
    np.testing.assert_allclose(
        loaded.score_arrays_batch(feats.vectors[:20], feats.counts[:20]),
        heads.score_arrays_batch(feats.vectors[:20], feats.counts[:20]),
        atol=2e-3,
    )
