"""The detector registry: names mapped to dotted paths, resolved lazily, run with a time limit."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from moderation.features import TextFeatures
from moderation.verdict import PiiSpan, Stage


@dataclass(frozen=True)
class Detection:
    """What one detector found: scores per category (0..1) and PII spans."""

    scores: Mapping[str, float] = field(default_factory=dict)
    pii: tuple[PiiSpan, ...] = ()


class Detector(Protocol):
    """A detector is a function of the text, its shared features and the stage."""

    def __call__(self, text: str, features: TextFeatures, stage: Stage) -> Detection: ...


# A policy names detectors by these keys, or by a dotted path "package.module:function"
# for detectors that live outside this package.
DETECTORS: dict[str, str] = {
    "pii": "moderation.pii_detector:detect",
    "classifier": "moderation.classifier:detect",
    "injection": "moderation.injection:detect",
    "llm_guard": "moderation.llm_guard:detect",
}


@functools.cache
def resolve(name: str) -> Detector:
    """The detector function for a registry name or a dotted path."""
    target = DETECTORS.get(name, name)
    module_name, sep, attr = target.partition(":")
    if not sep:
        raise LookupError(f"unknown detector {name!r}: not registered and not 'module:function'")
    detector: Detector = getattr(importlib.import_module(module_name), attr)
    return detector


@functools.cache
def prepare(name: str) -> None:
    """Run a detector module's optional ``load()`` once, outside any time limit.

    Loading a model takes seconds; counting that against the per-check limit would turn the
    first message of every process into a detector failure.
    """
    target = DETECTORS.get(name, name)
    module = importlib.import_module(target.partition(":")[0])
    load = getattr(module, "load", None)
    if callable(load):
        load()


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="moderation")


def run_detector(
    name: str, text: str, features: TextFeatures, stage: Stage, *, timeout_s: float
) -> Detection:
    """Run one detector; raises its exception, or TimeoutError past ``timeout_s``.

    Python cannot stop a thread, so a detector that times out finishes in the background;
    the check does not wait for it.
    """
    detector = resolve(name)
    prepare(name)
    future = _executor().submit(detector, text, features, stage)
    return future.result(timeout=timeout_s)
