"""One database, three runners: whatever is asked, in whatever order, each athlete's output holds their own data
and none of anybody else's (issue 13, item 4).

Each athlete has recognisable data: activity names and pain notes carrying their tag, runs of a distance no other
athlete runs (so the weekly totals are theirs alone), a pain score of their own. Random (athlete, command) sequences
run in-process through the real command tree, the athlete chosen by `--athlete` or by `ADVISOR_ATHLETE`; the
default athlete, who has no data, must see none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stored import store_runs
from typer.testing import CliRunner

MON = date(2026, 3, 16)
SUMMARY_TODAY = date(2026, 4, 13)  # a Monday: the summary is of 2026-W15, Apr 6-12
AS_OF = date(2026, 4, 12)


@dataclass(frozen=True)
class Runner:
    name: str
    tag: str
    run_km: float
    pain_score: int
    timezone: str

    @property
    def week_m(self) -> str:
        """The weekly total of three runs, in whole metres as `--json` writes it (`21951.0`)."""
        return f"{round(3 * self.run_km * 1000):d}"

    @property
    def run_m(self) -> str:
        return f"{round(self.run_km * 1000):d}"

    def markers(self) -> set[str]:
        return {self.tag, self.week_m, self.run_m}


RUNNERS = (
    Runner("ana", "ANAxqz", 7.317, 2, "Europe/Berlin"),
    Runner("ben", "BENvkw", 11.573, 3, "America/New_York"),
    Runner("cyd", "CYDjfu", 4.931, 1, "UTC"),
)
BY_NAME = {r.name: r for r in RUNNERS}
COMMANDS = ("status", "activities", "pain", "rehab", "summary", "team")


def history(r: Runner) -> list[tuple[date, float]]:
    """Four weeks of three runs (Tuesday, Thursday, Sunday), every one `run_km` long."""
    return [(MON + timedelta(weeks=k, days=d), r.run_km) for k in range(4) for d in (1, 3, 6)]


@pytest.fixture
def clinic(database_url, monkeypatch):
    from advisor.cli import cli_app

    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    app = cli_app()
    runner = CliRunner()

    def invoke(athlete: str | None, *args: str, via_env: bool = False) -> str:
        env = {"ADVISOR_ATHLETE": athlete} if via_env and athlete else {}
        pre = ["--athlete", athlete] if athlete and not via_env else []
        result = runner.invoke(app, [*pre, *args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, (athlete, args, result.stderr)
        return result.stdout

    for r in RUNNERS:
        invoke(None, "athlete", "add", r.name, "--timezone", r.timezone)
        store_runs(database_url, r.name, history(r), activity_name=f"{r.tag} tempo")
        invoke(r.name, "pain", "log", "--score", str(r.pain_score), "--date", "2026-04-09", "--note", f"{r.tag} knee")
        invoke(r.name, "rehab", "log", "--date", "2026-04-10", "--note", f"{r.tag} bands")
    return invoke


def output(invoke, athlete: str | None, command: str, via_env: bool) -> str:
    if command == "status":
        return invoke(athlete, "status", "--as-of", AS_OF.isoformat(), "--json", via_env=via_env)
    if command == "activities":
        return invoke(athlete, "activities", "--json", via_env=via_env)
    if command == "pain":
        return invoke(athlete, "pain", "list", "--json", via_env=via_env)
    if command == "rehab":
        return invoke(athlete, "rehab", "list", "--json", via_env=via_env)
    if command == "summary":
        return summary(athlete)
    raise AssertionError(command)


def summary(athlete: str | None) -> str:
    """The weekly email's text and HTML parts, built by the same use case the daemon sends from."""
    from advisor.bootstrap import Runtime
    from advisor.config import load_settings
    from advisor.render.summary import render_html, render_text
    from advisor.services.summary import build_summary

    rt = Runtime.for_athlete(load_settings(), athlete)
    try:
        return build_summary(rt, lambda view: render_text(view) + render_html(view), today=SUMMARY_TODAY)  # type: ignore[arg-type, return-value]
    finally:
        rt.close()


# What each command must show of the athlete's own data (the rest of their markers may or may not appear in it).
OWN = {
    "status": lambda r: {r.week_m},
    "activities": lambda r: {r.tag, r.run_m},
    "pain": lambda r: {r.tag},
    "rehab": lambda r: {r.tag},
    "summary": lambda r: {r.tag},
}


def check_team_line(invoke, athlete: str | None, via_env: bool) -> None:
    """`team status` lists everyone, whoever asks; each line must carry that athlete's own numbers only."""
    document = json.loads(invoke(athlete, "team", "status", "--as-of", AS_OF.isoformat(), "--json", via_env=via_env))
    lines = {line["name"]: line for line in document["athletes"]}
    assert set(lines) == {"default", *BY_NAME}
    for name, line in lines.items():
        text = json.dumps(line)
        own = BY_NAME.get(name)
        others = set().union(*(r.markers() for r in RUNNERS if r is not own))
        assert not {m for m in others if m in text}, (name, line)
        if own is None:
            assert line["week_distance_m"] == 0 and line["last_pain_score"] is None
        else:
            assert f"{line['week_distance_m']:.0f}" == own.week_m
            assert (line["last_pain_score"], line["last_pain_date"]) == (own.pain_score, "2026-04-09")


def test_each_athlete_sees_only_their_own_data(clinic):
    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        st.lists(
            st.tuples(st.sampled_from([*BY_NAME, None]), st.sampled_from(COMMANDS), st.booleans()),
            min_size=1,
            max_size=5,
        )
    )
    def check(steps: list[tuple[str | None, str, bool]]) -> None:
        for athlete, command, via_env in steps:
            if command == "team":
                check_team_line(clinic, athlete, via_env)
                continue
            out = output(clinic, athlete, command, via_env)
            own = BY_NAME.get(athlete) if athlete else None
            others = set().union(*(r.markers() for r in RUNNERS if r is not own))
            leaked = {m for m in others if m in out}
            assert not leaked, f"{athlete or 'default'} {command} shows {leaked}"
            if own is not None:
                missing = {m for m in OWN[command](own) if m not in out}
                assert not missing, f"{athlete} {command} lacks {missing}"

    check()
