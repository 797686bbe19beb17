"""The FIT decoders side by side on the whole sample corpus: speed, what each rejects, and whether ours agree.

    .venv/bin/python bench/decoder_compare.py [--rounds 5] [--runs 10]

Why this exists: the choice of `fit.decoder`'s default rests on these figures. For each decoder it reports, over
every sample file (/work/shared/fit-samples or $ADVISOR_FIT_SAMPLES) plus `--runs` generated one-hour runs:
- CPU seconds of its bare loop (median of alternating rounds) and the speed-up over fitdecode's bare loop;
- the *valid* files it rejects (fitdecode reads them), with its message;
and, for advisor's own fitfast path, how many files it reads itself, how many fall back to fitdecode (and why), and
whether every file it reads gives exactly fitdecode's `DecodedActivity` (tests/test_decode_native.py asserts that).
pyfitparsernative is compared when installed (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))


def loops() -> dict[str, Callable[[bytes], object]]:
    import fitdecode
    import fitfast

    def fitdecode_bare(data: bytes) -> None:
        with fitdecode.FitReader(data, check_crc=fitdecode.CrcCheck.RAISE) as reader:
            for _frame in reader:
                pass

    found: dict[str, Callable[[bytes], object]] = {
        "fitdecode (bare, default processor)": fitdecode_bare,
        "fitfast 0.1.0 (parse)": fitfast.parse,
    }
    try:
        import pyfitparsernative

        found["pyfitparsernative 0.2.3"] = pyfitparsernative.parse_fit_bytes
    except ImportError:
        pass
    from advisor.ingest.decode import decode_fit

    found["advisor fitdecode backend"] = lambda data: decode_fit(data, "fitdecode")
    found["advisor fitfast backend (with fallback)"] = lambda data: decode_fit(data, "fitfast")
    return found


def main() -> None:
    from corpus import corpus_dir, corpus_file, corpus_rows
    from import_bench import generate
    from test_decode_native import assert_identical

    from advisor.ingest.decode import DecodeError, fitdecode_backend
    from advisor.ingest.decode.fitfast_backend import Fallback, decode_fast

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if corpus_dir() is None:
        raise SystemExit("no sample corpus")
    files = {row["file"]: corpus_file(row).read_bytes() for row in corpus_rows()}
    files.update({f"generated/{p.name}": p.read_bytes() for p in generate(args.runs)})
    valid = {}
    for name, data in files.items():
        with contextlib.suppress(DecodeError):
            valid[name] = fitdecode_backend.decode(data)
    print(f"{len(files)} files ({len(valid)} that fitdecode reads), {args.rounds} alternating rounds")
    contenders = loops()
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    rejected: dict[str, dict[str, str]] = {name: {} for name in contenders}
    for _ in range(args.rounds):
        for name, loop in contenders.items():
            started = time.process_time()
            for file, data in files.items():
                try:
                    loop(data)
                except Exception as error:
                    rejected[name][file] = str(error).splitlines()[0][:70]
            cpu[name].append(time.process_time() - started)
    base = statistics.median(cpu["fitdecode (bare, default processor)"])
    print(f"{'decoder':42} {'cpu s':>7} {'speed-up':>9} {'valid files rejected':>21}")
    for name in contenders:
        median = statistics.median(cpu[name])
        lost = {f: why for f, why in rejected[name].items() if f in valid}
        print(f"{name:42} {median:7.3f} {base / median:8.1f}x {len(lost):21d}")
        for file, why in sorted(lost.items()):
            print(f"    rejects {file}: {why}")
    reasons: Counter[str] = Counter()
    same = 0
    for name, expected in valid.items():
        try:
            got = decode_fast(files[name])
        except Fallback as why:
            reasons[str(why).split(",")[0][:60]] += 1
            continue
        assert_identical(got, expected)
        same += 1
    print(f"advisor's fitfast path: {same} of {len(valid)} readable files decoded by fitfast, every one identical to")
    print(f"fitdecode field by field; {sum(reasons.values())} fall back to fitdecode:")
    for reason, n in reasons.most_common():
        print(f"    {n:3d} x {reason}")


if __name__ == "__main__":
    main()
