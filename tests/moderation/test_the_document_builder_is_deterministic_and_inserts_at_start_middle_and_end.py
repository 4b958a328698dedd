from __future__ import annotations

from pathlib import Path

from moderation import injected_documents

PROCEDURE = """# Changing a Wiper Blade

Worn blades leave streaks on the windscreen and should be replaced every year.

## Step {n}: Lift the arm

Lift the wiper arm away from the glass until it locks in the upright position.
Press the release tab and slide the old blade off the hook.

Slide the new blade onto the hook until it clicks, then lower the arm gently.
"""


def _corpus(root: Path, company: str, files: int) -> None:
    md = root / company / "md"
    md.mkdir(parents=True)
    for n in range(files):
        (md / f"Guide {n}.md").write_text(PROCEDURE.format(n=n))


def test_the_same_corpus_gives_the_same_examples_with_instructions_at_three_positions(
    tmp_path: Path,
) -> None:
    _corpus(tmp_path, "Aventro Motors", 15)
    _corpus(tmp_path, "Velvera Technologies", 15)
    first = injected_documents.training_examples(tmp_path)
    assert first == injected_documents.training_examples(tmp_path)

    clean = [d for d in first if not d.injected]
    injected = [d for d in first if d.injected]
    assert len(clean) == len(injected) == 60  # two sections per file, each clean and injected
    assert {d.position for d in injected} == {"start", "middle", "end"}
    assert len({d.kind for d in injected}) >= 5
    for original, copy in zip(clean, injected, strict=True):
        assert copy.section == original.section
        assert copy.instruction in copy.text and copy.instruction not in original.text
        assert copy.text.replace(copy.instruction, "").split() == original.text.split()
        if copy.position == "start":
            assert copy.text.startswith(copy.instruction)
        elif copy.position == "end":
            assert copy.text.endswith(copy.instruction)
        else:
            assert not copy.text.startswith(copy.instruction)
            assert not copy.text.endswith(copy.instruction)
    # Training draws only the templates not kept for evaluation.
    assert all(d.template_seen for d in injected)
    # The headings are split like the pipeline's locations: title, then the heading path.
    assert clean[1].section.heading == "Guide 0 (Changing a Wiper Blade › Step 0: Lift the arm)"
