from __future__ import annotations

import subprocess
import sys


def test_the_package_import_stays_light():
    code = "import sys, inference; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
