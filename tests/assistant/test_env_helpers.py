from __future__ import annotations

import pytest

from assistant import env
from assistant.env import ConfigError


def test_integers_below_the_minimum_are_refused(monkeypatch):
    monkeypatch.setenv("SOME_LIMIT", "-3")

    with pytest.raises(ConfigError, match="SOME_LIMIT='-3' is not a valid integer >= 1"):
        env.env_int("SOME_LIMIT", 10, minimum=1)


def test_lists_drop_blanks(monkeypatch):
    monkeypatch.setenv("SOME_HOSTS", "a.example, ,b.example,")

    assert env.env_list("SOME_HOSTS") == ["a.example", "b.example"]


def test_unset_values_take_the_default(monkeypatch):
    monkeypatch.delenv("SOME_FLAG", raising=False)

    assert env.env_bool("SOME_FLAG", True) is True


def test_urls_must_have_an_allowed_scheme(monkeypatch):
    monkeypatch.setenv("SOME_URL", "ftp://x")

    with pytest.raises(ConfigError, match="SOME_URL"):
        env.env_url("SOME_URL", schemes=("http", "https"))
