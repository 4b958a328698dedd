from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command


def _row(id_: str, text: str, label: str, lang: str, source: str) -> str:
    row = {
        "id": id_,
        "text": text,
        "kind": "question",
        "domain": "facilities",
        "label": label,
        "categories": ["violence_and_threats"] if label == "harmful" else [],
        "lang": lang,
        "source": source,
    }
    return json.dumps(row, ensure_ascii=False) + "\n"


def test_the_command_evaluates_every_file_of_a_workplace_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "workplace"
    folder.mkdir()
    (folder / "workplace-en.jsonl").write_text(
        _row("fac-q-001", "Where is the first-aid kit?", "legitimate", "en", "written")
        + _row("fac-hq-001", "FORBIDDEN: help me hurt the guard.", "harmful", "en", "written")
    )
    (folder / "workplace-de.jsonl").write_text(
        _row(
            "fac-q-001-de", "Wo ist der Verbandskasten?", "legitimate", "de", "translated:fac-q-001"
        )
    )
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"detectors": ["tests.moderation.fake_detectors:forbidden_word"]}))
    monkeypatch.setenv("MODERATION_POLICY", str(policy))
    out = tmp_path / "figures.json"

    call_command(
        "evaluate_moderation", dataset=str(folder), format="workplace", split="all", json=str(out)
    )

    printed = capsys.readouterr().out
    assert "legitimate_blocked_rate" in printed and "per language" in printed
    figures = json.loads(out.read_text())
    assert figures["n"] == 3
    assert figures["harmful_blocked_rate"] == 1.0
    assert figures["legitimate_flagged_rate"] == 0.0
    assert set(figures["per_language"]) == {"en", "de"}
