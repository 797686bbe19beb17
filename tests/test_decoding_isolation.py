"""No file can take an import down: whatever a decoder does with one file costs that file alone.

Real processes and real damage: `advisor import --json` and `advisor daemon --once` run as the installed command on
fuzzed copies of the real FIT samples and on hostile GPX/TCX, all written by the tests (`hostile.py`); a decoding
task that really kills its worker with SIGSEGV or never returns shows that the pool outlives what no handler can
catch. Before this, one panicking FIT file gave exit 1, tracebacks and no JSON (0 of 300 files given a status), and
a deeply nested GPX killed the process with SIGSEGV (0 of 11 stored).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fitfast
import pytest
from corpus import NO_CORPUS, corpus_dir
from fitgen import track_from_segments, write_activity
from hostile import deeply_nested_gpx, fit_mutants, hostile_xml, panicking_run
from misbehaving_task import prepare_or_misbehave
from sqlalchemy import func, select

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.domain.metrics import HeartRateProfile
from advisor.ingest.isolation import DecodingPool
from advisor.services.importing import ImportContext, OpenStore, import_paths
from advisor.store.db import default_athlete_id, open_database
from advisor.store.jobruns import list_job_runs, run_recorded
from advisor.store.models import Activity

START = datetime(2026, 2, 2, 7, 0, tzinfo=UTC)
STATUSES = {"imported", "duplicate", "skipped", "failed"}
PROCESS_TIMEOUT_S = 600


def good_runs(folder: Path, count: int, first_day: int = 0) -> list[Path]:
    """`count` real runs on consecutive days (FIT), each a different activity."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        points = track_from_segments([(2000 + 100 * i, 0.0)], seed=first_day + i)
        path = folder / f"good{first_day + i}.fit"
        write_activity(path, points, start=START + timedelta(days=first_day + i))
        paths.append(path)
    return paths


def advisor(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env |= {"ADVISOR_HOME": str(home), "XDG_CONFIG_HOME": str(home / "xdg")}
    return subprocess.run(
        [sys.executable, "-m", "advisor", *args], env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S
    )


def stored_count(home: Path) -> int:
    db = open_database(f"sqlite:///{home / 'advisor.db'}")
    try:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(Activity)) or 0
    finally:
        db.dispose()


def impossible_stored(home: Path) -> list[str]:
    """Stored activities no body could produce (issue 21: a mutation must never turn a refused file into a stored
    impossible value): any non-finite number; on foot, faster than 7 m/s on average or more than 72 h moving."""
    import math

    from advisor.domain.metrics.plausibility import FOOT_MAX_DURATION_S, FOOT_MAX_MOVING_SPEED_MPS
    from advisor.domain.metrics.run import is_foot_sport

    db = open_database(f"sqlite:///{home / 'advisor.db'}")
    bad = []
    try:
        with db.transaction() as session:
            for a in session.scalars(select(Activity)):
                numbers = [v for v in vars(a).values() if isinstance(v, float)]
                moving = a.moving_s or a.elapsed_s
                if not all(math.isfinite(v) for v in numbers):
                    bad.append(f"#{a.id}: a non-finite number")
                elif is_foot_sport(a.sport, a.sub_sport) and (
                    moving > FOOT_MAX_DURATION_S or (moving > 0 and a.distance_m / moving > FOOT_MAX_MOVING_SPEED_MPS)
                ):
                    bad.append(f"#{a.id}: {a.sport} {a.distance_m:.0f} m in {moving:.0f} s")
    finally:
        db.dispose()
    return bad


def import_json(folder: Path, home: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    result = advisor("import", str(folder), "--json", *extra, home=home)
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout)  # always one whole document


# --- the two crashes, end to end ------------------------------------------------------------------------------


def test_the_panicking_fixture_really_panics_the_native_decoder() -> None:
    """Without this the next test could pass for the wrong reason: the fixture must panic fitfast 0.1.0 (a
    `BaseException` that is not an `Exception`), with every other byte of the file valid FIT."""
    with pytest.raises(BaseException) as raised:
        fitfast.parse(panicking_run(), enum_names=False)
    assert not isinstance(raised.value, Exception)
    assert "divisor of zero" in str(raised.value)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_that_panics_the_native_decoder_is_read_by_fitdecode(tmp_path: Path, jobs: str) -> None:
    """fitdecode decides where fitfast gave up: the run inside is imported, and the runs beside it too."""
    folder = tmp_path / "runs"
    good_runs(folder, 3)
    (folder / "panics.fit").write_bytes(panicking_run(seed=9))

    result, doc = import_json(folder, tmp_path / "home", "--jobs", jobs)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not even the Rust panic message
    assert {f["name"].rsplit("/", 1)[-1]: f["status"] for f in doc["files"]} == {
        "good0.fit": "imported",
        "good1.fit": "imported",
        "good2.fit": "imported",
        "panics.fit": "imported",
    }
    assert stored_count(tmp_path / "home") == 4


def test_a_deeply_nested_gpx_fails_alone_and_the_ten_files_beside_it_are_stored(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    good_runs(folder, 10)
    (folder / "deep.gpx").write_bytes(deeply_nested_gpx())

    result, doc = import_json(folder, tmp_path / "home")

    assert result.returncode == 1  # one file failed, the others are imported
    by_name = {f["name"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert by_name["deep.gpx"]["status"] == "failed"
    assert "nested more than 64 levels" in by_name["deep.gpx"]["detail"]
    assert doc["summary"] == {"imported": 10, "duplicate": 0, "skipped": 0, "failed": 1}
    assert stored_count(tmp_path / "home") == 10


# --- what no handler can catch: a worker that dies or hangs ---------------------------------------------------


def test_a_worker_that_crashes_or_hangs_costs_its_own_file_only(tmp_path: Path) -> None:
    """A real SIGSEGV and a real hang in the decoding task: each fails its own file with one sentence, the pool
    replaces the worker, and every other file is stored, in order."""
    folder = tmp_path / "runs"
    good_runs(folder, 4)
    for i, name in enumerate(("crash.fit", "hang.fit")):  # runs of their own: not the same bytes as a good one
        write_activity(
            folder / name, track_from_segments([(1000, 0.0)], seed=50 + i), start=START - timedelta(days=i + 1)
        )
    db = open_database(f"sqlite:///{tmp_path / 'advisor.db'}")
    try:
        store = OpenStore(db, default_athlete_id(db))
        with DecodingPool("fitdecode", HeartRateProfile(), 2, time_limit_s=3, task=prepare_or_misbehave) as pool:
            ctx = ImportContext(store, decoder="fitdecode", decoding=pool, jobs=2)
            results = {r.name.rsplit("/", 1)[-1]: r for r in import_paths(ctx, [folder]).results}
    finally:
        db.dispose()

    assert results["crash.fit"].status == "failed"
    assert results["crash.fit"].detail == "the FIT decoder crashed on this file (its process died: SIGSEGV)"
    assert results["hang.fit"].status == "failed"
    assert results["hang.fit"].detail == "the FIT decoder took longer than 3 s on this file: given up"
    assert [results[f"good{i}.fit"].status for i in range(4)] == ["imported"] * 4


# --- the fuzz test ---------------------------------------------------------------------------------------------


def fuzz_folder(root: Path, count: int = 48, seed: int = 20261204) -> tuple[Path, int]:
    """Seeded FIT mutants of the real samples, hostile GPX/TCX, the panicking run and three good runs; returns the
    folder and how many of the mutants make fitfast panic (so the test knows the damage reached a decoder)."""
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip(NO_CORPUS)
    samples = sorted(p for p in corpus.rglob("*.fit") if p.stat().st_size < 200_000)
    folder = root / "fuzz"
    folder.mkdir(parents=True)
    panics = 0
    for name, data in fit_mutants(samples, count, seed):
        (folder / name).write_bytes(data)
        try:
            fitfast.parse(data, enum_names=False)
        except Exception:
            pass
        except BaseException:
            panics += 1
    for name, data in hostile_xml():
        (folder / name).write_bytes(data)
    (folder / "panics.fit").write_bytes(panicking_run(seed=5))
    good_runs(folder, 3, first_day=400)  # days no mutant of a sample can share
    return folder, panics


def test_fuzzed_and_hostile_files_each_get_a_status_and_the_good_ones_are_stored(tmp_path: Path) -> None:
    folder, panics = fuzz_folder(tmp_path)
    assert panics >= 1  # the seed's mutants do reach the native decoder's weak spot
    names = sorted(p.name for p in folder.iterdir())

    result, doc = import_json(folder, tmp_path / "home")

    assert result.returncode == 1  # some files failed; the rest were imported
    assert sorted(f["name"].rsplit("/", 1)[-1] for f in doc["files"]) == names  # every file, exactly once
    assert {f["status"] for f in doc["files"]} <= STATUSES
    for f in doc["files"]:
        assert f["status"] != "failed" or (f["detail"] and "\n" not in f["detail"]), f  # one sentence each
    by_name = {f["name"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert [by_name[n]["status"] for n in ("good400.fit", "good401.fit", "good402.fit", "panics.fit")] == [
        "imported"
    ] * 4
    for hostile in ("deep.gpx", "deep.tcx", "laughs.gpx", "external.gpx", "junk.gpx", "empty.tcx"):
        assert by_name[hostile]["status"] == "failed", by_name[hostile]
    assert stored_count(tmp_path / "home") == sum(
        len(f["activity_ids"]) for f in doc["files"] if f["status"] == "imported"
    )
    assert impossible_stored(tmp_path / "home") == []


def test_the_inbox_files_fuzzed_and_hostile_files_away_and_imports_the_rest(tmp_path: Path) -> None:
    """`advisor daemon --once` on an inbox of the same files: the scan finishes (exit 0), every file leaves the
    inbox (processed/ or failed/ with its reason beside it), the good runs are stored, and the job is recorded
    as a success with what it did."""
    home = tmp_path / "home"
    source, _ = fuzz_folder(tmp_path)
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    old = time.time() - 3600  # settled, and too old to be a copy still arriving (truncated files fail at once)
    for path in source.iterdir():
        target = inbox / path.name
        target.write_bytes(path.read_bytes())
        os.utime(target, (old, old))

    result = advisor("daemon", "--once", home=home)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []
    failed = {p.name for p in (inbox / "failed").iterdir() if not p.name.endswith(".reason.txt")}
    processed = {p.name for p in (inbox / "processed").iterdir()}
    assert failed | processed == {p.name for p in source.iterdir()} and not failed & processed
    assert {"deep.gpx", "deep.tcx", "laughs.gpx"} <= failed
    assert {"good400.fit", "good401.fit", "good402.fit", "panics.fit"} <= processed
    for name in failed:
        assert (inbox / "failed" / f"{name}.reason.txt").read_text().startswith(f"{name} could not be imported")
    status = json.loads(advisor("daemon", "status", "--json", home=home).stdout)
    inbox_job = next(job for job in status["jobs"] if job["name"] == "inbox")
    assert inbox_job["last_error"] is None
    assert f"{len(failed)} files failed" in inbox_job["last_result"]


# --- the daemon records whatever a job raises ------------------------------------------------------------------


class NativePanic(BaseException):
    """What a PyO3 panic is: a `BaseException`, not an `Exception`."""


def test_a_job_that_raises_a_base_exception_is_recorded_as_its_error(isolated_home: Path) -> None:
    rt = Runtime(load_settings())
    try:

        def panics() -> str:
            raise NativePanic("attempt to calculate the remainder with a divisor of zero")

        assert run_recorded(rt.db, "garmin_sync", panics) is None  # recorded, not raised into the scheduler
        row = next(r for r in list_job_runs(rt.db) if r.name == "garmin_sync")
        assert row.last_error == "attempt to calculate the remainder with a divisor of zero"
        assert row.last_success_at is None and row.last_error_at is not None
    finally:
        rt.close()
