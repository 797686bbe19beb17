"""Time fitdecode against fitparse on the largest sample FIT file (not a test: `python bench/decode_timing.py`).

Prints the best of N wall-clock runs per backend, so background load on the machine skews it less.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus import corpus_dir, corpus_rows

from advisor.ingest.decode import BACKENDS, decode_fit


def main(repeat: int = 3) -> None:
    root = corpus_dir()
    if root is None:
        raise SystemExit("FIT sample corpus not found (set ADVISOR_FIT_CORPUS)")
    largest = max(corpus_rows(), key=lambda row: int(row["size"]))
    data = (root / largest["file"]).read_bytes()
    print(f"{largest['file']}: {len(data):,} bytes, {largest['n_record']} records")
    for backend in BACKENDS:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            decode_fit(data, backend)
            best = min(best, time.perf_counter() - started)
        print(f"  {backend:<10} {best:6.2f} s  (best of {repeat})")


if __name__ == "__main__":
    main()
