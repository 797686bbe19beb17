"""The next 7 days' plan (advisor.domain.advice.plan) as a physio would check it, on histories built by hand.

Pure: `assess` on built runs and pain, then `week_plan`; no database. Each expectation is worked out from the
history the test builds (the comments say how), never copied from the code's output.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from scenarios import DEFAULTS, PROFILE, pain, run

from advisor.domain.advice.plan import PlanDay, week_plan
from advisor.domain.advice.report import KneeReport, assess
from advisor.domain.risk.aggregates import METRES_PER_MILE
from advisor.domain.risk.model import Profile

MON = date(2026, 3, 2)
D = timedelta(days=1)
WEEKS = 8
LAST_RUN = MON + (7 * WEEKS - 1) * D  # the Sunday of the 8th week
FOUR_BY_EIGHT = [run(MON + (7 * w + d) * D, 8) for w in range(WEEKS) for d in (0, 2, 4, 6)]
"""8 km on Monday, Wednesday, Friday and Sunday for 8 weeks: a steady 32 km week, no pain ever."""


def report_on(as_of: date, runs=FOUR_BY_EIGHT, pains=(), profile: Profile = PROFILE) -> KneeReport:
    return assess([r for r in runs if r.start_utc.date() <= as_of], pains, [], profile, DEFAULTS, as_of)


def running_days(plan: list[PlanDay]) -> list[int]:
    """The days (0-6) with a run planned or already done."""
    return [k for k, d in enumerate(plan) if d.running.kind in ("run", "done")]


@pytest.mark.parametrize("offset", range(7))
def test_build_4_by_8_km_keeps_every_cap_and_no_back_to_back_long_runs(offset: int) -> None:
    # Any 7 days of the Mon/Wed/Fri/Sun pattern hold 4 runs: the last 7 days and the usual week are 32 km; no pain
    # in 12 weeks steps up 10 %: weekly cap 35.2 km. Longest recent run 8 km: next-run cap 8.8 km. One rest day.
    as_of = LAST_RUN - 6 * D + offset * D  # each day of the 8th week
    report = report_on(as_of)
    assert report.phase.code == "build"
    assert (report.caps.weekly_distance_m, report.caps.next_run_m, report.caps.rest_days) == (35200.0, 8800.0, 1)
    plan = week_plan(report)
    assert [d.day for d in plan] == [as_of + k * D for k in range(7)]
    today = plan[0].running
    assert (today.kind, today.reason, today.max_run_m) == (
        report.today.kind,
        report.today.message,
        report.today.max_run_m,
    )
    caps = [d.running.max_run_m for d in plan if d.running.kind == "run"]
    assert all(c is not None and c <= 8800.0 for c in caps)
    assert sum(caps) <= 35200.0  # a ceiling: today's run (when still to do) counts in it
    assert 7 - len(running_days(plan)) >= 1  # at least the one rest day
    assert len(running_days(plan)) == 4  # 35.2 km at 8.8 km a run: 4 runs, as in the runner's usual week
    for k in range(1, 7):  # the day after a long run (more than half the cap), at most half of it
        before, day = plan[k - 1].running, plan[k].running
        if day.kind == "run" and before.kind in ("run", "done"):
            longest = before.max_run_m if before.kind == "run" else 8800.0  # a run done today counts as long
            if longest is not None and longest > 4400.0:
                assert day.max_run_m is not None and day.max_run_m <= longest / 2
    rest = [d for d in plan if d.running.kind == "rest"]
    assert all("rest" in d.running.reason.lower() for d in rest)
    assert any("a ceiling, not a target" in d.running.reason for d in plan[1:] if d.running.kind == "run")


def test_build_runs_spread_when_today_is_a_run() -> None:
    # The 8th week's Wednesday before its run: the last 7 days hold Friday, Sunday and Monday (24 km), a light week
    # raised to the usual 32 km (no pain), + 10 %: 35.2 km; today up to 8.8 km, then 26.4 km left for 3 more runs
    # of 8.8 km, spread over the 6 days so none touch: Friday, Sunday and Tuesday (days 2, 4 and 6).
    wednesday = LAST_RUN - 4 * D
    runs = [r for r in FOUR_BY_EIGHT if r.start_utc.date() != wednesday]
    report = report_on(wednesday, runs)
    assert report.caps.weekly_distance_m == 35200.0
    plan = week_plan(report)
    assert plan[0].running.kind == "run" and plan[0].running.max_run_m == 8800.0
    assert running_days(plan) == [0, 2, 4, 6]
    assert [plan[k].running.max_run_m for k in (2, 4, 6)] == [8800.0, 8800.0, 8800.0]
    assert plan[1].running.summary == "Rest day"  # the rest day right after a run


def test_return_after_a_break_runs_every_other_day_within_the_week() -> None:
    # 8 weeks of 4 × 8 km, then no run for 20 days (a break after 14), then 4 km: Return at 50 % of the usual
    # 32 km week = 16 km, each run at most a third of it (5.333 km; 1.1 × 8 km would allow more).
    first = LAST_RUN + 20 * D
    runs = [*FOUR_BY_EIGHT, run(first, 4)]
    for as_of in (first, first + D, first + 2 * D):
        report = report_on(as_of, runs)
        assert report.phase.code == "return"
        r = report.return_to_run
        assert r is not None and r.cap_m == 16000.0 and r.next_run_m == pytest.approx(5333.0, abs=1)
        plan = week_plan(report)
        days = running_days(plan)
        assert all(b - a >= 2 for a, b in pairwise(days)), days  # every other day at most
        assert all(d.running.max_run_m <= r.next_run_m for d in plan if d.running.kind == "run")
        assert r.week_ends is not None
        in_week = [d.running.max_run_m for d in plan if d.running.kind == "run" and d.day <= r.week_ends]
        assert sum(in_week) <= r.left_m  # 16 km less the 4 km run on its first day: 12 km at most
        assert r.left_m == 12000.0
        ends = [d for d in plan if any(i.kind == "review" for i in d.items)]
        assert [d.day for d in ends] == ([r.week_ends] if r.week_ends <= as_of + 6 * D else [])


def test_settle_plans_no_running_and_names_the_day_it_can_end() -> None:
    # A 6/10 after Sunday's run is not settled (5/10 or more): Settle, no running, until 7 days with no new pain
    # (the next Sunday) or two calm mornings.
    pains = [pain(LAST_RUN, 6, "after")]
    as_of = LAST_RUN + 2 * D
    report = report_on(as_of, pains=pains)
    assert report.phase.code == "settle"
    plan = week_plan(report)
    assert running_days(plan) == []
    assert {d.running.kind for d in plan} == {"cross_train"}
    review = [(d.day, i.summary) for d in plan for i in d.items if i.kind == "review"]
    assert review == [(LAST_RUN + 7 * D, "Re-assessment")]
    assert report.phase.review_on == LAST_RUN + 7 * D


def test_paused_plans_no_running_only_the_clinicians_exercises() -> None:
    # Swelling reported on Sunday: Paused for 14 days (to the Sunday two weeks on), then a check with none of the
    # signs can restart running. On day 10 that day is in the 7 days planned.
    pains = [pain(LAST_RUN, 3, "after", swelling=True)]
    as_of = LAST_RUN + 10 * D
    report = report_on(as_of, pains=pains)
    assert report.phase.code == "paused"
    plan = week_plan(report)
    assert running_days(plan) == []
    assert {d.running.kind for d in plan} == {"rest"}
    kinds = {i.kind for d in plan for i in d.items}
    assert "mobility" not in kinds  # while paused: the clinician's exercises, or step 1's hip moves, nothing else
    assert all("clinician" in i.summary for d in plan for i in d.items if i.kind == "strength")
    assert [d.day for d in plan for i in d.items if i.kind == "review"] == [LAST_RUN + 14 * D]
    assert any(i.kind == "referral" for i in plan[0].items)  # the referral stands on today


def test_strength_sessions_are_the_weeks_left_every_other_day_and_mobility_daily() -> None:
    # Monday: 3 strength sessions to do this ISO week, none logged: Tuesday, Thursday, Saturday; mobility daily.
    monday = LAST_RUN + D
    plan = week_plan(report_on(monday))
    strength = [k for k, d in enumerate(plan) if any(i.kind == "strength" for i in d.items)]
    assert strength == [1, 3, 5]
    assert all(any(i.kind == "mobility" for i in d.items) for d in plan)


def test_miles_round_down_to_a_tenth_of_a_mile() -> None:
    # The same 4 × 8 km runner in miles: 8.8 km = 5.468 mi, planned as "up to 5.4 mi".
    wednesday = LAST_RUN - 4 * D
    runs = [r for r in FOUR_BY_EIGHT if r.start_utc.date() != wednesday]
    plan = week_plan(report_on(wednesday, runs, profile=Profile(units="mi")), units="mi")
    later = [d.running for d in plan[1:] if d.running.kind == "run"]
    assert later and all(r.summary == "Run up to 5.4 mi easy" for r in later)
    assert all(r.max_run_m == pytest.approx(5.4 * METRES_PER_MILE) for r in later)


def test_return_after_settle_starts_with_the_readiness_check() -> None:
    # A 6/10 after Sunday's 8 km: Settle; 1/10 on Tuesday and Wednesday mornings ends it on Wednesday: Return.
    # Its reference is the 32 km usual week, but at most 0.9 × the 32 km week that hurt = 28.8 km; level 50 %:
    # 14.4 km, runs of at most a third of it, 4.8 km. No run yet: the check comes before the first one (today).
    pains = [pain(LAST_RUN, 6, "after"), pain(LAST_RUN + 2 * D, 1, "morning"), pain(LAST_RUN + 3 * D, 1, "morning")]
    as_of = LAST_RUN + 3 * D
    report = report_on(as_of, pains=pains)
    r = report.return_to_run
    assert report.phase.code == "return" and r is not None and r.cause == "settle"
    assert (r.cap_m, r.next_run_m, r.week_ends) == (14400.0, 4800.0, None)
    plan = week_plan(report)
    days = running_days(plan)
    assert days and all(b - a >= 2 for a, b in pairwise(days))
    ready = [k for k, d in enumerate(plan) for i in d.items if i.summary == "Readiness check before running"]
    assert ready == [days[0]]
    assert sum(d.running.max_run_m or 0.0 for d in plan if d.running.kind == "run") <= 14400.0
