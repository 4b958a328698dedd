from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command

from moderation import injected_documents

MANUAL = """# Card Replacement

## Step 1: Report the card

Call the branch or use the mobile app to report a lost card; the card is blocked at once.

## Step 2: Collect the new card

The new card arrives by post within five working days; activate it at any cash machine.
"""


def test_the_documents_format_checks_each_section_clean_and_injected_at_the_context_stage(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    md = tmp_path / injected_documents.HELD_OUT_COMPANY / "md"
    md.mkdir(parents=True)
    (md / "Cards.md").write_text(MANUAL)
    out = tmp_path / "figures.json"

    call_command(
        "evaluate_moderation",
        dataset=str(tmp_path),
        format="documents",
        split="held-out",
        json=str(out),
    )

    printed = capsys.readouterr().out
    assert "clean_dropped_rate" in printed and "per position" in printed
    figures = json.loads(out.read_text())
    assert figures["format"] == "documents"
    assert figures["companies"] == [injected_documents.HELD_OUT_COMPANY]
    assert figures["n"] == 4 and figures["positives"] == 2
    injected = [d for d in injected_documents.evaluation_examples(tmp_path) if d.injected]
    assert set(figures["per_position"]) == {d.position for d in injected}
    assert set(figures["per_kind"]) == {d.kind for d in injected}
    assert sum(f["n"] for f in figures["per_kind"].values()) == 2
    # Every dropped clean section and every missed instruction is listed by name.
    dropped = round(len(figures["clean_dropped"]) / 2, 4)
    assert figures["clean_dropped_rate"] == dropped
    missed = round(1 - len(figures["injected_missed"]) / 2, 4)
    assert figures["injected_dropped_rate"] == missed
