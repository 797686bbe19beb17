"""Import benchmark: the whole `advisor import` against bare decoding, side by side, plus a scale run.

    .venv/bin/python bench/import_bench.py [--files 40] [--rounds 5] [--jobs N] [--scale 1000] [--quarter]

Generates realistic one-hour runs once (1 Hz records with heart rate, cadence and barometric altitude noise over
rolling hills; cached in bench/out/), then alternates, round after round (so a neighbour's load hits every
contender alike), and reports the median of the rounds, wall and CPU:
- bare fitdecode: `fitdecode.FitReader` with its default processor reading every frame of every file — the
  baseline the import is measured against;
- bare fitfast: the fastest decoder's own loop (`fitfast.parse` per file, its defaults);
- bare pyfitparsernative, when installed (`pip install -e '.[bench]'`): the other Rust decoder, for comparison;
- import: the real command, `python -m advisor import --json --jobs N FOLDER` into a fresh SQLite database, as a
  child process: interpreter start-up, discovery, hashing, decoding, metrics, one transaction per file. Its CPU is
  the command's own plus its pool workers' (sampled from /proc every 20 ms while it runs, so the figure may miss
  the workers' last few milliseconds).
The scale run imports `--scale` runs (the generated runs cloned with shifted dates: different bytes, different
days) and reports files/s, records/s and peak RSS of the command and of its workers (max and sum); `--quarter`
also imports a quarter of them first, to show that peak memory does not grow with the number of files.
Timings are figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "tests"))
RECORDS_PER_RUN = 3600


def generate(count: int) -> list[Path]:
    """One-hour runs at 1 Hz: 10-14 km over rolling hills, different each day; cached by count."""
    from fitgen import Point, write_activity

    folder = OUT / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    start = datetime(2020, 1, 1, 6, 0, tzinfo=UTC)
    for i in range(count):
        path = folder / f"run-{i:04d}.fit"
        paths.append(path)
        if path.exists():
            continue
        speed = 2.8 + (i % 7) * 0.15
        points = []
        for t in range(RECORDS_PER_RUN):
            distance = speed * t
            altitude = 200 + 25 * math.sin(distance / 700 + i) + 0.3 * math.sin(t * 1.7)
            hr = 135 + int(15 * math.sin(t / 400))
            points.append(Point(float(t), distance, altitude, speed, hr, 84.0 + (t % 5) * 0.25))
        write_activity(path, points, start=start + timedelta(days=i), serial_number=3000 + i)
        print(f"\rgenerated {i + 1}/{count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return paths


def clones(count: int, base: list[Path]) -> Path:
    """A folder of `count` runs: the base runs cloned, every date shifted by whole days (new bytes, new days)."""
    from fitpatch import data_messages

    folder = OUT / f"clones-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    sources = [(p.read_bytes(), data_messages(p.read_bytes())) for p in base]
    day = 86400
    for i in range(count):
        path = folder / f"clone-{i:05d}.fit"
        if path.exists():
            continue
        data, messages = sources[i % len(sources)]
        shift = (len(base) + (i // len(base)) * len(base)) * day  # clone i falls on day len(base) + i
        out = bytearray(data)
        for message in messages:
            for num in DATE_FIELDS.get(message.global_num, (253,)):
                located = message.fields.get(num)
                if located is not None and located[1] == 4:
                    offset = located[0]
                    out[offset : offset + 4] = struct.pack("<I", struct.unpack_from("<I", out, offset)[0] + shift)
        path.write_bytes(_with_crc(bytes(out)))
        print(f"\rcloned {i + 1}/{count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return folder


DATE_FIELDS = {0: (4,), 18: (253, 2), 19: (253, 2), 34: (253, 5)}
"""Global message -> its date_time fields: file_id.time_created, session/lap start_time, activity local_timestamp;
every other message has only `timestamp` (253)."""
_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0xA001 if _crc & 1 else _crc >> 1
    _TABLE.append(_crc)


def _with_crc(data: bytes) -> bytes:
    """A single (not chained) FIT file with its file CRC recomputed (CRC-16/ARC, byte-wise table)."""
    crc, table = 0, _TABLE
    for byte in data[:-2]:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return data[:-2] + struct.pack("<H", crc)


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    peak_rss_mib: float = 0.0
    workers_rss_max_mib: float = 0.0
    workers_rss_sum_mib: float = 0.0


def bare(datas: list[bytes], decode: Callable[[bytes], object]) -> Sample:
    started, cpu = time.perf_counter(), time.process_time()
    for data in datas:
        decode(data)
    return Sample(time.perf_counter() - started, time.process_time() - cpu)


def fitdecode_loop(data: bytes) -> None:
    import fitdecode

    with fitdecode.FitReader(data) as reader:
        for _frame in reader:
            pass


def fitfast_loop(data: bytes) -> None:
    import fitfast

    fitfast.parse(data)


def native_loop(data: bytes) -> None:
    import pyfitparsernative

    pyfitparsernative.parse_fit_bytes(data)


@dataclass
class _Watch:
    """CPU seconds and peak RSS (VmHWM) per process, from /proc: `root` itself (with `own`) and its descendants
    (the pool's fork server, resource tracker and workers). Descendants are looked up every 0.2 s, sampled every
    0.05 s: light enough not to compete with what it measures."""

    root: int
    own: bool = True
    cpu: dict[int, float] = field(default_factory=dict)
    rss: dict[int, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.pids = _descendants(self.root) | ({self.root} if self.own else set())
        self.sample()
        self.baseline = dict(self.cpu)

    def sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            self.cpu[pid] = (int(stat[11]) + int(stat[12])) / tick
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.rss[pid] = max(self.rss.get(pid, 0.0), int(line.split()[1]) / 1024)

    def run(self) -> None:
        tick = 0
        while not self.stop.is_set():
            if tick % 4 == 0:
                self.pids |= _descendants(self.root)
            self.sample()
            tick += 1
            time.sleep(0.05)

    def cpu_used(self, exclude_root: bool = False) -> float:
        return sum(v - self.baseline.get(p, 0.0) for p, v in self.cpu.items() if not (exclude_root and p == self.root))

    def others_rss(self) -> list[float]:
        return [v for p, v in self.rss.items() if p != self.root]


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def import_command(folder: Path, jobs: int, expected: int) -> Sample:
    """The whole `advisor import` as a child process into a fresh database; CPU includes its workers'."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ADVISOR_HOME": home, "ADVISOR_DATABASE__URL": f"sqlite:///{home}/bench.db"}
        command = [sys.executable, "-m", "advisor", "import", "--json", "--jobs", str(jobs), str(folder)]
        with open(f"{home}/out.json", "wb") as out, open(f"{home}/err.txt", "wb") as err:
            started = time.perf_counter()
            process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)
            watch = _Watch(process.pid)
            thread = threading.Thread(target=watch.run, daemon=True)
            thread.start()
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            process.returncode = os.waitstatus_to_exitcode(status)
        watch.stop.set()
        thread.join()
        imported = Path(f"{home}/out.json").read_bytes().count(b'"status": "imported"')
        if process.returncode != 0 or imported != expected:
            problem = Path(f"{home}/err.txt").read_text()[-800:]
            raise SystemExit(f"import: exit {process.returncode}, {imported} of {expected} imported: {problem}")
    workers = watch.others_rss()
    return Sample(
        wall,
        usage.ru_utime + usage.ru_stime + watch.cpu_used(exclude_root=True),
        watch.rss.get(process.pid, 0.0),
        max(workers, default=0.0),
        sum(workers),
    )


def import_in_process(paths: list[Path], jobs: int) -> Sample:
    """`import_paths` alone, in this process, into a fresh SQLite database created (and migrated) beforehand: the
    import pipeline without the command's fixed start-up. The pool's fork server, once started, is reused by later
    rounds (as it would be by a long-running process), so its start-up is paid in the first round only."""
    from advisor.services.importing import ImportContext, OpenStore, import_paths
    from advisor.store.db import default_athlete_id, open_database

    with tempfile.TemporaryDirectory() as home:
        db = open_database(f"sqlite:///{home}/bench.db")
        ctx = ImportContext(OpenStore(db, default_athlete_id(db)), decoder="fitfast", jobs=jobs)
        watch = _Watch(os.getpid(), own=False)
        thread = threading.Thread(target=watch.run, daemon=True)
        started, cpu = time.perf_counter(), time.process_time()
        thread.start()
        summary = import_paths(ctx, paths)
        wall, own = time.perf_counter() - started, time.process_time() - cpu
        watch.stop.set()
        thread.join()
        db.dispose()
    if summary.count("imported") != len(paths):
        raise SystemExit(f"benchmark import did not import every file: {summary.line()}")
    return Sample(wall, own + watch.cpu_used())


def median(samples: list[Sample], attr: str) -> float:
    return statistics.median(getattr(s, attr) for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=int, default=1000, help="runs in the scale run (0: none)")
    parser.add_argument("--quarter", action="store_true", help="also a scale run of a quarter of them, first")
    args = parser.parse_args()
    paths = generate(args.files)
    datas = [p.read_bytes() for p in paths]
    folder = OUT / f"set-{args.files}"
    folder.mkdir(parents=True, exist_ok=True)
    for p in paths:
        if not (folder / p.name).exists():
            (folder / p.name).symlink_to(p)
    print(
        f"{len(paths)} one-hour runs ({sum(map(len, datas)) / 1e6:.1f} MB), python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f} at start, {args.rounds} alternating rounds"
    )
    empty = OUT / "empty"
    empty.mkdir(exist_ok=True)
    (empty / "notes.txt").write_text("no runs here: the command's fixed cost")
    contenders: dict[str, Callable[[], Sample]] = {
        "bare fitdecode (default processor)": lambda: bare(datas, fitdecode_loop),
        "bare fitfast (its own loop)": lambda: bare(datas, fitfast_loop),
    }
    try:
        import pyfitparsernative  # noqa: F401

        contenders["bare pyfitparsernative"] = lambda: bare(datas, native_loop)
    except ImportError:
        pass
    contenders[f"advisor import --jobs {args.jobs}"] = lambda: import_command(folder, args.jobs, len(paths))
    if args.jobs != 1:
        contenders["advisor import --jobs 1"] = lambda: import_command(folder, 1, len(paths))
    contenders["advisor import, empty folder (no db)"] = lambda: import_command(empty, 1, 0)
    contenders[f"import_paths, jobs {args.jobs} (in-process)"] = lambda: import_in_process(paths, args.jobs)
    contenders["import_paths, jobs 1 (in-process)"] = lambda: import_in_process(paths, 1)
    samples: dict[str, list[Sample]] = {name: [] for name in contenders} if args.rounds else {}
    for round_ in range(args.rounds):
        for name, run in contenders.items():
            samples[name].append(run())
        print(f"\rround {round_ + 1}/{args.rounds}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    baseline = median(samples["bare fitdecode (default processor)"], "wall_s") if samples else 1.0
    print(f"{'':38} {'wall s':>8} {'cpu s':>8} {'÷ bare fitdecode (wall)':>24}")
    for name, got in samples.items():
        wall, cpu = median(got, "wall_s"), median(got, "cpu_s")
        print(f"{name:38} {wall:8.3f} {cpu:8.3f} {wall / baseline:24.3f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end of the rounds")
    sizes = ([args.scale // 4] if args.quarter else []) + ([args.scale] if args.scale else [])
    for size in sizes:
        clone_folder = clones(size, paths)
        got = import_command(clone_folder, args.jobs, size)
        print(
            f"scale: {size} runs, --jobs {args.jobs}: {got.wall_s:.1f} s wall, {got.cpu_s:.1f} s cpu, "
            f"{size / got.wall_s:.1f} files/s, {size * RECORDS_PER_RUN / got.wall_s:,.0f} records/s, "
            f"peak RSS {got.peak_rss_mib:.0f} MiB (command), pool processes {got.workers_rss_max_mib:.0f} MiB max / "
            f"{got.workers_rss_sum_mib:.0f} MiB summed; load average {os.getloadavg()[0]:.2f}"
        )


if __name__ == "__main__":
    main()
