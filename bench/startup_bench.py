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


def alternate(commands: dict[str, list[str]], env: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Wall times of each command as a separate process, round after round, so a neighbour's load hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            started = time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    return times


def print_ratios(times: dict[str, list[float]], bare_name: str, rounds: int) -> None:
    """Median, best and the median's ratio to the bare start, one line per command."""
    bare = statistics.median(times[bare_name])
    width = max(map(len, times))
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:{width}} median {median * 1000:6.0f} ms, best {min(values) * 1000:6.0f} ms, "
            f"{median / bare:4.1f} x bare ({rounds} alternating rounds)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        env |= {"ADVISOR_HOME": home, "COLUMNS": "100"}
        times = alternate(COMMANDS, env, args.rounds)
    print_ratios(times, "python -c pass", args.rounds)


if __name__ == "__main__":
    main()
