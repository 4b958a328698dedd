"""Times the text routines on inputs that once stalled them.

    python -m assistant.textbench [--tree DIR] [--limit SECONDS]

Each case runs in a fresh interpreter whose working directory is DIR (default: this checkout),
so the same command times another checkout of the code, for example an older commit unpacked with
`git archive <commit> assistant retrieval moderation | tar -x -C /tmp/before`. A case that runs
longer than the limit is stopped and reported as such; one whose code the tree lacks, as n/a.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PROSE = (
    "import random\n"
    "words = 'leave policy weeks paid office travel hotel limit euros night claim days notice'"
    ".split()\n"
    "rng = random.Random(0)\n"
    "answer = ''.join(' '.join(rng.sample(words, 9)).capitalize() + '. ' for _ in range(400))\n"
    "answer = answer[:20_000]\n"
    "pieces = [answer[i : i + 4] for i in range(0, len(answer), 4)]\n"
)

# Each case's code defines `run`, the call that is timed.
CASES: dict[str, str] = {
    "cut_loop, 18 blank lines before the loop": (
        "from assistant.repetition import cut_loop\n"
        "text = 'Intro.' + '\\n' * 18 + 'Some text is here. Some text is here.'\n"
        "run = lambda: cut_loop(text)\n"
    ),
    "cut_loop, 20 blank lines before the loop": (
        "from assistant.repetition import cut_loop\n"
        "text = 'Intro.' + '\\n' * 20 + 'Some text is here. Some text is here.'\n"
        "run = lambda: cut_loop(text)\n"
    ),
    "Markdown parse, '# a' + 2,000 spaces + 'b'": (
        "import tempfile\n"
        "from pathlib import Path\n"
        "from retrieval.parsers.markdown import parse\n"
        "path = Path(tempfile.mkdtemp()) / 'gap.md'\n"
        "path.write_text('# a' + ' ' * 2000 + 'b\\n')\n"
        "run = lambda: parse(path)\n"
    ),
    "loop_start on each prefix of a 20,000-character answer, 4 characters a piece": (
        PROSE + "from assistant.repetition import loop_start\n"
        "def run():\n"
        "    for end in range(4, len(answer) + 4, 4):\n"
        "        loop_start(answer[:end])\n"
    ),
    "LoopDetector.feed, the same answer piece by piece": (
        PROSE + "from assistant.repetition import LoopDetector\n"
        "def run():\n"
        "    detector = LoopDetector()\n"
        "    for piece in pieces:\n"
        "        detector.feed(piece)\n"
    ),
    "check_citations on 'Parental leave lasts … weeks [[1]2].'": (
        "from dataclasses import dataclass\n"
        "from assistant.citations import check_citations\n"
        "@dataclass\n"
        "class Passage:\n"
        "    chunk_id: int\n"
        "    document_id: int\n"
        "    title: str\n"
        "    location: str\n"
        "    text: str\n"
        "passages = [Passage(1, 1, 'Leave', '', 'Parental leave lasts 20 weeks.')]\n"
        "run = lambda: check_citations('Parental leave lasts … weeks [[1]2].', passages)\n"
    ),
    "find_pii on 'a.' * 50,000 (an e-mail's local part, no '@')": (
        "from moderation.pii import find_pii\nrun = lambda: find_pii('a.' * 50_000)\n"
    ),
    "find_pii on 'token.' * 16,000 + ': short'": (
        "from moderation.pii import find_pii\nrun = lambda: find_pii('token.' * 16_000 + ': short')\n"
    ),
}

CHILD = """
import time
{setup}
start = time.perf_counter()
try:
    run()
    outcome = ""
except Exception as error:
    outcome = " (raised " + type(error).__name__ + ")"
print(f"{time.perf_counter() - start:.3f} s{outcome}")
"""


def time_case(code: str, *, tree: Path, limit: float) -> str:
    """How long `code`'s run() took in a fresh interpreter in `tree`, as text."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD.replace("{setup}", code)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            capture_output=True,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return f"> {limit:g} s (stopped)"
    if done.returncode != 0:
        return "n/a" if "ImportError" in done.stderr else done.stderr.strip().splitlines()[-1]
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    """Print one line per case: its name and how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    for name, code in CASES.items():
        print(f"{name}: {time_case(code, tree=args.tree.resolve(), limit=args.limit)}", flush=True)


if __name__ == "__main__":
    main()
