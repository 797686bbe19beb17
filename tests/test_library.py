"""`from advisor import Advisor`: the library a script imports gives the very values the CLI prints (issue 20, item 9;
sqlite-utils' lesson), against the real database under test."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday


def test_the_library_gives_what_the_cli_prints(cli, tmp_path: Path) -> None:
    from advisor import Advisor

    folder = tmp_path / "runs"
    folder.mkdir()
    for k in range(6):  # 5 km every fourth day
        write_activity(
            folder / f"run{k}.fit",
            track_from_segments([(5000.0, 0.0)], seed=k),
            start=START + 4 * k * timedelta(days=1),
        )
    as_of = date(2026, 3, 24)
    with Advisor() as advisor:  # ADVISOR_HOME and ADVISOR_DATABASE__URL from the environment, as the CLI reads them
        results = advisor.import_paths([folder])
        entry = advisor.log_pain(3, "after", day=date(2026, 3, 22))
        report = advisor.status(as_of=as_of)
        activities = advisor.activities()
        plan = advisor.plan()
        visit = advisor.visit_report(weeks=4, as_of=as_of)
    assert sorted(r.status for r in results) == ["imported"] * 6
    assert report.model_dump(mode="json") == json.loads(cli("status", "--as-of", as_of.isoformat(), "--json").stdout)
    assert activities == json.loads(cli("activities", "--json").stdout)["activities"]
    assert len(activities) == 6 and activities[0]["distance_m"] == pytest.approx(5000.0, rel=0.01)
    [pain] = json.loads(cli("pain", "list", "--json").stdout)["pain"]
    assert (pain["id"], pain["score"], pain["date"]) == (entry, 3, "2026-03-22")
    today = json.loads(cli("status", "--json").stdout)["today"]
    assert len(plan) == 7 and plan[0].running.reason == today["message"]  # the plan starts with today's advice
    # Four ISO weeks to Tue 24 Mar: from Mon 2 Mar, the runs of 2, 6, 10, 14, 18 and 22 Mar (5 km each).
    assert visit.start == date(2026, 3, 2) and [w.runs for w in visit.weeks] == [2, 2, 2, 0]
    assert visit.weeks[0].distance_m == pytest.approx(10000.0, rel=0.01)


def test_a_bad_setting_is_the_clis_sentence(tmp_path: Path) -> None:
    from advisor import Advisor
    from advisor.errors import ConfigError

    with pytest.raises(ConfigError, match="summary_hour"):
        Advisor(home=tmp_path / "home", schedule={"summary_hour": 30})
