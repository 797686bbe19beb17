"""Issue 21: the import keeps every real recording. A clock that jumps mid-file, a recording left paused for a
month, a hike with GPS jumps: glitches are dropped and the activity kept; a sport the speed rules out is inferred
(and said so); a track that is mostly without time is skipped like a route. Files are written by the tests (FIT
with `fitgen` and patched with `fitpatch`, GPX with `xmlgen`) and go through the real `advisor import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fitgen import Point, track_from_segments, write_activity
from fitpatch import TIMESTAMP, patch_many, raw_value, records_with
from xmlgen import gpx, write

TWO_YEARS_S = 2 * 365 * 86400
TEN_KM = track_from_segments([(10_000.0, 0.0)], speed=3.0, noise_m=0.2, seed=3)
"""A flat 10 km at 3 m/s: 3,334 one-second records, so elapsed 3,333 s."""


def import_one(cli, path: Path) -> dict:
    result = cli("import", str(path), "--json")
    [only] = json.loads(result.stdout)["files"]
    return only


def stored(cli) -> list[dict]:
    return json.loads(cli("activities", "--json").stdout)["activities"]


@pytest.mark.parametrize("jump_s", [-TWO_YEARS_S, TWO_YEARS_S], ids=["two-years-back", "two-years-ahead"])
def test_a_clock_that_jumps_two_years_mid_file_is_put_back_in_line(tmp_path: Path, cli, jump_s: int) -> None:
    """The records from the 101st on carry a clock two years off (as GoldenCheetah's ride did): judged against the
    session's own start and elapsed time, they are the same run, not 3,233 glitches."""
    data = write_activity(None, TEN_KM)
    later = records_with(data, TIMESTAMP)[100:]
    jumped = patch_many(data, [(m, TIMESTAMP, raw_value(data, m, TIMESTAMP) + jump_s) for m in later])
    result = import_one(cli, write(tmp_path / "jump.fit", jumped))
    assert result["status"] == "imported", result
    [run] = stored(cli)
    assert run["distance_m"] == pytest.approx(10_000.0, rel=0.01)
    assert run["elapsed_s"] == pytest.approx(3333.0, abs=2.0)  # the 2-year step becomes one usual 1-s interval


def test_a_ride_left_paused_for_a_month_is_a_25_minute_ride(tmp_path: Path, cli) -> None:
    """Timer 25 min, 10 km, elapsed 30 days (the watch paused, then resumed a month later): judged by timer time,
    not elapsed time (PRODUCT.md), it imports."""
    month = 30 * 86400.0
    ride = [Point(t, 6.67 * t, 100.0, 6.67, 140, 80.0) for t in range(0, 751)]
    ride += [Point(month + t, 6.67 * t, 100.0, 6.67, 140, 80.0) for t in range(751, 1501)]
    data = write_activity(None, ride, sport="cycling", pauses=[(750.0, month + 751.0)])
    result = import_one(cli, write(tmp_path / "paused.fit", data))
    assert result["status"] == "imported", result
    [ride_row] = stored(cli)
    assert ride_row["sport"] == "cycling" and ride_row["distance_m"] == pytest.approx(10_000.0, rel=0.01)
    assert ride_row["moving_s"] == pytest.approx(1500.0, abs=30.0)


def test_a_hike_with_gps_jumps_keeps_the_hike(tmp_path: Path, cli) -> None:
    """184 fixes of a 1.2 m/s hike, 29 of them thrown 500 m off (more than a tenth): a GPX has no session totals
    to contradict what is left, so the jumps are dropped and the hike kept."""
    points = track_from_segments([(184 * 5 * 1.2, 0.0)], speed=1.2, interval_s=5.0, seed=5)[:184]
    text = gpx(points, sport="hiking").decode()
    lines = text.splitlines()
    trkpts = [i for i, line in enumerate(lines) if "<trkpt" in line]
    for k in trkpts[10:184:6][:29]:
        lat = lines[k].split('lat="')[1].split('"')[0]
        lines[k] = lines[k].replace(f'lat="{lat}"', f'lat="{float(lat) + 0.0045:.8f}"')
    result = import_one(cli, write(tmp_path / "hike.gpx", "\n".join(lines).encode()))
    assert result["status"] == "imported", result
    assert "29 glitched samples dropped" in result["detail"]
    [hike] = stored(cli)
    true_m = points[-1].distance_m - points[0].distance_m
    assert hike["sport"] == "hiking" and hike["distance_m"] == pytest.approx(true_m, rel=0.05)


def test_a_track_mostly_without_time_is_skipped_as_a_drawn_track(tmp_path: Path, cli) -> None:
    """291 points without a time and 5 with: not a 0.05 km run, a track someone drew."""
    points = track_from_segments([(296 * 3.0, 0.0)], speed=3.0)[:296]
    timed = gpx(points).decode().splitlines()
    untimed = gpx(points, with_time=False).decode().splitlines()
    stamped = {i for i, line in enumerate(timed) if "<trkpt" in line}
    keep_time = sorted(stamped)[:5]
    lines = [timed[i] if i in keep_time else line for i, line in enumerate(untimed)]
    result = import_one(cli, write(tmp_path / "drawn.gpx", "\n".join(lines).encode()))
    assert result["status"] == "skipped" and result["detail"].startswith("a track without timestamps")
    assert stored(cli) == []


def test_a_ride_the_watch_recorded_as_a_run_is_stored_as_cycling_and_can_be_set_back(tmp_path: Path, cli) -> None:
    """20 km in 47 min (7.1 m/s) with no cadence, in a file that says running: no one runs that, so it is a ride,
    said on the import line, kept as a correction of the file's sport — and `activity set --sport` can change it."""
    ride = track_from_segments([(20_000.0, 0.0)], speed=20_000 / 2820, cadence=None, seed=2)
    result = import_one(cli, write(tmp_path / "ride.fit", write_activity(None, ride, sport="running")))
    assert result["status"] == "imported", result
    assert "taken as cycling" in result["detail"] and "26 km/h on average" in result["detail"]
    [row] = stored(cli)
    assert (row["sport"], row["file_sport"], row["excluded"]) == ("cycling", "running", False)
    assert cli("activity", "set", str(row["id"]), "--sport", "running").exit_code == 0
    assert stored(cli)[0]["sport"] == "running"


def test_a_car_trip_in_an_untagged_gpx_is_a_motor_vehicle_stored_excluded(tmp_path: Path, cli) -> None:
    """25 m/s for 20 minutes in a GPX that names no sport: faster than any bike — stored, excluded, and said so."""
    car = track_from_segments([(30_000.0, 0.0)], speed=25.0, cadence=None, heart_rate=None)
    result = import_one(cli, write(tmp_path / "car.gpx", gpx(car, sport=None)))
    assert result["status"] == "imported", result
    assert "motor vehicle" in result["detail"] and "90 km/h on average" in result["detail"]
    [row] = stored(cli)
    assert (row["sport"], row["excluded"]) == ("driving", True)
    assert cli("activity", "include", str(row["id"])).exit_code == 0
    assert stored(cli)[0]["excluded"] is False


def test_a_real_fast_run_is_left_a_run(tmp_path: Path, cli) -> None:
    """A 3:10 /km 10 km (5.3 m/s) with a running cadence stays running: inference is for speeds no runner has."""
    fast = track_from_segments([(10_000.0, 0.0)], speed=5.3, cadence=92.0, seed=4)
    result = import_one(cli, write(tmp_path / "fast.fit", write_activity(None, fast)))
    assert result["status"] == "imported" and "taken as" not in result["detail"]
    assert stored(cli)[0]["sport"] == "running"


def test_glitch_jumps_are_never_a_time_shift_that_moves_the_start(tmp_path: Path, cli) -> None:
    """The run holding the session's start keeps its clock: the stored start is the file's, whichever part jumped."""
    data = write_activity(None, TEN_KM)
    first = records_with(data, TIMESTAMP)[:50]
    jumped = patch_many(data, [(m, TIMESTAMP, raw_value(data, m, TIMESTAMP) - TWO_YEARS_S) for m in first])
    assert import_one(cli, write(tmp_path / "early.fit", jumped))["status"] == "imported"
    [run] = stored(cli)
    assert run["start_utc"] == "2024-05-04T07:30:00Z"  # fitgen's start: the session's, not two years before
    assert run["elapsed_s"] == pytest.approx(3333.0, abs=2.0)


def test_a_sport_from_stravas_listing_is_never_second_guessed(tmp_path: Path, cli) -> None:
    """PRODUCT.md: a Strava `activities.csv` type wins over inference. The same 8 m/s track that an untagged GPX
    would make a ride stays what the runner's listing says (a run) — and a run at 8 m/s is impossible, so it fails
    with that reason rather than be quietly stored as cycling."""
    import zipfile

    fast = track_from_segments([(8_000.0, 0.0)], speed=8.0, cadence=None, heart_rate=None)
    listing = (
        "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Filename\n"
        '1,"May 4, 2024",Tempo,Run,,1000,8.0,activities/1.gpx\n'
    )
    export = tmp_path / "export_1.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("activities.csv", listing)
        archive.writestr("activities/1.gpx", gpx(fast, sport=None))
    [only] = json.loads(cli("import", str(export), "--json").stdout)["files"]
    assert only["status"] == "failed" and "faster than anyone moves on foot" in only["detail"]
    untagged = import_one(cli, write(tmp_path / "same.gpx", gpx(fast, sport=None)))
    assert untagged["status"] == "imported" and "taken as cycling" in untagged["detail"]


def test_a_run_averaging_8_m_s_is_a_ride_whatever_its_cadence_says(tmp_path: Path, cli) -> None:
    """PRODUCT.md: a "run" averaging 7-15 m/s is stored as cycling — a cadence sensor reading 85 per foot (170
    steps/min) does not make 8 m/s a run (issue 21 asked for "no running cadence" too; PRODUCT.md wins)."""
    ride = track_from_segments([(16_000.0, 0.0)], speed=8.0, cadence=85.0, seed=6)
    result = import_one(cli, write(tmp_path / "ride.fit", write_activity(None, ride, sport="running")))
    assert result["status"] == "imported" and "taken as cycling" in result["detail"], result
    assert stored(cli)[0]["sport"] == "cycling"
