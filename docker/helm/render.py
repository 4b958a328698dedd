"""Render the chart offline, as `helm template` does, with Helm's own library (helm-python-sdk).

    python docker/helm/render.py [-f VALUES.yaml ...] [--set key=value ...] > manifests.yaml

No cluster and no `helm` binary are needed; the suite renders through the same function.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import helm_python as helm

CHART = Path(__file__).resolve().parent / "assistant"


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` over `base`, maps merged key by key, as Helm merges several -f files."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render(
    values: dict[str, Any] | None = None,
    *,
    release: str = "assistant",
    namespace: str = "assistant",
    upgrade: bool = False,
) -> str:
    """The chart's manifests as one YAML stream, hooks included."""
    with helm.Chart.load(CHART) as chart:
        templates = chart.render(
            values=values or {},
            name=release,
            namespace=namespace,
            is_install=not upgrade,
            is_upgrade=upgrade,
        )
    documents = [
        f"# Source: {path}\n{text.strip()}\n"
        for path, text in sorted(templates.items())
        if path.endswith((".yaml", ".yml")) and text.strip()
    ]
    return "---\n".join(documents)


def main(argv: list[str] | None = None) -> None:
    """Command line: values files and --set expressions, manifests on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--values", action="append", default=[], type=Path)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    parser.add_argument("--release", default="assistant")
    parser.add_argument("--namespace", default="assistant")
    args = parser.parse_args(argv)
    values: dict[str, Any] = {}
    for path in args.values:
        values = deep_merge(values, helm.values_from_yaml(path.read_text()))
    for expression in args.sets:
        values = deep_merge(values, helm.parse_set_string(expression))
    sys.stdout.write(render(values, release=args.release, namespace=args.namespace))


if __name__ == "__main__":
    main()
