"""`helm lint --strict` (Helm's own linter) finds no warning or error in the chart, with its defaults
and with vLLM."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest

from tests.deploy.rendering import HELM, vllm_values

WARNING = 2


@pytest.mark.parametrize("values", [{}, vllm_values()], ids=["defaults", "vllm"])
def test_the_chart_passes_helm_lint_in_strict_mode(values: dict[str, Any]) -> None:
    report = helm.lint(HELM / "assistant", values, strict=True, kube_version="v1.30.0")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= WARNING] == []
