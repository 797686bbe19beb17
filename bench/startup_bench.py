"""Start-up of the commands that answer at once, against a bare `python -c pass`: wall and CPU time of the process.

    .venv/bin/python bench/startup_bench.py [--rounds 15] [--against DIR]

Each round runs every command once, in turn (so a busy moment of the machine hits all of them alike), and the
figures are medians over the rounds, with each command's ratio to the bare interpreter start of the same rounds.
`--against DIR` also runs each command with `DIR` first on `PYTHONPATH` (a copy of another version's `advisor`
package, e.g. `git archive HEAD advisor | tar -x -C DIR`), in the same rounds: before and after, alternating.
Goal (issue 11): `advisor --help` within 6 x the bare start. A figure to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = str(Path(sys.executable).with_name("advisor"))
BARE = "python -c pass"
COMMANDS: dict[str, list[str]] = {
    BARE: [sys.executable, "-c", "pass"],
    "import advisor.cli": [sys.executable, "-c", "import advisor.cli"],
    "advisor --help": [SCRIPT, "--help"],
    "advisor status --help": [SCRIPT, "status", "--help"],
    "advisor --version": [SCRIPT, "--version"],
}


def children_cpu() -> float:
    """User + system CPU seconds of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def alternate(
    commands: dict[str, tuple[list[str], dict[str, str]]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU times of each command as a separate process, round after round, so a neighbour's load hits
    all alike."""
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, (argv, env) in commands.items():
            cpu_before, started = children_cpu(), time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(children_cpu() - cpu_before)
    return wall, cpu


def print_ratios(wall: dict[str, list[float]], cpu: dict[str, list[float]], rounds: int) -> None:
    """Median wall and CPU, best wall and the median's ratio to the bare start, one line per command."""
    bare = statistics.median(wall[BARE])
    width = max(map(len, wall))
    print(f"{rounds} alternating rounds, medians")
    for name, values in wall.items():
        median = statistics.median(values)
        print(
            f"{name:{width}} wall {median * 1000:6.0f} ms (best {min(values) * 1000:4.0f}), "
            f"CPU {statistics.median(cpu[name]) * 1000:6.0f} ms, {median / bare:4.1f} x bare"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--against", type=Path, help="a folder holding another version's `advisor` package")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") and k != "PYTHONPATH"}
        env |= {"ADVISOR_HOME": home, "COLUMNS": "100"}
        other = env | {"PYTHONPATH": str(args.against.resolve())} if args.against is not None else None
        commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        for name, argv in COMMANDS.items():  # each command next to its other version
            commands[name] = (argv, env)
            if other is not None and name != BARE:
                commands[f"{name} [{args.against}]"] = (argv, other)
        wall, cpu = alternate(commands, args.rounds)
    print_ratios(wall, cpu, args.rounds)


if __name__ == "__main__":
    main()
