"""Real FIT files with CRC-valid glitches (a distance counter at 42,950 km, a clock a century ahead, a session total
nobody could run): what is stored, and what fails with a reason. The files are real samples from the corpus,
mutated field by field with `fitpatch` and given a correct CRC, so the decoders accept them as devices' files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from corpus import corpus_dir, requires_corpus
from fitpatch import (
    RECORD_DISTANCE,
    SESSION,
    SESSION_TOTAL_DISTANCE,
    TIMESTAMP,
    data_messages,
    patch,
    patch_many,
    raw_value,
    records_with,
)

pytestmark = requires_corpus

SAMPLE = "python-fitparse/activity-small-fenix2-run.fit"
"""A fēnix 2 run: 2,809 one-second records, distance counter, barometric altitude, heart rate, cadence."""
GLITCH = 0xFFFFFFF0
"""Near the top of a uint32: 42,949,672.8 m as a distance, the year 2126 as a FIT timestamp."""


def original() -> bytes:
    root = corpus_dir()
    assert root is not None
    return (root / SAMPLE).read_bytes()


def import_one(cli, path: Path) -> dict:
    result = cli("import", str(path), "--json")
    files = json.loads(result.stdout)["files"]
    assert len(files) == 1
    return files[0] | {"exit_code": result.exit_code}


def stored(cli) -> list[dict]:
    return json.loads(cli("activities", "--json").stdout)["activities"]


def all_numbers_finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_numbers_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(all_numbers_finite(v) for v in value)
    return True


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The unmutated file's stored metrics, from a database of its own (SQLite)."""
    from typer.testing import CliRunner

    from advisor.cli import cli_app

    app = cli_app()  # every group registered: `activities` lives in its own module
    folder = tmp_path_factory.mktemp("clean")
    (folder / "run.fit").write_bytes(original())
    env = {"ADVISOR_HOME": str(folder / "home")}
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(folder / "run.fit"), "--json"], env=env)
    assert imported.exit_code == 0
    [run] = json.loads(runner.invoke(app, ["activities", "--json"], env=env).stdout)["activities"]
    assert 5_000 < run["distance_m"] < 10_000  # a real run of a few km, so the comparisons below mean something
    detail = json.loads(imported.stdout)["files"][0]["detail"]
    run["dropped"] = int(detail.split("; ")[-1].split()[0]) if "glitched" in detail else 0
    return run


def test_a_distance_counter_at_42950_km_is_one_dropped_sample(tmp_path: Path, cli, clean_run: dict) -> None:
    data = original()
    middle = records_with(data, RECORD_DISTANCE)[1400]
    (tmp_path / "glitch.fit").write_bytes(patch(data, middle, RECORD_DISTANCE, GLITCH))
    result = import_one(cli, tmp_path / "glitch.fit")
    assert result["status"] == "imported" and result["exit_code"] == 0
    assert f"{clean_run['dropped'] + 1} glitched samples dropped" in result["detail"]
    [run] = stored(cli)
    assert run["distance_m"] == pytest.approx(clean_run["distance_m"], abs=15.0)  # one 1 s step lost at most
    assert run["moving_s"] == pytest.approx(clean_run["moving_s"], abs=3.0)
    assert all_numbers_finite(run)


def test_a_counter_that_jumps_and_carries_on_loses_only_the_jump(tmp_path: Path, cli, clean_run: dict) -> None:
    """From record 1,400 on, every distance is 5 km higher (a counter that skipped and kept counting)."""
    data = original()
    later = records_with(data, RECORD_DISTANCE)[1400:]
    changes = [(m, RECORD_DISTANCE, raw_value(data, m, RECORD_DISTANCE) + 500_000) for m in later]  # centimetres
    (tmp_path / "jump.fit").write_bytes(patch_many(data, changes))
    result = import_one(cli, tmp_path / "jump.fit")
    assert result["status"] == "imported"
    [run] = stored(cli)
    assert run["distance_m"] == pytest.approx(clean_run["distance_m"], abs=15.0)


def test_a_counter_ten_times_too_fast_throughout_is_impossible_and_fails(tmp_path: Path, cli) -> None:
    data = original()
    every = records_with(data, RECORD_DISTANCE)
    changes = [(m, RECORD_DISTANCE, raw_value(data, m, RECORD_DISTANCE) * 10) for m in every]
    (tmp_path / "scaled.fit").write_bytes(patch_many(data, changes))
    result = import_one(cli, tmp_path / "scaled.fit")
    assert result["status"] == "failed" and result["exit_code"] == 1
    assert (
        result["detail"].startswith("impossible values: ") and "of its 2,809 samples are glitches" in result["detail"]
    )
    assert stored(cli) == []


def test_a_lone_timestamp_a_century_ahead_is_dropped(tmp_path: Path, cli, clean_run: dict) -> None:
    data = original()
    middle = records_with(data, TIMESTAMP)[1400]
    (tmp_path / "clock.fit").write_bytes(patch(data, middle, TIMESTAMP, GLITCH))
    result = import_one(cli, tmp_path / "clock.fit")
    assert result["status"] == "imported", result
    [run] = stored(cli)
    assert run["elapsed_s"] == clean_run["elapsed_s"]
    assert run["distance_m"] == pytest.approx(clean_run["distance_m"], abs=15.0)


def test_a_last_timestamp_in_2126_is_a_clock_jump_put_back_in_line(tmp_path: Path, cli, clean_run: dict) -> None:
    """Issue 21: a clock jump is judged against the session's own elapsed time (47 min), not against one sample:
    the last record 108 years ahead is put back at the usual 1-second interval, and the run is the run."""
    data = original()
    last = records_with(data, TIMESTAMP)[-1]
    (tmp_path / "late.fit").write_bytes(patch(data, last, TIMESTAMP, GLITCH))
    result = import_one(cli, tmp_path / "late.fit")
    assert result["status"] == "imported", result
    [run] = stored(cli)
    assert run["elapsed_s"] == pytest.approx(clean_run["elapsed_s"], abs=2.0)
    assert run["distance_m"] == pytest.approx(clean_run["distance_m"], abs=15.0)


def test_an_impossible_session_total_is_not_stored_as_the_files_own(tmp_path: Path, cli) -> None:
    """The session says 42,949.67 km: the file fails with that reason rather than keep or quietly replace it."""
    data = original()
    [session] = [m for m in data_messages(data) if m.global_num == SESSION]
    (tmp_path / "session.fit").write_bytes(patch(data, session, SESSION_TOTAL_DISTANCE, GLITCH))
    result = import_one(cli, tmp_path / "session.fit")
    assert result["status"] == "failed"
    assert "the file's own session says 42,949.67 km" in result["detail"]
    assert stored(cli) == []
