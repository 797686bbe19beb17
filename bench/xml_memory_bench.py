"""Peak memory of decoding a big GPX and TCX file, as a multiple of the file's size (issue 24: GPX needed ~24 ×).

Writes an N-hour run at 1 Hz (heart rate, cadence, altitude) as GPX 1.1 and as TCX, then decodes each in a fresh
process and reads that process's peak resident memory (VmHWM) before and after the decode: the growth is
what decoding cost. Formats alternate round by round; the figures are medians. Prints them; tests never time.

    python bench/xml_memory_bench.py [--hours 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fitgen import track_from_segments
from xmlgen import gpx, tcx

CHILD = """
import sys
from pathlib import Path
from advisor.ingest.decode import decode_activity
def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
path = Path(sys.argv[1])
data = path.read_bytes()
before = peak()
decoded = decode_activity(data, path.name)
print(len(decoded.records), peak() - before)
"""
"""Linux's VmHWM, not `ru_maxrss`: a child's `ru_maxrss` starts at its parent's size at the fork, which here holds
the generated files and would hide the decode."""


def peak_growth(path: Path) -> tuple[int, int]:
    """(records decoded, bytes of peak memory the decode added) in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True)
    records, grown = out.stdout.split()
    return int(records), int(grown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seconds = args.hours * 3600
    points = track_from_segments([(seconds * 3.0, 0.0)], speed=3.0, noise_m=0.3, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        files = {"gpx": Path(tmp) / "run.gpx", "tcx": Path(tmp) / "run.tcx"}
        files["gpx"].write_bytes(gpx(points))
        files["tcx"].write_bytes(tcx(points))
        grown: dict[str, list[int]] = {kind: [] for kind in files}
        records: dict[str, int] = {}
        for _ in range(args.rounds):
            for kind, path in files.items():  # alternate the formats round by round
                records[kind], growth = peak_growth(path)
                grown[kind].append(growth)
        print(f"{len(points)} points ({args.hours:g} h at 1 Hz), median of {args.rounds} fresh processes")
        print(f"{'format':<6} {'size MiB':>9} {'records':>9} {'peak growth MiB':>16} {'x file size':>12}")
        for kind, path in files.items():
            size = path.stat().st_size
            median = statistics.median(grown[kind])
            print(f"{kind:<6} {size / 2**20:>9.1f} {records[kind]:>9} {median / 2**20:>16.0f} {median / size:>12.1f}")


if __name__ == "__main__":
    main()
