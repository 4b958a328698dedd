"""The kernels' C lives in the .c and .h files of inference/kernels/, never in Python strings."""

from __future__ import annotations

import re
from pathlib import Path

import inference

# A preprocessor line (Python comments put a space after the #) or a GCC attribute.
C_LINE = re.compile(r"^\s*#(include|define|if|ifdef|ifndef|pragma)\b|__attribute__\s*\(\(", re.M)


def test_no_python_module_of_inference_holds_c_source():
    package = Path(inference.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert package / "gemv.py" in modules
    assert C_LINE.search((package / "kernels" / "gemv.c").read_text())
    holding = [
        str(path.relative_to(package)) for path in modules if C_LINE.search(path.read_text())
    ]
    assert holding == []
