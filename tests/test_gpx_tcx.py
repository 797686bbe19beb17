"""GPX and TCX through the import: real files from gpxpy's, python-tcxparser's and tcxreader's test suites
(tests/data, see its INDEX.tsv), runs of known truth the tests write, Strava's export, and hostile or broken XML."""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from fitgen import DEFAULT_START, track_from_segments, write_activity
from xmlgen import gpx, tcx, write

DATA = Path(__file__).parent / "data"
LEGS = [(2000.0, 0.0), (1500.0, -0.06), (1500.0, 0.06)]
"""Flat 2 km, 1.5 km at -6 %, 1.5 km at +6 %: 5,000 m, 90 m down and 90 m up, by construction."""


def truth_points():
    return track_from_segments(LEGS, speed=3.0, noise_m=0.3, seed=11)


def results(result) -> dict[str, dict]:
    return {Path(f["name"].split("!")[-1]).name: f for f in json.loads(result.stdout)["files"]}


def stored(cli) -> list[dict]:
    return json.loads(cli("activities", "--json").stdout)["activities"]


@pytest.mark.parametrize("kind", ["gpx-1.1", "gpx-1.0", "tcx", "tcx-without-distance"])
def test_a_run_of_known_truth_is_measured_within_2_percent(tmp_path: Path, cli, kind: str) -> None:
    points = truth_points()
    if kind.startswith("gpx"):
        data = gpx(points, version=kind.removeprefix("gpx-"))
    else:
        data = tcx(points, with_distance=kind == "tcx")
    path = write(tmp_path / f"run.{kind[:3]}", data)
    result = results(cli("import", str(path), "--json"))[path.name]
    assert result["status"] == "imported", result
    [run] = stored(cli)
    assert run["sport"] == "running"
    assert run["distance_m"] == pytest.approx(5000.0, rel=0.02)
    assert run["ascent_m"] == pytest.approx(90.0, rel=0.02)
    assert run["descent_m"] == pytest.approx(90.0, rel=0.02)
    assert run["moving_s"] == pytest.approx(5000.0 / 3.0, rel=0.02)
    assert run["start_utc"] == DEFAULT_START.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind != "gpx-1.0":  # GPX 1.0 has no extensions: no heart rate or cadence
        assert run["avg_heart_rate"] == pytest.approx(150.0)
        assert run["avg_cadence_spm"] == pytest.approx(170.0)  # 85 per foot, doubled as for FIT


@pytest.mark.parametrize("first", ["fit", "tcx"])
def test_the_same_run_as_fit_and_as_tcx_is_one_activity(tmp_path: Path, cli, database_url: str, first: str) -> None:
    points = truth_points()
    fit = tmp_path / "watch.fit"
    write_activity(fit, points)
    other = write(tmp_path / "strava.tcx", tcx(points))
    order = [fit, other] if first == "fit" else [other, fit]
    assert results(cli("import", str(order[0]), "--json"))[order[0].name]["status"] == "imported"
    second = results(cli("import", str(order[1]), "--json"))[order[1].name]
    assert second["status"] == "duplicate" and "same activity as #" in second["detail"]
    assert len(stored(cli)) == 1


def test_strava_bulk_export(tmp_path: Path, cli) -> None:
    """activities.csv names every file; a GPX without <type> takes Strava's type; the FIT keeps its own sport."""
    start = DEFAULT_START
    run_points = truth_points()
    hike_points = track_from_segments([(3000.0, 0.05)], speed=1.2, seed=3)
    listing = (
        "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Filename,"
        "Elapsed Time,Distance\n"
        '1,"May 4, 2024",Lunch Run,Run,,1667,5.0,activities/1.fit.gz,1667,5000\n'
        '2,"May 5, 2024",Up the hill,Hike,,2500,3.0,activities/2.gpx,2500,3000\n'
        '3,"May 6, 2024",Evening jog,Run,,1667,5.0,activities/3.tcx.gz,1667,5000\n'
        '4,"May 7, 2024",Manual entry,Run,,600,2.0,,600,2000\n'
    )
    export = tmp_path / "export_12345.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("activities.csv", listing)
        archive.writestr("activities/1.fit.gz", gzip.compress(write_activity(None, run_points, start=start)))
        archive.writestr("activities/2.gpx", gpx(hike_points, start=start.replace(day=5), sport=None))
        archive.writestr(
            "activities/3.tcx.gz",
            gzip.compress(tcx(run_points, start=start.replace(day=6), sport="Other", leading_space=True)),
        )
        archive.writestr("profile.csv", "name\nRunner\n")
        archive.writestr("media/photo.jpg", b"\xff\xd8\xff")
    outcome = cli("import", str(export), "--json")
    assert outcome.exit_code == 0, outcome.stdout
    files = results(outcome)
    assert set(files) == {"1.fit.gz", "2.gpx", "3.tcx.gz"}  # other members of an archive are passed over
    assert all(f["status"] == "imported" for f in files.values())
    assert "sport hiking from activities.csv (Hike)" in files["2.gpx"]["detail"]
    by_name = {a["name"]: a for a in stored(cli)}
    assert set(by_name) == {"Lunch Run", "Up the hill", "Evening jog"}
    assert by_name["Up the hill"]["sport"] == "hiking"
    assert by_name["Up the hill"]["ascent_m"] == pytest.approx(150.0, rel=0.02)
    assert by_name["Evening jog"]["sport"] == "running"
    assert by_name["Lunch Run"]["sport"] == "running"


def test_a_gpx_without_sport_or_listing_is_taken_as_a_run_and_says_so(tmp_path: Path, cli) -> None:
    path = write(tmp_path / "phone.gpx", gpx(truth_points(), sport=None))
    result = results(cli("import", str(path), "--json"))["phone.gpx"]
    assert result["status"] == "imported"
    assert "the file names no sport: taken as running" in result["detail"]


def test_real_tcx_from_python_tcxparser(tmp_path: Path, cli) -> None:
    """Values python-tcxparser's own tests assert for this file: distance 4,686.31 m (the last trackpoint's
    counter), 1,992.78 s, 379 kcal, max HR 189, start 2012-12-26T21:29:53Z, Sport="Running"."""
    result = results(cli("import", str(DATA / "python-tcxparser" / "test.tcx.gz"), "--json"))["test.tcx.gz"]
    assert result["status"] == "imported", result
    [run] = stored(cli)
    assert run["sport"] == "running" and run["start_utc"] == "2012-12-26T21:29:53Z"
    assert run["distance_m"] == pytest.approx(4686.31, abs=0.5)
    assert run["session"]["timer_s"] == pytest.approx(1992.78)
    assert run["elapsed_s"] == pytest.approx(1992.0)  # 21:29:53 to 22:03:05
    assert 100 < run["ascent_m"] < 160  # tcxparser's raw sum is 153.8 m; smoothing removes some noise


def test_real_gpx_from_gpxpy_and_what_is_skipped(tmp_path: Path, cli) -> None:
    outcome = cli("import", str(DATA / "gpxpy"), "--json")
    assert outcome.exit_code == 0
    files = results(outcome)
    assert files["route.gpx"] == files["route.gpx"] | {
        "status": "skipped",
        "detail": "a route (a planned course), not a recorded track",
    }
    assert files["gpx_with_garmin_extension.gpx"]["detail"] == "no track points"  # waypoints only
    assert files["cerknicko-jezero.gpx"]["status"] == "imported"
    [run] = [a for a in stored(cli) if a["start_utc"].startswith("2010-08-05")]
    assert run["sport"] == "running"  # GPSBabel wrote no <type>
    assert 13_000 < run["distance_m"] < 14_000


def test_real_tcx_with_sport_other_from_tcxreader(tmp_path: Path, cli) -> None:
    """A stand-up paddle session: `Sport="Other"`, lap distance 1,157.51 m in 1,112.3 s."""
    result = results(cli("import", str(DATA / "tcxreader" / "sup_activity_1.tcx.gz"), "--json"))
    assert result["sup_activity_1.tcx.gz"]["status"] == "imported"
    [run] = stored(cli)
    assert run["session"]["distance_m"] == pytest.approx(1157.51)
    assert run["distance_m"] == pytest.approx(1157.51, abs=1.0)


@pytest.mark.parametrize(
    ("name", "data", "status", "detail"),
    [
        ("cut.gpx", gpx(truth_points())[:5000], "failed", "truncated XML"),
        ("bad.tcx", b"<TrainingCenterDatabase><Activities></Activity>", "failed", "malformed XML (mismatched tag"),
        (
            "bomb.gpx",
            b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<gpx version="1.1"><trk><name>&b;</name></trk></gpx>',
            "failed",
            "XML with a document type declaration is refused",
        ),
        ("drawn.gpx", gpx(truth_points(), with_time=False), "skipped", "a track without timestamps"),
        ("notes.kml", b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"></kml>', "skipped", ""),
        ("readme.txt", b"hello", "skipped", "not an activity file"),
        ("empty.tcx", b"", "failed", "empty file"),
    ],
)
def test_broken_hostile_and_foreign_files(
    tmp_path: Path, cli, name: str, data: bytes, status: str, detail: str
) -> None:
    path = write(tmp_path / name, data)
    result = results(cli("import", str(path), "--json"))[name]
    assert result["status"] == status
    assert result["detail"].startswith(detail) and "\n" not in result["detail"]
    assert stored(cli) == []


def test_an_empty_folder_says_so(tmp_path: Path, cli) -> None:
    (tmp_path / "nothing").mkdir()
    outcome = cli("import", str(tmp_path / "nothing"), "--json")
    assert outcome.exit_code == 0
    [only] = json.loads(outcome.stdout)["files"]
    assert only["status"] == "skipped" and only["detail"] == "no activity files found"


def test_a_gps_jump_in_a_gpx_run_is_dropped(tmp_path: Path, cli) -> None:
    """One fix 2 km away for a second (multipath): without the gate the run would gain 4 km."""
    text = gpx(truth_points()).decode()
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if "<trkpt" in line) + 800
    lat = lines[k].split('lat="')[1].split('"')[0]
    lines[k] = lines[k].replace(f'lat="{lat}"', f'lat="{float(lat) + 0.018:.8f}"')
    path = write(tmp_path / "jump.gpx", "\n".join(lines).encode())
    result = results(cli("import", str(path), "--json"))["jump.gpx"]
    assert result["status"] == "imported" and "1 glitched sample dropped" in result["detail"]
    [run] = stored(cli)
    assert run["distance_m"] == pytest.approx(5000.0, rel=0.02)


def test_nan_in_a_tcx_never_reaches_the_store(tmp_path: Path, cli) -> None:
    text = tcx(truth_points()).decode()
    text = re.sub(r"<AltitudeMeters>[^<]*</AltitudeMeters>", "<AltitudeMeters>NaN</AltitudeMeters>", text, count=5)
    text = re.sub(r"<ns3:Speed>[^<]*</ns3:Speed>", "<ns3:Speed>inf</ns3:Speed>", text, count=5)
    stored_ok = write(tmp_path / "nan-samples.tcx", text.encode())
    result = results(cli("import", str(stored_ok), "--json"))["nan-samples.tcx"]
    assert result["status"] == "imported"
    bad_total = tcx(truth_points(), start=DEFAULT_START.replace(day=9)).decode()
    bad_total = bad_total.replace("<Calories>300</Calories>", "<Calories>inf</Calories>")
    path = write(tmp_path / "inf-total.tcx", bad_total.encode())
    result = results(cli("import", str(path), "--json"))["inf-total.tcx"]
    assert result["status"] == "failed" and "total calories is not a finite number" in result["detail"]
    [run] = stored(cli)
    assert json.dumps(run, allow_nan=False)  # raises on NaN/inf anywhere in what was stored


def test_gz_and_zip_of_gpx_in_a_folder(tmp_path: Path, cli) -> None:
    folder = tmp_path / "in"
    write(folder / "a.gpx.gz", gzip.compress(gpx(truth_points())))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("b.tcx", tcx(truth_points(), start=DEFAULT_START.replace(day=8)))
    write(folder / "b.zip", buffer.getvalue())
    files = results(cli("import", str(folder), "--json"))
    assert {n: f["status"] for n, f in files.items()} == {"a.gpx.gz": "imported", "b.tcx": "imported"}


def _gpxpy_reading(data: bytes) -> list[tuple]:
    """The timed track points as gpxpy reads them: the independent reading the stream reader is checked against."""
    import gpxpy

    out = []
    for track in gpxpy.parse(data.decode("utf-8")).tracks:
        for segment in track.segments:
            for p in segment.points:
                if p.time is None:
                    continue
                hr = cad = None
                for extension in p.extensions:
                    for element in extension.iter():
                        key = element.tag.rsplit("}", 1)[-1].lower()
                        hr = int(float(element.text)) if key == "hr" else hr
                        cad = float(element.text) if key == "cad" else cad
                out.append((p.time.timestamp(), p.latitude, p.longitude, p.elevation, hr, cad))
    return out


@pytest.mark.parametrize(
    "source",
    ["cerknicko-jezero.gpx", "around-visnjan-with-car.gpx", "written-1.1", "written-1.0", "written-untimed-tail"],
)
def test_the_stream_reader_reads_every_point_as_gpxpy_does(source: str) -> None:
    """Issue 24: GPX is read as a stream (one `<trkpt>` in memory at a time) instead of through gpxpy's whole
    document; every timed point — time, position, elevation, heart rate, cadence — must come out as gpxpy reads it."""
    from advisor.ingest.decode import decode_activity

    if source.startswith("written"):
        points = truth_points()
        data = gpx(points, version="1.0" if source.endswith("1.0") else "1.1")
        if source.endswith("untimed-tail"):  # a last point with no time: left out by both, and said so
            data = data.replace(b"</trkseg>", b'<trkpt lat="45.1" lon="13.9"><ele>3</ele></trkpt></trkseg>')
    else:
        data = (DATA / "gpxpy" / source).read_bytes()
    ours = decode_activity(data, "run.gpx").records
    mine = list(zip(ours.time_s, ours.latitude_deg, ours.longitude_deg, ours.altitude_m, ours.heart_rate,
                    ours.cadence, strict=True))  # fmt: skip
    theirs = _gpxpy_reading(data)
    assert len(mine) == len(theirs) > 100
    assert mine == theirs  # both read the same text with float() and an ISO 8601 parser: equal, not close
