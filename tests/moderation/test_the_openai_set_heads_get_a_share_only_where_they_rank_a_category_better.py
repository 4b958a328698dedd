"""The OpenAI-set heads are trained on the OpenAI items alone and mixed into a harm category only
where the mix ranks that category better out of fold.

Hate is ranked well by the OpenAI-set heads and badly by the main heads: it gets a share. Sexual
is the reverse: no share. Dangerous content is ranked perfectly by the OpenAI-set scores, but no
OpenAI item carries it: no share, whatever the scores say. The heads fitted on a mixture of
sources equal the heads fitted on its OpenAI items alone, and they survive a round trip to disk.
"""

from __future__ import annotations

import numpy as np

from moderation.classifier import mix
from moderation.datasets import Example
from moderation.features import char_counts
from moderation.heads import EmbeddingHeads
from moderation.training import (
    Features,
    Item,
    Scores,
    _fit_openai,
    mix_openai,
    openai_shares,
)

SEXUAL, HATE, VIOLENCE, DANGEROUS, SELFHARM = (
    "sexual",
    "hate_and_discrimination",
    "violence_and_threats",
    "dangerous_and_criminal_content",
    "selfharm",
)


def _items(rng: np.random.Generator) -> list[Item]:
    items = []
    for i in range(400):
        source = "openai" if i < 200 else "workplace"
        labels = set()
        if rng.random() < 0.3:
            labels.add(HATE)
        if rng.random() < 0.3:
            labels.add(SEXUAL)
        if source == "workplace" and rng.random() < 0.3:
            labels.add(DANGEROUS)
        cats = frozenset(labels)
        items.append(Item(Example(f"{source} {i}", cats), source, f"g{i}", cats, None))
    return items


def test_the_openai_set_heads_get_a_share_only_where_they_rank_a_category_better(tmp_path):
    rng = np.random.default_rng(3)
    items = _items(rng)
    n = len(items)
    y = np.array([[c in (it.harm or ()) for c in (SEXUAL, HATE, DANGEROUS)] for it in items])
    noise = rng.random((n, 3))
    harm, openai = np.zeros((n, 5)), np.zeros((n, 5))
    # sexual: the main heads rank it, the OpenAI-set heads do not
    harm[:, 0], openai[:, 0] = 0.6 * y[:, 0] + 0.4 * noise[:, 0], rng.random(n)
    # hate: the reverse
    harm[:, 1], openai[:, 1] = rng.random(n), 0.6 * y[:, 1] + 0.4 * noise[:, 1]
    # dangerous: only workplace items carry it, though the OpenAI-set scores rank it perfectly
    harm[:, 3], openai[:, 3] = rng.random(n), y[:, 2].astype(float)
    scores = Scores(
        harm=harm,
        advice=np.zeros((n, 3)),
        injection=np.zeros(n),
        context=np.zeros(n),
        jailbreak=np.zeros(n),
        pii=np.zeros(n),
        openai=openai,
    )

    shares = openai_shares(items, scores)

    assert shares[HATE] >= 0.5, shares
    assert shares[SEXUAL] == 0.0, shares
    assert shares[DANGEROUS] == 0.0, shares
    assert shares[VIOLENCE] == shares[SELFHARM] == 0.0, shares
    mixed = scores.mixed(shares).harm
    np.testing.assert_allclose(mixed, mix_openai(harm, openai, shares))
    np.testing.assert_allclose(mixed[:, 0], harm[:, 0])
    # the product's mix gives the same score as training's
    cats = [SEXUAL, HATE, VIOLENCE, DANGEROUS, SELFHARM]
    row = mix(
        dict(zip(cats, harm[7], strict=True)), dict(zip(cats, openai[7], strict=True)), shares
    )
    np.testing.assert_allclose([row[c] for c in cats], mixed[7])

    # the heads read the OpenAI items only
    vectors = rng.normal(0.0, 1.0, (n, 16)).astype(np.float32)
    hate = np.array([HATE in (it.harm or ()) for it in items])
    vectors[:, 0] += np.where(hate, 2.0, 0.0)
    texts = [it.example.text for it in items]
    feats = Features.__new__(Features)
    feats.texts, feats.vectors, feats.counts = texts, vectors, char_counts(texts).tocsr()
    everything = np.arange(n)
    heads = _fit_openai(items, everything, feats, shares)
    alone = _fit_openai(items, np.arange(200), feats, shares)
    np.testing.assert_allclose(heads.coef, alone.coef)
    dangerous = heads.labels.index(DANGEROUS)
    assert np.all(heads.coef[dangerous] == 0.0)
    assert heads.probabilities(vectors)[:, dangerous].max() < 1e-6
    assert heads.shares()[HATE] == shares[HATE]

    heads.save(tmp_path / "harm-openai.npz")
    loaded = EmbeddingHeads.load(tmp_path / "harm-openai.npz")
    assert loaded.labels == heads.labels
    np.testing.assert_allclose(loaded.share, heads.share)
    np.testing.assert_allclose(
        loaded.probabilities(vectors[:20]), heads.probabilities(vectors[:20]), atol=2e-3
    )
