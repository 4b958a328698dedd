"""Typed readers for configuration from the environment.

Each helper fails loudly with one line naming the variable, so a typo in a deployment stops start-up
instead of silently running with a default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration variable is missing or malformed."""


def _read(name: str, default: T, parse: Callable[[str], T], expected: str) -> T:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return parse(raw.strip())
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={raw!r} is not a valid {expected}") from None


def env_str(name: str, default: str = "") -> str:
    """A string setting."""
    return os.environ.get(name, default)


def env_required(name: str) -> str:
    """A string setting that must be present and non-empty."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} must be set")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean setting: 1/true/yes/on or 0/false/no/off."""

    def parse(raw: str) -> bool:
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(raw)

    return _read(name, default, parse, "boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer setting, optionally with a lower bound."""

    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(raw)
        return value

    bound = f" >= {minimum}" if minimum is not None else ""
    return _read(name, default, parse, f"integer{bound}")


def env_float(name: str, default: float) -> float:
    """A float setting."""
    return _read(name, default, float, "number")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list setting; blanks are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...] = ()) -> str:
    """A URL setting whose scheme must be one of `schemes`."""

    def parse(raw: str) -> str:
        scheme, sep, rest = raw.partition("://")
        if not sep or not rest or (schemes and scheme not in schemes):
            raise ValueError(raw)
        return raw

    expected = "URL" + (f" with scheme {'/'.join(schemes)}" if schemes else "")
    return _read(name, default, parse, expected)
