"""`advisor data export` (issue 19 item 4): everything the runner stored, in one zip they can open.

Checked against what the test stored, read back from the zip as a person would (JSON, CSV): every activity with
its distance, the pain log with its note and signs, the rehab sessions, the assessment, the stairs, the profile;
the inbox's imported files as they were; an existing file is never overwritten, and the zip is the owner's alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fitgen import track_from_segments, write_activity

from advisor.config import load_settings


def test_the_export_holds_everything_stored(cli, isolated_home: Path, tmp_path: Path) -> None:
    today = load_settings().today()
    runs = tmp_path / "runs"
    runs.mkdir()
    for back, km in ((3, 5.0), (2, 7.5)):
        day = today - timedelta(days=back)
        points = track_from_segments([(km * 1000, 0.0)], speed=3.0, interval_s=5.0, seed=back)
        write_activity(runs / f"{back}.fit", points, start=datetime(day.year, day.month, day.day, 6, tzinfo=UTC))
    assert cli("import", str(runs / "3.fit")).exit_code == 0
    inbox = isolated_home / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "watch.fit").write_bytes((runs / "2.fit").read_bytes())
    an_hour_ago = datetime.now(UTC).timestamp() - 3600
    os.utime(inbox / "watch.fit", (an_hour_ago, an_hour_ago))  # settled: copied an hour ago
    assert cli("daemon", "run", "inbox").exit_code == 0, "the inbox files it under processed/"
    assert (
        cli("pain", "log", "--score", "4", "--date", "-2", "--swelling", "--note", "stairs, then a hill").exit_code == 0
    )
    assert cli("pain", "assessed", "--cleared", "--note", "physio: fine").exit_code == 0
    assert cli("rehab", "log", "--strength", "--pain", "1").exit_code == 0
    assert cli("stairs", "log", "--floors", "12", "--date", "yesterday").exit_code == 0
    assert cli("profile", "set", "--units", "mi").exit_code == 0

    out = tmp_path / "mine.zip"
    result = cli("data", "export", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "2 activities, 1 pain" in result.stdout and "1 originals" in result.stdout
    assert out.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {"README.txt", "activities.json", "activities.csv", "pain.csv", "rehab.csv", "stairs.csv"} <= names
        activities = json.loads(archive.read("activities.json"))["activities"]
        assert sorted(round(a["distance_m"] / 1000, 1) for a in activities) == [5.0, 7.5]
        rows = list(csv.DictReader(io.StringIO(archive.read("activities.csv").decode())))
        assert len(rows) == 2 and {"id", "distance_m", "sport"} <= set(rows[0])
        [pain] = list(csv.DictReader(io.StringIO(archive.read("pain.csv").decode())))
        assert (pain["score"], pain["swelling"], pain["note"]) == ("4", "True", "stairs, then a hill")
        assert pain["date"] == (today - timedelta(days=2)).isoformat()
        [rehab] = list(csv.DictReader(io.StringIO(archive.read("rehab.csv").decode())))
        assert rehab["strength"] == "True" and rehab["pain"] == "1"
        [assessed] = list(csv.DictReader(io.StringIO(archive.read("assessments.csv").decode())))
        assert assessed["cleared"] == "True" and assessed["note"] == "physio: fine"
        [stairs] = list(csv.DictReader(io.StringIO(archive.read("stairs.csv").decode())))
        assert float(stairs["floors_down"]) == 12.0 and stairs["source"] == "manual"
        assert json.loads(archive.read("profile.json"))["profile"]["units"] == "mi"
        files = list(csv.DictReader(io.StringIO(archive.read("files.csv").decode())))
        assert {f["sha256"] for f in files} == {
            hashlib.sha256((runs / n).read_bytes()).hexdigest() for n in ("3.fit", "2.fit")
        }
        [original] = [n for n in names if n.startswith("originals/")]
        digest = hashlib.sha256(archive.read(original)).hexdigest()
        assert digest == hashlib.sha256((runs / "2.fit").read_bytes()).hexdigest(), "the file as it was imported"

    again = cli("data", "export", "--out", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr
    wrong = cli("data", "export", "--out", str(tmp_path / "mine.txt"))
    assert wrong.exit_code == 2 and "should end in .zip" in wrong.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".advisor-export-")] == []
