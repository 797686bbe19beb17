"""Daemon scheduling: the summary trigger across DST, the missed-summary rule, and the single-instance lock.

Schedule arithmetic is tested on the APScheduler trigger itself (the same calls the scheduler makes), never
by sleeping. The lock is tested against real processes, because flock semantics only show across processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from conftest import ProcessOutput

from jobs.lock import AlreadyRunning, acquire_daemon_lock, read_lock_holder
from jobs.schedule import (
    interval_trigger,
    missed_summary_due,
    next_summary_time,
    parse_weekday,
    previous_summary_time,
    summary_trigger,
)


def fire_times(trigger: CronTrigger, start: datetime, count: int) -> list[datetime]:
    """Successive fire times exactly as the scheduler obtains them (previous fire time fed back in)."""
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and len(times) < count:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return times


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- the summary trigger across DST ----------------------------------------------------------------------------


def test_berlin_monday_0700_across_spring_forward() -> None:
    # CET→CEST on Sunday 2026-03-29.
    times = fire_times(summary_trigger("mon", 7, "Europe/Berlin"), utc(2026, 3, 16), 3)
    assert [t.astimezone(UTC) for t in times] == [utc(2026, 3, 16, 6), utc(2026, 3, 23, 6), utc(2026, 3, 30, 5)]
    assert all((t.weekday(), t.hour, t.minute) == (0, 7, 0) for t in times)
    assert [t.utcoffset() for t in times] == [timedelta(hours=1), timedelta(hours=1), timedelta(hours=2)]


def test_berlin_monday_0700_across_fall_back() -> None:
    # CEST→CET on Sunday 2026-10-25.
    times = fire_times(summary_trigger("Monday", 7, "Europe/Berlin"), utc(2026, 10, 12), 3)
    assert [t.astimezone(UTC) for t in times] == [utc(2026, 10, 12, 5), utc(2026, 10, 19, 5), utc(2026, 10, 26, 6)]
    assert all((t.weekday(), t.hour) == (0, 7) for t in times)


@pytest.mark.parametrize(
    ("start", "expected_utc_hours"),
    [
        (utc(2026, 3, 1), [12, 11, 11]),  # EST→EDT on Sunday 2026-03-08
        (utc(2026, 10, 26), [11, 12, 12]),  # EDT→EST on Sunday 2026-11-01
    ],
)
def test_new_york_monday_0700(start: datetime, expected_utc_hours: list[int]) -> None:
    times = fire_times(summary_trigger(0, 7, "America/New_York"), start, 3)
    assert [t.astimezone(UTC).hour for t in times] == expected_utc_hours
    assert all((t.weekday(), t.hour) == (0, 7) for t in times)
    assert [b - a for a, b in pairwise(times)] == [timedelta(days=7)] * 2  # wall clock


def test_nonexistent_local_time_fires_at_the_shifted_instant() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; it fires at 01:30Z, which is 03:30 CEST.
    times = fire_times(summary_trigger("sun", 2, "Europe/Berlin", minute=30), utc(2026, 3, 28), 2)
    assert [t.astimezone(UTC) for t in times] == [utc(2026, 3, 29, 1, 30), utc(2026, 4, 5, 0, 30)]


def test_repeated_local_time_fires_twice() -> None:
    """APScheduler 3.11 behaviour the summary job must tolerate (it is idempotent per week via the outbox)."""
    times = fire_times(summary_trigger("sun", 2, "Europe/Berlin", minute=30), utc(2026, 10, 24), 3)
    assert [t.astimezone(UTC) for t in times] == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 11, 1, 1, 30),
    ]


def test_trigger_values_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Berln'"):
        summary_trigger("mon", 7, "Europe/Berln")
    with pytest.raises(ValueError, match="hour must be 0-23"):
        summary_trigger("mon", 24, "UTC")
    with pytest.raises(ValueError, match="not a weekday"):
        summary_trigger("monday-ish", 7, "UTC")
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6 \\(Sunday\\)"):
        summary_trigger(7, 7, "UTC")


@pytest.mark.parametrize(("value", "expected"), [("mon", 0), ("SUN", 6), ("Wednesday", 2), (4, 4), ("5", 5)])
def test_parse_weekday(value: str | int, expected: int) -> None:
    assert parse_weekday(value) == expected


# -- interval triggers ---------------------------------------------------------------------------------------


def test_interval_trigger_counts_elapsed_time_not_wall_clock() -> None:
    start = utc(2026, 3, 29, 0, 0)  # spans the Berlin change, must not matter
    trigger = interval_trigger(hours=6, start_date=start)
    assert isinstance(trigger, IntervalTrigger)
    first = trigger.get_next_fire_time(None, start)
    assert first is not None
    second = trigger.get_next_fire_time(first, first)
    assert second is not None
    assert second - first == timedelta(hours=6)
    every_15 = interval_trigger(minutes=15, start_date=start)
    assert every_15.interval == timedelta(minutes=15)


def test_interval_trigger_rejects_zero_and_negative() -> None:
    with pytest.raises(ValueError):
        interval_trigger()
    with pytest.raises(ValueError):
        interval_trigger(hours=-1)


# -- next and missed summaries ---------------------------------------------------------------------------------

BERLIN = ("mon", 7, "Europe/Berlin")


def test_next_summary_time_is_strictly_after() -> None:
    monday_7 = utc(2026, 3, 30, 5)  # 07:00 CEST
    assert next_summary_time(monday_7 - timedelta(seconds=1), *BERLIN) == monday_7
    assert next_summary_time(monday_7, *BERLIN).astimezone(UTC) == utc(2026, 4, 6, 5)
    assert next_summary_time(utc(2026, 3, 24), *BERLIN).astimezone(UTC) == monday_7


def test_previous_summary_time() -> None:
    assert previous_summary_time(utc(2026, 3, 30, 5), *BERLIN) == utc(2026, 3, 30, 5)  # inclusive
    assert previous_summary_time(utc(2026, 3, 30, 4, 59), *BERLIN) == utc(2026, 3, 23, 6)
    assert previous_summary_time(utc(2026, 4, 5, 23), *BERLIN) == utc(2026, 3, 30, 5)


def test_missed_summary_is_sent_once_after_the_machine_was_off() -> None:
    sent_for = utc(2026, 3, 23, 6)  # last week's summary went out
    wednesday = utc(2026, 4, 1, 9)  # the laptop was closed on Monday morning
    due = missed_summary_due(sent_for, wednesday, *BERLIN)
    assert due == utc(2026, 3, 30, 5)
    # Once recorded as sent, a restart does not send it again.
    assert missed_summary_due(due, wednesday, *BERLIN) is None
    assert missed_summary_due(due, wednesday + timedelta(days=2), *BERLIN) is None


def test_nothing_due_before_the_scheduled_time() -> None:
    assert missed_summary_due(utc(2026, 3, 23, 6), utc(2026, 3, 30, 4, 59), *BERLIN) is None


def test_long_absence_sends_only_the_latest_week() -> None:
    due = missed_summary_due(utc(2026, 3, 2, 6), utc(2026, 3, 25, 12), *BERLIN)
    assert due == utc(2026, 3, 23, 6)


def test_first_start_sends_the_latest_summary() -> None:
    assert missed_summary_due(None, utc(2026, 4, 1, 9), *BERLIN) == utc(2026, 3, 30, 5)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        missed_summary_due(datetime(2026, 3, 23, 6), utc(2026, 4, 1), *BERLIN)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_summary_time(datetime(2026, 3, 23, 6), *BERLIN)


# -- single-instance lock ---------------------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import subprocess, sys
    from pathlib import Path
    from jobs.lock import acquire_daemon_lock

    lock = acquire_daemon_lock(Path(sys.argv[1]))
    if len(sys.argv) > 2:  # also start a long-lived grandchild, as a daemon might
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print(child.pid, flush=True)
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the test closes our stdin (or kills us)
    """
)


HOLDER_TIMEOUT_S = 60.0
"""How long a holder may take to start and take the lock: a deadline for a hung child, not an expected time."""


def _env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}


@pytest.fixture
def holder_factory(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Processes started by a test; whatever is still alive at the end is killed by its pid."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def start_holder(home: Path, started: list[subprocess.Popen[str]], *, grandchild: bool = False) -> tuple:
    """A process holding the lock on `home` (once it said "locked"), and the pid of its grandchild if asked for."""
    args = [sys.executable, "-c", HOLDER, str(home)] + (["grandchild"] if grandchild else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    started.append(proc)
    assert proc.stdout is not None
    output = ProcessOutput(proc.stdout)
    grandchild_pid = int(output.wait_for(r"^(\d+)$", HOLDER_TIMEOUT_S).group(1)) if grandchild else None
    output.wait_for("^locked$", HOLDER_TIMEOUT_S)
    return proc, grandchild_pid


def test_second_daemon_is_refused_with_the_first_ones_pid(
    tmp_path: Path, holder_factory: list[subprocess.Popen[str]]
) -> None:
    proc, _ = start_holder(tmp_path, holder_factory)
    with pytest.raises(AlreadyRunning) as info:
        acquire_daemon_lock(tmp_path)
    assert info.value.pid == proc.pid
    assert str(proc.pid) in str(info.value)
    assert read_lock_holder(tmp_path) == proc.pid

    # A normal exit releases it.
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=10) == 0
    assert read_lock_holder(tmp_path) is None
    with acquire_daemon_lock(tmp_path) as lock:
        assert lock.pid == os.getpid()
        assert (tmp_path / "daemon.lock").read_text() == f"{os.getpid()}\n"


def test_killed_daemon_does_not_block_the_next_one(tmp_path: Path, holder_factory: list[subprocess.Popen[str]]) -> None:
    proc, grandchild = start_holder(tmp_path, holder_factory, grandchild=True)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # The stale file still names the dead process, and its grandchild lives on; neither blocks.
        assert (tmp_path / "daemon.lock").read_text().strip() == str(proc.pid)
        lock = acquire_daemon_lock(tmp_path)
        assert lock.pid == os.getpid()
        lock.release()
        lock.release()  # idempotent
        assert (tmp_path / "daemon.lock").read_text() == ""
    finally:
        assert grandchild is not None
        os.kill(grandchild, signal.SIGKILL)


def test_second_acquire_in_the_same_process_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "new-home"  # created on demand
    with acquire_daemon_lock(home):
        with pytest.raises(AlreadyRunning) as info:
            acquire_daemon_lock(home)
        assert info.value.pid == os.getpid()
    assert read_lock_holder(home) is None
