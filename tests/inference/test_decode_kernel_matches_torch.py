"""The compiled decode kernel against torch's matmul: every row count, odd shapes, grouped
(expert) products, shared threads."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
import torch

from inference import gemv


@pytest.fixture(autouse=True)
def kernel():
    # `make test` installs a C compiler; without the kernel these tests would compare torch to itself.
    assert gemv.available(), "the decode kernel did not build (is a C compiler installed?)"


# (weight rows N, input width K): block-aligned, ragged last block, narrower than one vector,
# fewer rows than two blocks (never shared), and the demo model's expert and LM-head shapes.
SHAPES = [(576, 576), (3072, 576), (577, 100), (130, 33), (127, 17), (49152, 576)]


@pytest.fixture
def threads():
    yield
    gemv.set_threads(1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_products_equal_torch_for_every_row_count(threads, count, dtype):
    # The kernel takes several weight rows per pass (4 up to four input rows, 2 above); the
    # shapes include row counts that leave a remainder, which goes one weight row at a time.
    gemv.set_threads(count)
    generator = torch.Generator().manual_seed(count)
    for n, k in SHAPES:
        weight = torch.randn(n, k, generator=generator).to(dtype)
        for rows in range(1, gemv.MAX_ROWS + 1):
            x = torch.randn(rows, k, generator=generator)
            out = gemv.matmul_rows(x, weight)
            torch.testing.assert_close(out, x @ weight.float().T, atol=1e-3, rtol=1e-4)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_grouped_products_equal_each_experts_own_product(threads, count):
    # A decode step's experts: each segment of rows against its own matrix of the stack, with
    # segment sizes up to a whole batch and past it (past 8 rows the kernel works in chunks of 4
    # within a block).
    gemv.set_threads(count)
    generator = torch.Generator().manual_seed(10 + count)
    for n, k in [(3072, 576), (576, 1536), (130, 33), (64, 16)]:
        stack = torch.randn(8, n, k, generator=generator)
        for segments in ([(3, 1)], [(0, 2), (5, 1), (7, 3)], [(1, 8), (6, 7), (2, 1)], [(4, 11)]):
            rows = sum(count for _, count in segments)
            x = torch.randn(rows, k, generator=generator)
            out = gemv.matmul_grouped(x, stack, segments)
            first, expected = 0, []
            for index, count_ in segments:
                expected.append(x[first : first + count_] @ stack[index].T)
                first += count_
            torch.testing.assert_close(out, torch.cat(expected), atol=1e-3, rtol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(3072, 576), (131, 35)])
def test_a_rows_result_does_not_depend_on_the_rows_beside_it(threads, dtype, shape):
    # Batch invariance: a sequence decodes to the same numbers alone or in a batch of eight,
    # whichever weight rows a pass groups (131 rows leave a remainder for every grouping).
    gemv.set_threads(2)
    generator = torch.Generator().manual_seed(7)
    weight = torch.randn(*shape, generator=generator).to(dtype)
    x = torch.randn(gemv.MAX_ROWS, shape[1], generator=generator)
    alone = torch.cat([gemv.matmul_rows(x[i : i + 1], weight) for i in range(gemv.MAX_ROWS)])
    for rows in range(2, gemv.MAX_ROWS + 1):
        assert torch.equal(gemv.matmul_rows(x[:rows], weight), alone[:rows])


def test_grouped_products_refuse_segments_that_do_not_fit(threads):
    stack, x = torch.randn(4, 32, 16), torch.randn(3, 16)
    with pytest.raises(IndexError, match="outside the stack of 4"):
        gemv.matmul_grouped(x, stack, [(4, 3)])
    with pytest.raises(ValueError, match="segments cover 2 rows but x has 3"):
        gemv.matmul_grouped(x, stack, [(0, 2)])


def test_a_three_dimensional_input_keeps_its_shape(threads):
    gemv.set_threads(2)
    weight, x = torch.randn(300, 64), torch.randn(2, 3, 64)
    out = gemv.matmul_rows(x, weight)
    assert out.shape == (2, 3, 300)
    torch.testing.assert_close(out, x @ weight.T, atol=1e-3, rtol=1e-4)


def test_concurrent_callers_each_get_their_own_product(threads):
    # Two engines in one process decode from two threads; the kernel releases the GIL, so their
    # products overlap and must not share helpers' work.
    gemv.set_threads(2)
    weights = [torch.randn(1024, 256) for _ in range(4)]
    inputs = [torch.randn(3, 256) for _ in range(4)]
    errors: list[str] = []

    def work(index: int) -> None:
        for _ in range(200):
            out = gemv.matmul_rows(inputs[index], weights[index])
            if not torch.allclose(out, inputs[index] @ weights[index].T, atol=1e-3, rtol=1e-4):
                errors.append(f"caller {index} got a wrong product")
                return

    callers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert errors == []


def _product_in_child(queue: multiprocessing.Queue, x: torch.Tensor, weight: torch.Tensor) -> None:
    # Only the kernel runs here: torch's own OpenMP matmul is not fork-safe once the parent used it.
    queue.put(gemv.matmul_rows(x, weight).tolist())


def test_a_forked_child_computes_without_the_parents_helpers(threads):
    gemv.set_threads(2)
    weight, x = torch.randn(2048, 128), torch.randn(4, 128)
    expected = gemv.matmul_rows(x, weight)  # the parent starts its helper thread
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_product_in_child, args=(queue, x, weight))
    child.start()
    result = torch.tensor(queue.get(timeout=60))
    child.join(timeout=10)
    assert child.exitcode == 0
    torch.testing.assert_close(result, expected)


def test_the_kernels_tuning_follows_the_cpu_vendor():
    # The EPYC keeps the layout it was tuned with; other CPUs get the Ice Lake Xeon's.
    amd = gemv.kernel_tuning("vendor_id\t: AuthenticAMD\n")
    assert amd == {
        "PREFETCH_HINT": 0,
        "PREFETCH_PER_LINE": 0,
        "WEIGHT_ROWS_ONE": 1,
        "WEIGHT_ROWS_MANY": 1,
    }
    intel = gemv.kernel_tuning("vendor_id\t: GenuineIntel\n")
    assert intel["PREFETCH_HINT"] == 3 and intel["WEIGHT_ROWS_ONE"] == 4
    assert gemv.kernel_tuning("") == intel


@pytest.fixture
def rebuilt():
    # A test that swaps the build leaves the next test the native one.
    gemv._library.cache_clear()
    yield
    gemv._library.cache_clear()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_each_vendors_build_computes_the_same_products(threads, rebuilt, monkeypatch, dtype):
    # Both layouts are compiled and run here, whatever this machine's vendor. Each sum is formed
    # in the same order in both, so they agree bit for bit, for every row count.
    gemv.set_threads(2)
    generator = torch.Generator().manual_seed(5)
    weight = torch.randn(131, 600, generator=generator).to(dtype)
    x = torch.randn(gemv.MAX_ROWS, 600, generator=generator)
    results = []
    tunings = [gemv.kernel_tuning(f"vendor_id\t: {v}\n") for v in ("AuthenticAMD", "GenuineIntel")]
    for tuning in tunings:
        monkeypatch.setattr(gemv, "kernel_tuning", lambda tuning=tuning: tuning)
        gemv._library.cache_clear()
        assert gemv.available()
        results.append([gemv.matmul_rows(x[:rows], weight) for rows in range(1, gemv.MAX_ROWS + 1)])
    for amd, other in zip(*results, strict=True):
        torch.testing.assert_close(amd, x[: amd.shape[0]] @ weight.float().T, atol=1e-3, rtol=1e-4)
        assert torch.equal(amd, other)
