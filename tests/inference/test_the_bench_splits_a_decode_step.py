"""The bench's decode-step breakdown: time in each kind of kernel product, and the rest."""

from __future__ import annotations

import torch

from inference import gemv
from inference.bench import steady_tok_s


def test_products_are_timed_by_kind_only_while_asked():
    x = torch.randn(2, 64)
    weight = torch.randn(96, 64)
    experts = torch.randn(4, 96, 64)

    with gemv.timed_products() as seconds:
        gemv.matmul_rows(x, weight)
        after_rows = dict(seconds)
        gemv.matmul_grouped(x, experts, [(1, 1), (3, 1)])
    gemv.matmul_rows(x, weight)  # after the block: not counted anywhere

    assert after_rows["projections"] > 0 and after_rows["experts"] == 0
    assert seconds["experts"] > 0 and seconds["attention"] == 0
    assert seconds["projections"] == after_rows["projections"]


def test_a_steady_run_reports_its_steps_and_what_the_kernel_took_of_them(demo_engine):
    run = steady_tok_s(demo_engine, 2, seconds=1.0)

    assert run.tok_s > 0 and run.step_ms > 0
    assert set(run.kernel_ms) == set(gemv.PRODUCT_KINDS)
    # The demo model's experts and projections go through the kernel at decode, and the kernel's
    # time is a part of the steps' time, measured over the same window.
    assert run.kernel_ms["experts"] > 0 and run.kernel_ms["projections"] > 0
    assert 0 <= run.other_ms < run.step_ms
    assert 1.9 <= run.experts_per_layer <= 4
