from __future__ import annotations

import subprocess
import sys


def test_import_leaves_torch_and_the_model_unloaded() -> None:
    code = (
        "import sys, moderation\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'transformers' not in sys.modules, 'transformers imported'\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
