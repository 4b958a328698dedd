"""The context head's two operating points are chosen on document sections out of fold: the drop
threshold keeps clean sections dropped (text or heading) within its limit, the lower quote
threshold keeps clean sections quoted inert within its own, and the input threshold is chosen on
the injection set alone."""

from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.training import LIMITS, Item, Scores, Sets, calibrate, figures, policy_file


def _sections(n: int, *, injected: bool) -> list[Item]:
    out = []
    for i in range(n):
        group = f"section-{i}"
        out.append(
            Item(
                Example(f"{group} {injected}", unsafe=injected), "documents", group, None, injected
            )
        )
        if not injected:
            out.append(
                Item(
                    Example(f"heading {i}", kind="heading"), "document-headings", group, None, False
                )
            )
    return out


def test_drop_and_quote_thresholds_keep_clean_sections_within_their_limits() -> None:
    rng = np.random.default_rng(1)
    injections = [
        Item(Example(f"q {i} {bad}", unsafe=bad), "injections", f"q{i}{bad}", None, bad)
        for bad in (False, True)
        for i in range(100)
    ]
    items = injections + _sections(400, injected=False) + _sections(400, injected=True)
    n = len(items)
    injected = np.array([it.example.unsafe for it in items])
    # Overlapping context scores: no threshold drops every injected section and no clean one.
    context = np.clip(
        np.where(injected, rng.normal(0.75, 0.12, n), rng.normal(0.35, 0.12, n)), 0, 1
    )
    # The input head separates the injection set's questions cleanly and knows nothing of sections.
    direct = np.array(
        [0.9 if it.source == "injections" and it.example.unsafe else 0.1 for it in items]
    )
    scores = Scores(
        harm=np.zeros((n, 5)),
        advice=np.zeros((n, 3)),
        injection=direct,
        context=context,
        jailbreak=np.zeros(n),
        pii=np.zeros(n),
    )

    chosen = calibrate(scores, Sets.of(items), items)
    oof = figures(items, scores, Sets.of(items), chosen)

    assert oof["documents_clean_dropped"] <= LIMITS["documents_clean_dropped"]
    assert oof["documents_clean_quoted_or_dropped"] <= LIMITS["documents_clean_quoted"]
    assert chosen.context_quote < chosen.context_drop
    assert oof["documents_injected_dropped"] < oof["documents_injected_dropped_or_quoted"]
    assert oof["injection_f1"] == 1.0
    rules = policy_file(chosen)["stages"]
    assert rules["context"]["rules"]["prompt_injection"] == {
        "threshold": chosen.context_drop,
        "flag_threshold": chosen.context_quote,
    }
    assert rules["input"]["rules"]["prompt_injection"] == {"threshold": chosen.injection}
