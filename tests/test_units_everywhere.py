"""A runner in miles reads miles and feet on every terminal page (issue 19 item 3): status (short and full), the
activities list and one activity, the pain and rehab logs, and a coach's list. `--json` stays SI plus km."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity

from advisor.config import load_settings

KM_FIGURE = re.compile(r"\d\s?km\b|/km\b|km/h|\bkm\b")
METRE_FIGURE = re.compile(r"\d\s?m\b(?!/)|\bdescent m\b")


@pytest.fixture
def miler(cli, isolated_home: Path, monkeypatch: pytest.MonkeyPatch):
    """Five weeks of hilly runs, a painful one, in miles."""
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", "mi")
    monkeypatch.setenv("COLUMNS", "100")
    today = load_settings().today()
    folder = isolated_home.parent / "runs"
    folder.mkdir()
    for back in range(35, 0, -2):
        day = today - timedelta(days=back)
        points = track_from_segments([(3000.0, 0.03), (3000.0, -0.05)], speed=3.0, interval_s=5.0, seed=back)
        write_activity(folder / f"{back}.fit", points, start=datetime(day.year, day.month, day.day, 6, tzinfo=UTC))
    assert cli("import", str(folder)).exit_code == 0
    assert cli("pain", "log", "--score", "4", "--date", "-3").exit_code == 0
    assert cli("rehab", "log", "--date", "-2").exit_code == 0
    return cli


def test_every_terminal_page_of_a_runner_in_miles_speaks_miles_and_feet(miler) -> None:
    first = json.loads(miler("activities", "--json").stdout)["activities"][0]["id"]
    pages = {
        "status": miler("status"),
        "status --full": miler("status", "--full"),
        "activities": miler("activities"),
        "activity show": miler("activity", "show", str(first)),
        "pain list": miler("pain", "list"),
        "rehab list": miler("rehab", "list"),
        "team status": miler("team", "status"),
    }
    for name, page in pages.items():
        assert page.exit_code == 0, (name, page.stderr)
        text = page.stdout.split("Sources")[0]  # the sources cite studies in their own units
        assert not KM_FIGURE.search(text), f"{name}: {KM_FIGURE.search(text)!r}\n{text}"
        assert not METRE_FIGURE.search(text), f"{name}: {METRE_FIGURE.search(text)!r}\n{text}"
    assert " mi" in pages["status"].stdout and " ft" in pages["activity show"].stdout
    assert "descent ft" in pages["status --full"].stdout
    assert json.loads(miler("status", "--json").stdout)["caps"]["weekly_distance_m"] > 0, "--json stays SI"
