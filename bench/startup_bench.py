"""Start-up of the commands that answer at once, against a bare `python -c pass`: wall time of the whole process.

    .venv/bin/python bench/startup_bench.py [--rounds 15]

Each round runs every command once, in turn (so a busy moment of the machine hits all of them alike), and the
figures are medians over the rounds, with each command's ratio to the bare interpreter start of the same rounds.
Goal (issue 11): `advisor --help` within 6 x the bare start. A figure to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("advisor"))
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import advisor.cli": [sys.executable, "-c", "import advisor.cli"],
    "advisor --help": [SCRIPT, "--help"],
    "advisor status --help": [SCRIPT, "status", "--help"],
    "advisor --version": [SCRIPT, "--version"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        env |= {"ADVISOR_HOME": home, "COLUMNS": "100"}
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.rounds):
            for name, argv in COMMANDS.items():
                started = time.perf_counter()
                subprocess.run(argv, env=env, check=True, capture_output=True)
                times[name].append(time.perf_counter() - started)
    bare = statistics.median(times["python -c pass"])
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:24} median {median * 1000:6.0f} ms, best {min(values) * 1000:6.0f} ms, "
            f"{median / bare:4.1f} x bare ({args.rounds} alternating rounds)"
        )


if __name__ == "__main__":
    main()
