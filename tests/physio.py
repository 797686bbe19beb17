"""The physio's scenario DSL: training histories written as weeks of km, turned into real FIT files and imported
through the real `advisor` command; pain, rehab, stairs and clinician entries go through the CLI too.

    weeks(MON, 6, [6, 0, 6, 0, 6, 0, 10])   # six Mon..Sun weeks: 6 km Mon/Wed/Fri, 10 km Sunday
    week(MON + 6 * W, [10, 0, 10, 10, 10, 10, 9])

Runs are 3 m/s on the flat (or on `grades`), 176 steps/min (above the low-cadence line), started 07:00 local at
+02:00, recorded every 20 s; their stored distance is exactly the km given (checked with `advisor activities`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity

W = timedelta(weeks=1)
D = timedelta(days=1)
MON = date(2026, 3, 2)  # Monday of 2026-W10; every history starts here unless it says otherwise


@dataclass(frozen=True)
class Run:
    day: date  # the runner's local day
    km: float
    grades: tuple[tuple[float, float], ...] = ()  # (km, grade) segments; () = flat
    cadence: float = 88.0  # per-foot strides/min as a watch stores it: 176 steps/min
    sub_sport: str = "generic"
    altitude: bool = True  # False: no altitude stream at all (treadmill)
    local: time = time(7, 0)
    offset_s: int = 7200
    interval_s: float = 20.0


def week(monday: date, kms: Sequence[float], **kw) -> list[Run]:
    """One Mon..Sun week: kms[i] on monday + i days; 0 is a day off."""
    return [Run(monday + i * D, km, **kw) for i, km in enumerate(kms) if km]


def weeks(monday: date, n: int, kms: Sequence[float], **kw) -> list[Run]:
    return [r for k in range(n) for r in week(monday + k * W, kms, **kw)]


def iso_week(day: date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@cache
def fit_bytes(run: Run) -> bytes:
    segments = [(km * 1000.0, grade) for km, grade in run.grades] or [(run.km * 1000.0, 0.0)]
    points = track_from_segments(segments, speed=3.0, interval_s=run.interval_s, cadence=run.cadence)
    if not run.altitude:
        points = [replace(p, altitude_m=None) for p in points]
    start = datetime.combine(run.day, run.local, UTC) - timedelta(seconds=run.offset_s)
    return write_activity(None, points, start=start, utc_offset_s=run.offset_s, sub_sport=run.sub_sport)


def km(value: float) -> pytest.approx:
    """A distance in km as the metres the report holds (caps round down; FIT distances are quantised)."""
    return pytest.approx(value * 1000.0, abs=60)


class Report(dict):
    """`advisor status --json`, with the contract every report must keep checked on the way in."""

    def codes(self) -> list[str]:
        return [f["code"] for f in self["flags"]]

    def flag(self, code: str) -> dict:
        return next(f for f in self["flags"] if f["code"] == code)

    def advice_codes(self) -> list[str]:
        return [a["code"] for a in self["advice"]]

    def advice(self, code: str) -> dict:
        return next(a for a in self["advice"] if a["code"] == code)

    def referral(self) -> set[str]:
        """The reasons of `see_clinician` (empty when there is none)."""
        if "see_clinician" not in self.advice_codes():
            return set()
        return {r for r in self.advice("see_clinician")["numbers"]["reasons"].split(",") if r}

    def urgent(self) -> bool:
        return bool(self.advice("see_clinician")["numbers"]["urgent"])

    @property
    def caps(self) -> dict:
        return self["caps"]

    def texts(self) -> str:
        return " ".join(item["message"] for item in self["flags"] + self["advice"]).lower()

    def check_contract(self) -> None:
        advice = self.advice_codes()
        if "see_clinician" in advice:
            assert advice[0] == "see_clinician", advice
        messages = [a["message"] for a in self["advice"]]
        assert len(messages) == len(set(messages)), "the same sentence twice"
        rtr = self["return_to_run"]
        if rtr is not None:
            assert self.caps["weekly_distance_m"] == pytest.approx(rtr["cap_m"], abs=1)
            assert self.caps["next_run_m"] <= rtr["cap_m"] / 3 + 1
            assert self.caps["rest_days"] == 3 and "return_to_run" in advice
        if self["paused"]:
            assert self.caps["weekly_distance_m"] is None and self.caps["next_run_m"] is None
            assert not {"cap_weekly_distance", "cap_next_run"} & set(advice) and self["paused_reason"]
        elif self.caps["weekly_distance_m"] is not None and self.caps["next_run_m"] is not None:
            # never a weekly cap the next-run cap and the rest days make unreachable
            days = 7 - self.caps["rest_days"]
            assert self.caps["weekly_distance_m"] <= days * self.caps["next_run_m"] + days


class Athlete:
    """One runner's home and database, driven through the `cli` fixture."""

    def __init__(self, cli, folder: Path) -> None:
        self.cli, self.folder, self.batches = cli, folder, 0

    def run(self, *groups: Run | Iterable[Run]) -> Athlete:
        runs = [r for g in groups for r in ([g] if isinstance(g, Run) else g)]
        batch = self.folder / f"batch{self.batches}"
        self.batches += 1
        batch.mkdir(parents=True)
        for i, r in enumerate(runs):
            (batch / f"{i:05d}-{r.day}.fit").write_bytes(fit_bytes(r))
        result = self.cli("import", str(batch), "--json")
        assert result.exit_code == 0, result.stdout[-2000:] + result.stderr
        assert json.loads(result.stdout)["summary"]["imported"] == len(runs)
        return self

    def cmd(self, *args: str) -> str:
        result = self.cli(*args)
        assert result.exit_code == 0, f"advisor {' '.join(args)}: {result.stderr}"
        return result.stdout

    def pain(self, day: date, score: int, when: str = "after", *flags: str) -> Athlete:
        self.cmd("pain", "log", "--score", str(score), "--when", when, "--date", day.isoformat(), *flags)
        return self

    def scores(self, runs: Iterable[Run], score: int = 1) -> Athlete:
        """An after-run score for every run given (the 24-hour response the tolerance rule needs)."""
        for r in runs:
            self.pain(r.day, score)
        return self

    def rehab(self, day: date, *flags: str) -> Athlete:
        self.cmd("rehab", "log", "--date", day.isoformat(), *flags)
        return self

    def stairs(self, day: date, floors: float) -> Athlete:
        self.cmd("stairs", "log", "--floors", str(floors), "--date", day.isoformat())
        return self

    def assessed(self, day: date, cleared: bool) -> Athlete:
        self.cmd("pain", "assessed", "--date", day.isoformat(), "--cleared" if cleared else "--not-cleared")
        return self

    def status(self, as_of: date) -> Report:
        result = self.cli("status", "--as-of", as_of.isoformat(), "--json")
        assert result.exit_code == 0, result.stderr
        report = Report(json.loads(result.stdout))
        report.check_contract()
        return report

    def activities(self) -> list[dict]:
        return json.loads(self.cmd("activities", "--json"))["activities"]
