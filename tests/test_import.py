"""`advisor import` end to end on files the tests write: statuses, archives, guards, idempotency, exit codes."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from select import PIPE_BUF

import pytest
from fitgen import Day, Leg, track_from_segments, write_activity, write_monitoring, write_multisport, write_non_activity
from sqlalchemy import func, select

from advisor.store.db import open_database
from advisor.store.models import Activity, DailyStairs, SourceFile

START = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def run_file(path: Path, minutes_later: int = 0, km: float = 5.0, **kwargs) -> bytes:
    points = track_from_segments([(km * 1000, 0.0)], speed=3.0, noise_m=0.2, seed=minutes_later)
    return write_activity(path, points, start=START + timedelta(minutes=minutes_later), **kwargs)


def imported(result) -> dict:
    document = json.loads(result.stdout)
    return {Path(f["name"].split("!")[-1]).name: f for f in document["files"]}


def count_rows(database_url: str, model) -> int:
    db = open_database(database_url)
    with db.transaction() as session:
        n = session.scalar(select(func.count()).select_from(model))
    db.dispose()
    return n


def test_import_stores_the_run_with_its_metrics(tmp_path: Path, cli) -> None:
    run_file(tmp_path / "run.fit", km=8.0)
    result = cli("import", str(tmp_path / "run.fit"), "--json")
    assert result.exit_code == 0, result.stderr
    assert imported(result)["run.fit"]["status"] == "imported"
    listed = json.loads(cli("activities", "--json").stdout)["activities"]
    assert len(listed) == 1
    run = listed[0]
    assert run["sport"] == "running"
    assert run["distance_m"] == pytest.approx(8000, rel=0.01)
    assert run["session"]["distance_m"] == pytest.approx(8000, rel=0.001)
    assert run["moving_s"] == pytest.approx(8000 / 3.0, rel=0.02)
    assert run["avg_cadence_spm"] == pytest.approx(170, abs=0.5)
    assert run["ascent_m"] < 5 and run["descent_m"] < 5
    assert run["start_utc"] == "2026-05-04T06:00:00Z" and run["utc_offset_s"] == 7200


def test_same_content_twice_is_a_duplicate(tmp_path: Path, cli, database_url: str) -> None:
    run_file(tmp_path / "a.fit")
    assert cli("import", str(tmp_path / "a.fit")).exit_code == 0
    second = cli("import", str(tmp_path / "a.fit"), "--json")
    assert second.exit_code == 0
    result = imported(second)["a.fit"]
    assert result["status"] == "duplicate" and "same content" in result["detail"]
    assert count_rows(database_url, Activity) == 1


def test_same_activity_in_another_file_is_not_counted_twice(tmp_path: Path, cli, database_url: str) -> None:
    """The watch's file, then a re-encoded copy of the same run (as a Garmin download or another app would give)."""
    run_file(tmp_path / "watch.fit", enhanced=True)
    run_file(tmp_path / "download.fit", enhanced=False, serial_number=999)
    assert (tmp_path / "watch.fit").read_bytes() != (tmp_path / "download.fit").read_bytes()
    cli("import", str(tmp_path / "watch.fit"))
    result = imported(cli("import", str(tmp_path / "download.fit"), "--json"))["download.fit"]
    assert result["status"] == "duplicate" and "same activity as #" in result["detail"]
    assert count_rows(database_url, Activity) == 1


def test_folders_gz_and_nested_zips_are_all_found(tmp_path: Path, cli) -> None:
    source = tmp_path / "in"
    (source / "deep" / "er").mkdir(parents=True)
    run_file(source / "deep" / "er" / "one.fit", 0)
    (source / "two.fit.gz").write_bytes(gzip.compress(run_file(None, 60)))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("123_ACTIVITY.fit", run_file(None, 120))
        archive.writestr("readme.txt", "not a fit file")
    with zipfile.ZipFile(source / "export.zip", "w") as archive:
        archive.writestr("DI_CONNECT/Uploaded/part1.zip", inner.getvalue())
        archive.writestr("DI_CONNECT/summary.json", "{}")
    (source / "notes.txt").write_text("listed as not an activity file inside folders")
    result = cli("import", str(source), "--json")
    assert result.exit_code == 0, result.stdout
    files = imported(result)
    assert {n: f["status"] for n, f in files.items()} == {
        "one.fit": "imported",
        "two.fit.gz": "imported",
        "123_ACTIVITY.fit": "imported",
        "notes.txt": "skipped",
    }
    assert files["notes.txt"]["detail"] == "not an activity file"
    assert len(json.loads(cli("activities", "--json").stdout)["activities"]) == 3


def test_non_activities_are_skipped_and_monitoring_gives_floors(tmp_path: Path, cli, database_url: str) -> None:
    write_non_activity(tmp_path / "workout.fit", "workout")
    write_non_activity(tmp_path / "settings.fit", "settings")
    day = datetime(2026, 5, 4).date()
    write_monitoring(tmp_path / "monitor.fit", [Day(day, ascent_m=30.48, descent_m=60.96, steps=9000)])
    files = imported(cli("import", str(tmp_path), "--json"))
    assert files["workout.fit"]["status"] == "skipped" and "workout" in files["workout.fit"]["detail"]
    assert files["settings.fit"]["status"] == "skipped" and "settings" in files["settings.fit"]["detail"]
    assert files["monitor.fit"]["status"] == "skipped" and "floors for 1 day" in files["monitor.fit"]["detail"]
    db = open_database(database_url)
    with db.transaction() as session:
        stairs = session.scalars(select(DailyStairs)).one()
    db.dispose()
    # 30.48 m up and 60.96 m down at Garmin's 3.048 m per floor.
    assert (stairs.day, stairs.floors_up, stairs.floors_down, stairs.steps) == (
        day,
        pytest.approx(10),
        pytest.approx(20),
        9000,
    )


def test_broken_files_fail_alone_with_a_reason_and_exit_1(tmp_path: Path, cli, database_url: str) -> None:
    good = run_file(tmp_path / "good.fit")
    (tmp_path / "truncated.fit").write_bytes(good[: len(good) // 2])
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0xFF
    (tmp_path / "flipped.fit").write_bytes(bytes(flipped))
    (tmp_path / "empty.fit").write_bytes(b"")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    result = cli("import", str(tmp_path), str(tmp_path / "missing.fit"), "--json")
    assert result.exit_code == 1
    files = imported(result)
    assert files["good.fit"]["status"] == "imported"
    for name in ("truncated.fit", "flipped.fit", "empty.fit", "bad.zip", "missing.fit"):
        assert files[name]["status"] == "failed", files[name]
        assert files[name]["detail"] and "\n" not in files[name]["detail"] and "Traceback" not in files[name]["detail"]
    assert "bad CRC" in files["flipped.fit"]["detail"]
    assert "no such file" in files["missing.fit"]["detail"]
    assert count_rows(database_url, Activity) == 1
    assert count_rows(database_url, SourceFile) == 1


def test_zip_bombs_and_oversized_members_are_refused(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.fit", b"\0" * (20 << 20))
        archive.writestr("real.fit", run_file(None))
    files = imported(cli("import", str(tmp_path / "bomb.zip"), "--json"))
    assert files["bomb.fit"]["status"] == "failed" and "compression ratio" in files["bomb.fit"]["detail"]
    assert files["real.fit"]["status"] == "imported"
    monkeypatch.setenv("ADVISOR_IMPORTS__MAX_MEMBER_MIB", "1")
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("big.fit", b"\1" * (2 << 20))
    files = imported(cli("import", str(tmp_path / "big.zip"), "--json"))
    assert files["big.fit"]["status"] == "failed" and "too large" in files["big.fit"]["detail"]


def test_multisport_file_gives_one_activity_per_leg(tmp_path: Path, cli) -> None:
    ride = track_from_segments([(6000, 0.0)], speed=8.0, cadence=None)
    run = [
        p.__class__(p.t + 900, p.distance_m, p.altitude_m, p.speed_mps, p.heart_rate, p.cadence)
        for p in track_from_segments([(3000, 0.0)], speed=3.0)
    ]
    write_multisport(tmp_path / "brick.fit", [Leg("cycling", ride), Leg("running", run)], start=START)
    assert cli("import", str(tmp_path / "brick.fit")).exit_code == 0
    activities = json.loads(cli("activities", "--json").stdout)["activities"]
    by_sport = {a["sport"]: a for a in activities}
    assert set(by_sport) == {"cycling", "running"}
    assert by_sport["cycling"]["distance_m"] == pytest.approx(6000, rel=0.01)
    assert by_sport["running"]["distance_m"] == pytest.approx(3000, rel=0.01)


def test_both_decoders_store_the_same_metrics(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    points = track_from_segments([(2000, 0.0), (3000, -0.06), (3000, 0.06)], noise_m=0.3, seed=3)
    write_activity(tmp_path / "hilly.fit", points, start=START)
    cli("import", str(tmp_path / "hilly.fit"))
    first = json.loads(cli("activities", "--json").stdout)["activities"][0]
    monkeypatch.setenv("ADVISOR_HOME", str(tmp_path / "second-home"))
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{tmp_path / 'second.db'}")
    monkeypatch.setenv("ADVISOR_FIT__DECODER", "fitparse")
    cli("import", str(tmp_path / "hilly.fit"))
    second = json.loads(cli("activities", "--json").stdout)["activities"][0]
    first.pop("id"), second.pop("id")
    assert first == second


def test_local_date_uses_the_files_own_offset(tmp_path: Path, cli) -> None:
    """23:30 UTC with a +02:00 offset is the next calendar day for the runner."""
    late = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)
    write_activity(tmp_path / "late.fit", track_from_segments([(3000, 0.0)]), start=late, utc_offset_s=7200)
    cli("import", str(tmp_path / "late.fit"))
    assert json.loads(cli("activities", "--json").stdout)["activities"][0]["local_date"] == "2026-05-05"
    assert json.loads(cli("activities", "--json", "--since", "2026-05-06").stdout)["activities"] == []


def test_usage_errors_exit_2(cli) -> None:
    assert cli("import").exit_code == 2
    assert cli("import", "x.fit", "--frobnicate").exit_code == 2
    result = cli("activities", "--since", "last tuesday")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr


def test_piped_output_has_a_line_per_file_and_a_summary(tmp_path: Path, cli) -> None:
    folder = tmp_path / "in"  # not tmp_path itself: it holds ADVISOR_HOME, whose files would be listed as skipped
    folder.mkdir()
    run_file(folder / "a.fit")
    write_non_activity(folder / "w.fit", "workout")
    result = cli("import", str(folder))
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "2 files: 1 imported, 0 duplicate, 1 skipped, 0 failed"
    assert any(line.startswith("imported") and "a.fit" in line for line in lines)


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren: the pool's fork server and its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited; it only waits for its parent to read its status)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def full_pipe() -> tuple[int, int]:
    """A pipe filled to capacity, as (read end, write end): a process whose output is its write end blocks on its
    first write, until the read end is read or closed."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    for chunk in (b"\n" * PIPE_BUF, b"\n"):  # whole chunks, then single bytes into what is left
        try:
            while True:
                os.write(write_end, chunk)
        except BlockingIOError:
            pass
    os.set_blocking(write_end, True)
    return read_end, write_end


def test_a_killed_import_leaves_no_half_stored_run_and_a_rerun_finishes(tmp_path: Path, database_url: str) -> None:
    """SIGKILL a real `advisor import` process mid-batch (decoding in a pool of two workers): every stored activity
    has its source file row (one transaction per file), no worker outlives it, and running the command again
    stores exactly the rest.

    Mid-batch by construction, not by timing: piped, the import prints each file's line once the file is stored,
    and its standard output is a pipe the test has filled. So it stores the first file and then waits on that
    line, with the others read, queued or decoding, until the test kills it."""
    from advisor.services.import_pool import WARM_UP_FILES

    folder = tmp_path / "batch"
    folder.mkdir()
    total = WARM_UP_FILES + 12  # past the warm-up, so files are still decoding when the first ones are stored
    points = track_from_segments([(3000, 0.0)], speed=3.0, interval_s=2.0)
    for i in range(total):
        write_activity(folder / f"run{i:02d}.fit", points, start=START + timedelta(days=i))
    env = {**os.environ, "ADVISOR_DATABASE__URL": database_url}
    command = [sys.executable, "-m", "advisor", "import", str(folder), "--jobs", "2"]
    output, output_end = full_pipe()
    try:
        process = subprocess.Popen(command, env=env, stdout=output_end, stderr=subprocess.PIPE)
        os.close(output_end)
        output_end = -1
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            workers |= descendants(process.pid)
            if count_rows(database_url, Activity) >= 1:
                break
            time.sleep(0.05)
        workers |= descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        _, errors = process.communicate(timeout=60)  # its stderr ends once its fork server has followed it
    finally:
        os.close(output)
        if output_end >= 0:
            os.close(output_end)
    assert process.returncode == -signal.SIGKILL, errors.decode()  # it was still at work, not finished or failed
    assert len(workers) >= 2, "the import should have decoded in worker processes"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(running(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(running(pid) for pid in workers), "a worker outlived the killed import"
    stored = count_rows(database_url, Activity)
    assert 0 < stored < total, "the kill should land mid-batch"
    assert count_rows(database_url, SourceFile) == stored
    rerun = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    statuses = [f["status"] for f in json.loads(rerun.stdout)["files"]]
    assert statuses.count("duplicate") == stored and statuses.count("imported") == total - stored
    assert count_rows(database_url, Activity) == total


def test_a_database_that_cannot_be_written_stops_with_one_sentence(
    tmp_path: Path, cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only database (as a full disk or a lost server would be) ends the import with one sentence and
    exit 1, stores nothing half-written, and the same command finishes the job once the database is writable."""
    run_file(tmp_path / "first.fit", 0)
    database = tmp_path / "own.db"
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{database}")
    assert cli("import", str(tmp_path / "first.fit")).exit_code == 0
    later = tmp_path / "later"
    later.mkdir()
    run_file(later / "second.fit", 90)
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///file:{database}?mode=ro&uri=true")
    result = cli("import", str(later))
    assert result.exit_code == 1
    assert result.stderr.startswith("advisor: cannot use the database") and "readonly" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{database}")
    assert count_rows(f"sqlite:///{database}", Activity) == 1
    assert imported(cli("import", str(later), "--json"))["second.fit"]["status"] == "imported"


def test_a_dated_copy_is_the_file_fitgen_writes_for_that_start() -> None:
    """fitgen encodes each run's shape once and makes the same run on other days by shifting its times
    (`fitpatch.Dated`): every copy must be, byte for byte, the file fit-tool writes for that start, or the suite
    would import files no encoder wrote."""
    from fitgen import encode_multisport

    hilly = track_from_segments([(1500, 0.0), (800, -0.08), (700, 0.05)], speed=3.2, noise_m=0.3, seed=5)
    ride = track_from_segments([(4000, 0.0)], speed=8.0, cadence=None)
    run_after = [
        p.__class__(p.t + 900, p.distance_m, p.altitude_m, p.speed_mps, p.heart_rate, p.cadence)
        for p in track_from_segments([(1000, 0.0)], speed=3.0)
    ]
    variants: list[tuple[list[Leg], dict]] = [
        ([Leg("running", hilly)], {}),
        ([Leg("running", hilly)], {"start": START + timedelta(days=400, seconds=7), "serial_number": 1017}),
        ([Leg("running", hilly)], {"start": datetime(2013, 2, 6, 23, 59, 59, tzinfo=UTC), "utc_offset_s": None}),
        (
            [Leg("running", hilly, "trail")],
            {"start": START, "pauses": [(120, 300)], "enhanced": False, "name": "Long run", "utc_offset_s": -18000},
        ),
        ([Leg("cycling", ride, "road")], {"start": START - timedelta(days=3000), "with_session": False}),
        ([Leg("cycling", ride), Leg("running", run_after)], {"start": START + timedelta(hours=5)}),
    ]
    for n, (legs, options) in enumerate(variants):
        for _ in range(2):  # the first call may encode the shape; the second is a copy for certain
            assert write_multisport(None, legs, **options) == encode_multisport(legs, **options), f"{n}: {options}"


def test_the_progress_hears_each_files_size_in_the_order_of_its_result(tmp_path: Path, monkeypatch) -> None:
    """The bar's time left goes by bytes: `on_total` gets each file's size (a zip member's uncompressed size, 0 for
    what is not an activity file), one per result and in the same order."""
    from advisor.bootstrap import Runtime
    from advisor.config import load_settings
    from advisor.services.importing import import_paths

    folder = tmp_path / "in"
    folder.mkdir()
    short, long = run_file(folder / "a_short.fit", km=2.0), run_file(folder / "b_long.fit", minutes_later=90, km=12.0)
    member = run_file(tmp_path / "member.fit", minutes_later=300, km=5.0)
    with zipfile.ZipFile(folder / "c_export.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activities/run.fit", member)
    (folder / "d_notes.txt").write_text("not an activity")
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{tmp_path / 'advisor.db'}")
    rt = Runtime(load_settings())
    heard: list[list[int]] = []
    summary = import_paths(rt.import_context("file"), [folder], on_total=heard.append)
    rt.close()
    [sizes] = heard
    assert len(sizes) == len(summary.results)
    by_name = dict(zip((r.name for r in summary.results), sizes, strict=True))
    assert by_name[str(folder / "a_short.fit")] == len(short)
    assert by_name[str(folder / "b_long.fit")] == len(long) > len(short)
    assert by_name[f"{folder / 'c_export.zip'}!activities/run.fit"] == len(member), "uncompressed, not the zip's"
    assert by_name[str(folder / "d_notes.txt")] == 0
