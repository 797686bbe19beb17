"""The inbox job on real files: generated FIT runs, archives, broken files and files still being written."""

from __future__ import annotations

import gzip
import os
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity, write_non_activity
from sqlalchemy import func, select

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.store.models import Activity
from jobs import inbox as inbox_module
from jobs.inbox import scan_inbox, scan_inbox_report


@lru_cache(maxsize=16)
def fit_run(day: int, km: float = 3.0) -> bytes:
    points = track_from_segments([(km * 1000, 0.0)], speed=3.0, interval_s=10.0)
    return write_activity(None, points, start=datetime(2025, 3, day, 7, tzinfo=UTC))


def drop(path: Path, data: bytes, age_s: float = 60.0) -> Path:
    """Put a file into the inbox as if it finished arriving `age_s` seconds ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def activity_count(rt: Runtime) -> int:
    with rt.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Activity)) or 0


@pytest.fixture
def rt(database_url: str) -> Iterator[Runtime]:
    runtime = Runtime(load_settings(database={"url": database_url}))
    yield runtime
    runtime.close()


def test_files_are_imported_and_filed_away(rt: Runtime) -> None:
    inbox = rt.settings.inbox_path
    assert not inbox.exists()
    assert scan_inbox(rt) == "The inbox has no new files."
    assert inbox.is_dir()  # created on first scan, so the runner can see where to drop files

    drop(inbox / "run1.fit", fit_run(3))
    drop(inbox / "watch" / "GARMIN" / "run2.FIT", fit_run(4))
    drop(inbox / "run3.fit.gz", gzip.compress(fit_run(5)))
    with zipfile.ZipFile(inbox / "export.zip", "w") as archive:
        archive.writestr("a/run4.fit", fit_run(6))
    os.utime(inbox / "export.zip", (time.time() - 60, time.time() - 60))
    drop(inbox / "workout.fit", write_non_activity(None, "workout"))
    drop(inbox / "notes.txt", b"not for us")
    drop(inbox / ".partial.fit", b"a sync tool's temporary file")

    outcome = scan_inbox(rt)
    assert outcome == "5 files imported from the inbox, 4 new activities."
    assert activity_count(rt) == 4
    processed = inbox / "processed"
    for rel in ("run1.fit", "watch/GARMIN/run2.FIT", "run3.fit.gz", "export.zip", "workout.fit"):
        assert (processed / rel).is_file(), rel
        assert not (inbox / rel).exists()
    # Not ours: left exactly where they are.
    assert (inbox / "notes.txt").exists() and (inbox / ".partial.fit").exists()
    assert scan_inbox(rt) == "The inbox has no new files."


def test_duplicates_are_filed_and_names_never_overwritten(rt: Runtime) -> None:
    inbox = rt.settings.inbox_path
    drop(inbox / "run.fit", fit_run(3))
    scan_inbox(rt)
    drop(inbox / "run.fit", fit_run(3))  # the same file again, e.g. the watch mounted twice
    report = scan_inbox_report(rt)
    assert report.processed == ["run.fit"] and report.imported_runs == 0
    assert (inbox / "processed" / "run.fit").read_bytes() == fit_run(3)
    assert (inbox / "processed" / "run (2).fit").read_bytes() == fit_run(3)
    assert activity_count(rt) == 1


def test_failed_files_are_kept_with_the_reason_beside_them(rt: Runtime) -> None:
    inbox = rt.settings.inbox_path
    drop(inbox / "broken.fit", b"this is not a FIT file at all")
    drop(inbox / "cut.fit", fit_run(3)[:200], age_s=3600)  # truncated, and long past any copy still under way
    with zipfile.ZipFile(inbox / "mixed.zip", "w") as archive:
        archive.writestr("good.fit", fit_run(4))
        archive.writestr("bad.fit", b"\x0e\x10garbage")
    os.utime(inbox / "mixed.zip", (time.time() - 60, time.time() - 60))

    report = scan_inbox_report(rt)
    assert sorted(report.failed) == ["broken.fit", "cut.fit", "mixed.zip"]
    assert "3 files failed (see failed/ for the reasons)" in report.sentence()
    failed = inbox / "failed"
    for name in ("broken.fit", "cut.fit", "mixed.zip"):
        assert (failed / name).is_file()
        reason = (failed / f"{name}.reason.txt").read_text()
        assert f"{name} could not be imported" in reason and "failed:" in reason
    assert (failed / "broken.fit").read_bytes() == b"this is not a FIT file at all"  # kept as it came
    mixed = (failed / "mixed.zip.reason.txt").read_text()
    assert "bad.fit" in mixed and "imported: " in mixed and "good.fit" in mixed
    assert activity_count(rt) == 1  # the good member of the archive was stored


def test_a_link_to_a_file_outside_the_inbox_is_not_followed(rt: Runtime, tmp_path: Path) -> None:
    """Issue 24: whoever can write to a shared inbox must not make the daemon read (and move) a file from elsewhere:
    a symlink to a file outside, or inside a linked folder, stays where it is and nothing is stored."""
    inbox = rt.settings.inbox_path
    inbox.mkdir(parents=True, exist_ok=True)
    elsewhere = tmp_path / "elsewhere"
    secret = drop(elsewhere / "private.fit", fit_run(5))
    (inbox / "link.fit").symlink_to(secret)
    (inbox / "folder").symlink_to(elsewhere, target_is_directory=True)
    report = scan_inbox_report(rt)
    assert report.processed == [] and report.failed == [] and activity_count(rt) == 0
    assert secret.read_bytes() == fit_run(5) and (inbox / "link.fit").is_symlink()


def test_a_failed_file_with_a_251_character_name_leaves_the_inbox(rt: Runtime) -> None:
    """Issue 24: `NAME.reason.txt` of a 251-character name is longer than a file name may be; the reason's name is
    shortened, so the file is filed under failed/ once instead of failing again at every scan."""
    inbox = rt.settings.inbox_path
    name = "r" * 247 + ".fit"
    drop(inbox / name, b"this is not a FIT file at all")
    report = scan_inbox_report(rt)
    assert report.failed == [name] and report.unmovable == []
    assert (inbox / "failed" / name).is_file() and not (inbox / name).exists()
    [reason] = list((inbox / "failed").glob("*.reason.txt"))
    assert len(reason.name.encode()) <= 255 and f"{name} could not be imported" in reason.read_text()
    assert scan_inbox_report(rt).failed == []  # nothing left to fail again


def test_files_still_being_written_wait_for_the_next_scan(rt: Runtime) -> None:
    inbox = rt.settings.inbox_path
    drop(inbox / "arriving.fit", fit_run(3)[:100], age_s=0)
    report = scan_inbox_report(rt)
    assert report.waiting == ["arriving.fit"] and not report.failed
    assert "still being written" in report.sentence()
    assert (inbox / "arriving.fit").exists() and activity_count(rt) == 0

    drop(inbox / "arriving.fit", fit_run(3))  # the copy finished
    assert scan_inbox_report(rt).processed == ["arriving.fit"]
    assert activity_count(rt) == 1


def test_nothing_leaves_the_inbox_when_the_database_fails(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = rt.settings.inbox_path
    drop(inbox / "run.fit", fit_run(3))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(inbox_module, "import_paths", broken)
    with pytest.raises(RuntimeError):
        scan_inbox(rt)
    assert (inbox / "run.fit").exists()
    assert not (inbox / "processed").exists() and not (inbox / "failed").exists()


def test_configured_inbox_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    watched = tmp_path / "Dropbox" / "watch"
    monkeypatch.setenv("ADVISOR_INBOX__PATH", str(watched))
    runtime = Runtime(load_settings())
    drop(watched / "run.fit", fit_run(7))
    assert scan_inbox(runtime).startswith("1 file imported")
    assert (watched / "processed" / "run.fit").exists()
    runtime.close()


def test_a_stalled_copy_waits_and_a_young_truncated_file_stays(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that stalls past the settle time is cut short: it stays in the inbox while it is young."""
    from xmlgen import gpx

    inbox = rt.settings.inbox_path
    whole = gpx(track_from_segments([(3000.0, 0.0)], speed=3.0))
    drop(inbox / "phone.gpx", whole[: len(whole) // 2], age_s=45)  # past SETTLE_SECONDS, younger than the grace
    drop(inbox / "watch.fit", fit_run(3)[:300], age_s=120)
    report = scan_inbox_report(rt)
    assert sorted(report.waiting) == ["phone.gpx", "watch.fit"] and not report.failed
    assert (inbox / "phone.gpx").exists() and not (inbox / "failed").exists()

    drop(inbox / "phone.gpx", whole, age_s=45)  # the copy finished
    assert scan_inbox_report(rt).processed == ["phone.gpx"]
    os.utime(inbox / "watch.fit", (time.time() - 3600, time.time() - 3600))  # and this one never will
    assert scan_inbox_report(rt).failed == ["watch.fit"]
    assert "truncated" in (inbox / "failed" / "watch.fit.reason.txt").read_text()


def test_a_fresh_file_is_imported_once_two_scans_saw_it_unchanged(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox_module, "RESCAN_MIN_SECONDS", 0.0)  # scans minutes apart, compressed for the test
    inbox = rt.settings.inbox_path
    drop(inbox / "run.fit", fit_run(4), age_s=1)
    assert scan_inbox_report(rt).waiting == ["run.fit"]  # first look: too fresh to trust
    assert scan_inbox_report(rt).processed == ["run.fit"]  # second look: unchanged, so complete
    assert activity_count(rt) == 1


def test_gpx_and_tcx_in_the_inbox_are_imported(rt: Runtime) -> None:
    from xmlgen import gpx, tcx

    inbox = rt.settings.inbox_path
    points = track_from_segments([(3000.0, 0.0)], speed=3.0)
    drop(inbox / "a.gpx", gpx(points, start=datetime(2025, 3, 10, 7, tzinfo=UTC)))
    drop(inbox / "b.tcx.gz", gzip.compress(tcx(points, start=datetime(2025, 3, 11, 7, tzinfo=UTC))))
    assert scan_inbox(rt) == "2 files imported from the inbox, 2 new activities."
