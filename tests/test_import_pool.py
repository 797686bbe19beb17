"""`advisor import` on every core: the pool gives exactly the in-process results, in the same order, with a
bounded amount of work in flight, and leaves no worker behind."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fitgen import Day, track_from_segments, write_activity, write_monitoring, write_non_activity

from advisor.ingest.files import Candidate
from advisor.services.import_pool import IN_FLIGHT_PER_WORKER, WARM_UP_FILES, import_in_pool
from advisor.services.importing import ImportContext, OpenStore
from advisor.store.db import default_athlete_id, open_database

START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def mixed_folder(root: Path) -> Path:
    """Every status, every format path: runs, a re-encoded copy, the same bytes twice, non-activities, a monitoring
    file, broken files, gz, zip, a .txt, and a run in the chained/compressed shapes that go to fitdecode."""
    folder = root / "mixed"
    folder.mkdir()
    for i in range(7):
        points = track_from_segments([(2500 + 300 * i, 0.02 * (i % 3 - 1))], speed=3.0, noise_m=0.3, seed=i)
        write_activity(folder / f"run{i}.fit", points, start=START + timedelta(days=i), enhanced=i % 2 == 0)
    (folder / "run0-copy.fit").write_bytes((folder / "run0.fit").read_bytes())
    points = track_from_segments([(2500, -0.02)], speed=3.0, noise_m=0.3, seed=0)
    write_activity(folder / "run0-download.fit", points, start=START, enhanced=False, serial_number=999)
    good = (folder / "run1.fit").read_bytes()
    (folder / "truncated.fit").write_bytes(good[: len(good) // 2])
    (folder / "chained.fit").write_bytes(good + (folder / "run2.fit").read_bytes())
    (folder / "run3.fit.gz").write_bytes(gzip.compress((folder / "run3.fit").read_bytes()))
    with zipfile.ZipFile(folder / "export.zip", "w") as archive:
        archive.writestr("a/run4.fit", (folder / "run4.fit").read_bytes())
        archive.writestr("a/late.fit", write_activity(None, points[:600], start=START + timedelta(days=30)))
    write_non_activity(folder / "workout.fit", "workout")
    write_monitoring(folder / "monitor.fit", [Day(START.date(), ascent_m=30.48, descent_m=60.96, steps=9000)])
    (folder / "notes.txt").write_text("not an activity")
    return folder


def listing(cli) -> list[dict]:
    activities = json.loads(cli("activities", "--json").stdout)["activities"]
    for activity in activities:
        activity.pop("id")
    return activities


def test_pool_gives_the_in_process_results_in_the_same_order(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = mixed_folder(tmp_path)
    alone = cli("import", str(folder), "--json", "--jobs", "1")
    stored_alone = listing(cli)
    monkeypatch.setenv("ADVISOR_HOME", str(tmp_path / "second-home"))
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{tmp_path / 'second.db'}")
    pooled = cli("import", str(folder), "--json", "--jobs", "2")
    assert (alone.exit_code, pooled.exit_code) == (1, 1)  # truncated.fit fails in both
    files_alone, files_pooled = (
        [{k: v for k, v in f.items() if k != "activity_ids"} for f in json.loads(r.stdout)["files"]]
        for r in (alone, pooled)
    )
    assert files_pooled == files_alone
    statuses = [f["status"] for f in files_alone]
    assert {"imported", "duplicate", "skipped", "failed"} <= set(statuses)
    assert listing(cli) == stored_alone and len(stored_alone) == 8  # seven runs and late.fit; the rest are copies


def test_work_in_flight_is_bounded_whatever_the_number_of_files(tmp_path: Path, database_url: str) -> None:
    """Until the first file is stored (while the database opens) WARM_UP_FILES payloads are read ahead; after that,
    a payload is read only when fewer than jobs x IN_FLIGHT_PER_WORKER are waiting: memory stays flat."""
    data = [
        write_activity(None, track_from_segments([(1500, 0.0)], seed=i), start=START + timedelta(days=i))
        for i in range(WARM_UP_FILES + 12)
    ]
    reads: list[int] = []

    def reader(i: int):
        def read() -> bytes:
            reads.append(i)
            return data[i]

        return read

    db = open_database(database_url)
    ctx = ImportContext(OpenStore(db, default_athlete_id(db)), decoder="fitfast", jobs=2)
    steady = ctx.jobs * IN_FLIGHT_PER_WORKER
    candidates = [Candidate(f"run{i}.fit", reader(i)) for i in range(len(data))]
    ahead = []
    for done, result in enumerate(import_in_pool(ctx, candidates), start=1):
        assert result.status == "imported" and result.name == f"run{done - 1}.fit"
        ahead.append(len(reads) - done)
    db.dispose()
    assert ahead[0] == WARM_UP_FILES - 1  # the first one stored: the warm-up read ahead, no more
    drained = WARM_UP_FILES - steady
    assert max(ahead[drained:]) == steady  # then back to the steady window for the rest of the files
    assert reads == list(range(len(data)))


def test_a_database_that_cannot_be_opened_is_one_sentence_when_the_pool_already_decodes(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool starts decoding before the database opens; a database that cannot be opened then is still the
    one-sentence configuration error it was when it opened first (exit 2), and nothing else is reported."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for i in range(6):
        points = track_from_segments([(1500, 0.0)], seed=i)
        write_activity(folder / f"run{i}.fit", points, start=START + timedelta(days=i))
    monkeypatch.setenv("ADVISOR_DATABASE__URL", "postgresql://runner:s3cret@127.0.0.1:1/advisor")
    result = cli("import", str(folder), "--jobs", "2", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("advisor: cannot open the database postgresql://runner:***@127.0.0.1:1/advisor")
    assert len(result.stderr.strip().splitlines()) == 1 and "s3cret" not in result.stderr


POOL_SCRIPT = """
import os, sys
from concurrent.futures import ProcessPoolExecutor

with open(os.environ["RUNS_OF_THIS_SCRIPT"], "a") as runs:
    runs.write(f"{os.getpid()}\\n")

from advisor.ingest.pool_worker import pool_context, start_fork_server

if __name__ == "__main__":
    start_fork_server()
    with ProcessPoolExecutor(2, mp_context=pool_context()) as pool:
        workers = {pool.submit(os.getpid).result() for _ in range(6)}
    print(len(workers - {os.getpid()}))
"""


def test_workers_do_not_rerun_the_script_that_started_them(tmp_path: Path) -> None:
    """Under the `advisor` console script (a `__main__` with a path), Python 3.12's fork server makes every worker
    run that script again before its first task (CPython gh-126631); `start_fork_server` works around it, so the
    script runs once, in the parent, however many workers there are."""
    script = tmp_path / "start_pool.py"
    script.write_text(POOL_SCRIPT)
    runs = tmp_path / "runs.txt"
    env = {**os.environ, "RUNS_OF_THIS_SCRIPT": str(runs)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 1  # the tasks ran in worker processes
    assert len(runs.read_text().splitlines()) == 1


def test_workers_import_the_decoders_not_the_store(tmp_path: Path, database_url: str) -> None:
    """A worker unpickles only `measuring.prepare` and `pool_worker.watch_parent`: SQLAlchemy is imported once, by
    the command itself (when a worker unpickled a function of `import_pool`, each one imported the whole store)."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for i in range(4):
        points = track_from_segments([(1500, 0.0)], seed=i)
        write_activity(folder / f"run{i}.fit", points, start=START + timedelta(days=i))
    env = {
        **os.environ,
        "ADVISOR_HOME": str(tmp_path / "home"),
        "ADVISOR_DATABASE__URL": database_url,
        "PYTHONPROFILEIMPORTTIME": "1",  # every process's imports, the fork server's and the workers' included
    }
    done = subprocess.run(
        [sys.executable, "-m", "advisor", "import", "--jobs", "2", "--json", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["summary"]["imported"] == 4
    imports = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert imports.count("advisor.ingest.measuring") >= 1  # the fork server's preload is in the listing
    assert imports.count("sqlalchemy") == 1
