"""The weekly round's cost per athlete in instructions, counted by valgrind's callgrind: the same figure whatever else
the machine is doing (CPU milliseconds on a shared 2-core machine moved by half between two runs of the same code).

    .venv/bin/python bench/round_instructions.py [--athletes 10] [--postgres URL] [--against DIR ...]

What `bench/summary_bench.py` times, counted instead: each athlete's summary queued and sent over STARTTLS + AUTH to
the loopback SMTP server (in this process, not counted), on SQLite (or PostgreSQL with `--postgres`: the client's
instructions only). By difference, so start-up and the first round's one-off work (imports, fonts, templates) are
left out: one child runs a round, another runs a round and then the measured one, both under callgrind (after a
round not counted, so every counted chart finds twelve of its thirteen days kept, as a daemon's rounds do); the second
count minus the first, divided by the athletes, is one round's instructions per athlete. `--against DIR` counts
another checkout's `advisor` the same way, after this one's. Needs `valgrind` (Debian's package); a round under
callgrind runs about 50 times slower, so keep `--athletes` small. Figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import logging
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))

import summary_bench  # noqa: E402
import team_bench  # noqa: E402
from smtp_server import SmtpTestServer, make_self_signed_cert  # noqa: E402

ROUNDS = "import summary_bench\nfor weeks_back in {weeks}: summary_bench.one_round({url!r}, {home!r}, weeks_back, True)"


def counted(checkout: str, env: dict[str, str], url: str, home: str, weeks: list[int]) -> int:
    """Instructions of a child running the rounds `weeks` (weeks back) with `checkout`'s advisor."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={Path(out) / 'callgrind.out'}",
                sys.executable,
                "-c",
                ROUNDS.format(url=url, home=home, weeks=weeks),
            ],
            env={**env, "PYTHONPATH": f"{checkout}:{BENCH}"},
            capture_output=True,
            text=True,
            cwd=home,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"the round failed under callgrind with {checkout}:\n{done.stderr[-3000:]}")
    return int(found.group(1))


def uncounted(checkout: str, env: dict[str, str], url: str, home: str, weeks_back: int) -> None:
    """A round with `checkout`'s advisor, not under callgrind: what it keeps (the chart's week ends) is the state
    the counted rounds start from."""
    done = subprocess.run(
        [sys.executable, "-c", ROUNDS.format(url=url, home=home, weeks=[weeks_back])],
        env={**env, "PYTHONPATH": f"{checkout}:{BENCH}"},
        capture_output=True,
        text=True,
        cwd=home,
    )
    if done.returncode:
        raise SystemExit(f"the round failed with {checkout}:\n{done.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=10)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--against", action="append", default=[], help="another checkout's root, to compare with")
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        cert = make_self_signed_cert(Path(tmp) / "tls")
        home = Path(tmp) / "home"
        home.mkdir()
        with SmtpTestServer("starttls", cert=cert) as server:
            env = summary_bench.mail_env(server, cert)

            def measure(name: str, url: str) -> None:
                team_bench.seed(url, args.athletes, args.days)
                weeks_back = 0
                for checkout in [str(BENCH.parent), *args.against]:
                    # Each round its own week (nothing is "already sent"), the next older one, so each chart finds
                    # twelve of its thirteen days kept by the round before, as a daemon's weekly rounds do; a first
                    # round, not counted, keeps them for this checkout's engine.
                    uncounted(checkout, env, url, str(home), weeks_back)
                    one = counted(checkout, env, url, str(home), [weeks_back + 1])
                    two = counted(checkout, env, url, str(home), [weeks_back + 2, weeks_back + 3])
                    weeks_back += 4
                    per_athlete = (two - one) / args.athletes / 1e6
                    print(f"{name}, {checkout}: {per_athlete:.1f} M instructions per athlete", flush=True)

            if args.postgres:
                with team_bench.postgres_schema(args.postgres) as url:
                    measure("PostgreSQL", url)
            else:
                measure("SQLite", f"sqlite:///{home / 'advisor.db'}")


if __name__ == "__main__":
    main()
