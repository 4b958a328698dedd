"""Each C file of the kernel library compiles with the build's own flags (-Wall -Wextra) plus
-Werror and prints nothing: no warning, and no note either, reaches a build log."""

from __future__ import annotations

import platform
import subprocess

import pytest

from inference import kernels
from inference.kernels.build import compiler, read_sources

C_FILES = [name for name in kernels.SOURCES if name.endswith(".c")]
TUNINGS = {
    vendor: kernels.kernel_tuning(f"vendor_id\t: {vendor}\n")
    for vendor in ("AuthenticAMD", "GenuineIntel")
}
# The build compiles for the CPU it runs on. Other x86 targets take the other branches of the
# vector code: without AVX-512 a 256-bit fma16 and bf16 widening by generic vectors, and without
# FMA the plain multiply-add.
TARGETS = ["native"]
if platform.machine() in ("x86_64", "AMD64"):
    TARGETS += ["x86-64", "x86-64-v3"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("vendor", TUNINGS)
@pytest.mark.parametrize("source", C_FILES)
def test_each_kernel_compiles_without_warnings(tmp_path, source, vendor, target):
    # `make test` installs a compiler first (`make compiler`); without one this must fail, not pass.
    assert compiler() is not None, "no C compiler ($CC, else cc): run `make compiler`"
    flags = kernels.compile_flags(TUNINGS[vendor])
    assert {"-Wall", "-Wextra", "-march=native"} <= set(flags)
    flags = [f"-march={target}" if flag == "-march=native" else flag for flag in flags]
    # The build compiles a copy of the package's files, read the same way.
    for name, text in read_sources(kernels.SOURCES).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    command = [compiler(), *flags, "-Werror", "-c", str(tmp_path / source)]
    done = subprocess.run(
        [*command, "-o", str(tmp_path / "kernel.o")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
