"""Loading runs in a thread that ends with it, so the caller's thread never gets an OpenMP pool of
its own (a second pool makes libgomp cut its spin-wait and slows every prefill of the engine)."""

from __future__ import annotations

import threading

import pytest

import inference.engine
from inference.engine import Engine
from inference.loading import in_passing_thread
from inference.sampling import SamplingParams


def test_the_model_is_loaded_on_a_thread_that_has_ended(make_tiny_model, monkeypatch):
    loaded_on: list[threading.Thread] = []
    original = inference.engine.load_model

    def recording(*args, **kwargs):
        loaded_on.append(threading.current_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(inference.engine, "load_model", recording)
    engine = Engine(make_tiny_model("mixtral"), max_batch=2, max_context=128)
    try:
        assert len(loaded_on) == 1
        assert loaded_on[0] is not threading.current_thread()
        assert not loaded_on[0].is_alive()
        result = engine.complete(
            [{"role": "user", "content": "Hello"}], SamplingParams(max_tokens=4, ignore_eos=True)
        )
    finally:
        engine.close()
    assert result.completion_tokens == 4


def test_a_passing_thread_returns_the_result_and_raises_the_error():
    callers: list[threading.Thread] = []

    def work() -> int:
        callers.append(threading.current_thread())
        return 42

    assert in_passing_thread(work) == 42
    assert callers[0] is not threading.current_thread() and not callers[0].is_alive()

    def fail() -> None:
        raise ValueError("no such checkpoint")

    with pytest.raises(ValueError, match="no such checkpoint"):
        in_passing_thread(fail)
