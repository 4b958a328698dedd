from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.training import LIMITS, Item, Scores, Sets, calibrate, clean_sections_dropped


def _item(source: str, i: int, *, unsafe: bool = False) -> Item:
    group = f"{source}#{i}"
    example = Example(f"{source} {unsafe} {i}", frozenset(), unsafe=unsafe, group=group)
    return Item(
        example, source, "company" if source == "documents" else f"file:{i % 7}", None, unsafe
    )


def test_a_file_of_ordinary_text_that_reads_like_orders_is_not_dropped_under_cover_of_the_rest() -> (
    None
):
    items = (
        [_item("documents", i) for i in range(1000)]
        + [_item("documents", i, unsafe=True) for i in range(1000)]
        + [_item("clean-documents", i) for i in range(100)]
        + [_item("injected-documents", i, unsafe=True) for i in range(100)]
        + [_item("injections", i) for i in range(50)]
        + [_item("injections", i, unsafe=True) for i in range(50)]
    )
    source = np.array([it.source for it in items])
    unsafe = np.array([it.example.unsafe for it in items])
    context = np.where(unsafe, 0.93, 0.2)
    # Five passages of one other document (a paper about question answering, say) score like
    # injected text; among 1,100 clean passages pooled they are 0.45%, within the limit.
    odd = np.flatnonzero(source == "clean-documents")[:5]
    context[odd] = 0.85
    n = len(items)
    scores = Scores(
        harm=np.zeros((n, 5)),
        advice=np.zeros((n, 3)),
        injection=np.where((source == "injections") & unsafe, 0.9, 0.1),
        context=context,
        jailbreak=np.zeros(n),
        pii=np.zeros(n),
    )
    sets = Sets.of(items)

    chosen = calibrate(scores, sets, items)

    dropped = chosen.dropped(scores)
    assert chosen.context_drop > 0.85
    assert (
        clean_sections_dropped(items, dropped, sets, sets.other_documents)
        <= LIMITS["documents_clean_dropped"]
    )
    # The passages still reach the model quoted inert, not as plain text; injected ones are dropped.
    assert chosen.quoted(scores)[odd].all()
    assert dropped[unsafe & (source != "injections")].all()
