"""The physio's scenario table: training histories a physio would recognise, each named as what they would say.

Every history goes in as FIT files through `advisor import` and comes out of `advisor status --as-of D --json`.
The expected numbers are worked out by hand from PRODUCT.md (arithmetic in the comments; W = a Mon..Sun week,
"usual" = the 28 days before the last 7 divided by 4). Scenarios run on SQLite only: the parametrisation would
double the runtime and the rules are the same on PostgreSQL (the store tests cover both).
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from physio import MON, Athlete, D, Run, W, iso_week, km, week, weeks


@pytest.fixture
def database_url(isolated_home: Path):
    yield f"sqlite:///{isolated_home / 'advisor.db'}"


@pytest.fixture
def athlete(cli, tmp_path: Path) -> Athlete:
    return Athlete(cli, tmp_path / "fit")


STEADY = [6, 0, 6, 0, 6, 0, 10]  # 28 km: 6 km Mon/Wed/Fri, 10 km long run on Sunday


@pytest.mark.parametrize("kind", ["road", "treadmill, flat feet"])
def test_steady_6_6_6_10_weeks_no_spike_next_run_up_to_11km(athlete, kind, monkeypatch) -> None:
    """Steady 6/6/6/10 km weeks for 9 weeks, long run on the as-of Sunday: no flags at all; next run up to 11 km,
    next week up to 30.8 km. On a treadmill (no altitude stream) it is the same ordinary advice."""
    treadmill = kind != "road"
    if treadmill:
        monkeypatch.setenv("ADVISOR_PROFILE__FLAT_FEET", "true")
    athlete.run(weeks(MON, 9, STEADY, sub_sport="treadmill" if treadmill else "generic", altitude=not treadmill))
    assert {(a["sport"], a["sub_sport"]) for a in athlete.activities()} == {
        ("running", "treadmill" if treadmill else "generic")
    }
    r = athlete.status(MON + 9 * W - D)
    # last 7 = 28 = usual (4 × 28 / 4); EWMA steady and 28 is not > 1.1 × 28: no weekly_spike.
    # The first Sunday 10 km (+67 %) was the only spike, 8 weeks ago; every later 10 km equals its baseline.
    assert r["flags"] == []
    assert r.caps["next_run_m"] == km(11.0)  # 1.10 × 10 (the last 30 days' 10 km runs are no spikes)
    assert r.caps["weekly_distance_m"] == km(30.8)  # base 28 (held in [28, 36.4]), no pain ever → 1.10 × 28
    assert r["pain_threshold"]["distance_7d_m"] is None and r.referral() == set()
    assert ("footwear" in r.advice_codes()) == treadmill


def test_the_very_first_10km_after_6km_weeks_is_a_moderate_spike_and_then_the_new_normal(athlete) -> None:
    """6/6/6 km weeks, then the first 10 km Sunday: a moderate session spike (+67 %) — next run no more than
    6.6 km that week. A week later the same 10 km is their normal long run: no spike, next run up to 11 km."""
    athlete.run(weeks(MON, 6, [6, 0, 6, 0, 6, 0, 0]), weeks(MON + 6 * W, 2, STEADY))
    first = athlete.status(MON + 7 * W - D)
    spike = first.flag("session_spike")
    assert spike["severity"] == "caution"  # 10 / 6 = +66.7 %: moderate tier (30-100 %)
    assert first.caps["next_run_m"] == km(6.6)  # 1.10 × 6: the 10 km is itself a spike, so it is no baseline
    # last 7 = 28, usual = 18 → base held at 1.3 × 18 = 23.4; moderate spike in the last 7 days → ≤ 1.1 × 18
    assert first.caps["weekly_distance_m"] == km(19.8)
    after = athlete.status(MON + 8 * W - D)
    assert "session_spike" not in after.codes()  # 10 vs the 10 km of 7 days before: +0 %
    assert after.caps["next_run_m"] == km(11.0)
    # usual = (18 + 18 + 18 + 28) / 4 = 20.5; EWMA ratio (λ 2/8, 2/29, seeded 18/7 a day) = 1.33 > 1.3 and
    # 28 > 1.1 × 20.5 → weekly_spike (caution) still up: cap 1.1 × 20.5 = 22.55 km, not 1.1 × 26.65
    assert after.flag("weekly_spike")["severity"] == "caution"
    assert after.caps["weekly_distance_m"] == km(22.55)


def test_30km_weeks_then_a_59km_week_flag_it_dont_reward_it(athlete) -> None:
    """Six 30 km weeks (3 × 10 km), then 59 km with no run longer than 10 km: weekly spike, and next week's cap
    is 1.1 × the usual 30 = 33 km — not 1.1 × 59."""
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 0]), week(MON + 6 * W, [10, 0, 10, 10, 10, 10, 9]))
    r = athlete.status(MON + 7 * W - D)
    # EWMA acute/chronic (seeded 30/7 a day) = 1.42: caution (> 1.3, ≤ 1.5); 59 > 1.1 × 30
    assert r.flag("weekly_spike")["severity"] == "caution"
    assert "session_spike" not in r.codes()  # nothing longer than the 10 km runs
    # base = 59 held to 1.3 × 30 = 39; step-up 42.9; weekly_spike → ≤ 1.1 × 30 = 33
    assert r.caps["weekly_distance_m"] == km(33.0)
    assert r.caps["next_run_m"] == km(11.0)
    # the hold says until when: with no more running, the last 7 days drop to 49, 49, 39, then 29 ≤ 33 on the
    # Thursday, when Monday to Wednesday's 10 km runs have left them
    assert r.caps["weekly_reason"].endswith("to Thu 23 Apr")


def test_8_days_off_after_a_4_10_back_at_half_the_usual_week_never_step_back_to_40(athlete) -> None:
    """40 km weeks (4 × 10 km), a 4/10 after Monday's 10 km, then 8 days off: not a break yet (14 days) and the pain
    settled, so Build — at half the 40 km usual week, never "step back to 40 km". First pain ever, 4/10 and
    settled (no morning score after it): no referral, and it is 8 days old."""
    pain_day = MON + 6 * W
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 10]), Run(pain_day, 10)).pain(pain_day, 4)
    r = athlete.status(pain_day + 8 * D)
    assert r["phase"]["code"] == "build" and r["return_to_run"] is None
    # usual = the 4 covered weeks before the last 7 = 40 km each; last 7 = 0; a pain event in the last 28 days, so
    # the base is not raised to the usual week but to half of it: 20. The last 7 days are empty (not tolerated) and
    # there was pain in 12 weeks: hold at 20. ≤ 0.9 × 40 = 36. Next run: 1.1 × 10 = 11, ≤ 0.9 × the 10 km
    # single-run threshold = 9; reachable: 9 × min(6, 1 + 4 runs) = 45 ≥ 20
    assert r.caps["weekly_distance_m"] == km(20.0) and r.caps["weekly_basis"] == "hold"
    assert r.caps["next_run_m"] == km(9.0)
    # threshold: 7 days to the event = Wed+Fri+Sun+Mon = 40 km, single run 10 km; the event is 8 days old and the
    # last 7 days (0 km) are below it → no over_pain_threshold, and no pain_reported (not in the last 7 days)
    assert r["pain_threshold"]["distance_7d_m"] == km(40.0) and r["pain_threshold"]["single_run_m"] == km(10.0)
    assert not {"over_pain_threshold", "pain_reported"} & set(r.codes())
    # first event ever, 8 days ago (< 14), but settled (its next morning was never scored as pain) and < 5/10:
    # PRODUCT.md "Referral", new pain — "if it comes back, or is not settled by tomorrow morning", not a referral
    assert r.referral() == set()


FLARE_HISTORY = [*weeks(MON, 4, [6, 0, 6, 0, 6, 0, 8]), *week(MON + 4 * W, [3, 0, 6, 0, 6, 0, 8])]
AFTER_FLARE = weeks(MON + 5 * W, 5, [6, 0, 6, 0, 6, 0, 8])  # five 26 km weeks


def test_one_3_10_flare_after_a_3km_jog_is_outgrown_by_five_pain_free_26km_weeks(athlete) -> None:
    """A 3/10 after a 3 km jog, then five 26 km weeks with every after-run score ≤ 2: the flare no longer sets the
    threshold, and the caps step up from 26 km — not pinned near 2.7 km."""
    athlete.run(FLARE_HISTORY, AFTER_FLARE).pain(MON + 4 * W, 3).scores(FLARE_HISTORY[-3:] + AFTER_FLARE, 1)
    r = athlete.status(MON + 10 * W - D)
    # flare: single run 3 km, 7 days to it = 6+6+8+3 = 23 km, descent 0. Weeks 6..10 are tolerated windows of 26 km
    # with runs up to 8 km: two later non-overlapping ones ≥ 0.9 × 23 = 20.7 km and ≥ 0.9 × 3 = 2.7 km → outgrown
    assert r["pain_threshold"]["distance_7d_m"] is None and r["pain_threshold"]["single_run_m"] is None
    assert r["flags"] == [] and r.referral() == set()
    assert r.caps["weekly_distance_m"] == km(28.6)  # last 7 (26) tolerated → 1.10 × 26
    assert r.caps["next_run_m"] == km(8.8)  # 1.10 × 8


def test_the_same_five_weeks_with_no_pain_logged_silence_is_not_tolerance(athlete) -> None:
    """The same flare and five 26 km weeks, but nothing logged after it: the weeks are unknown, so the cap holds
    (no step-up) and the flare still stands — PRODUCT.md outgrows an event only through tolerated windows, so the
    single-run threshold of 3 km still caps the next run at 2.7 km and the week at what 2.7 km runs can reach."""
    athlete.run(FLARE_HISTORY, AFTER_FLARE).pain(MON + 4 * W, 3)
    r = athlete.status(MON + 10 * W - D)
    assert r["pain_threshold"]["distance_7d_m"] == km(23.0) and r["pain_threshold"]["single_run_m"] == km(3.0)
    # last 7 = 26 ≥ 23, set by an event 6 weeks ago: over the threshold, naming the flare's week (2026-W14)
    assert iso_week(MON + 4 * W) in r.flag("over_pain_threshold")["message"]
    # base 26 (= usual), unknown week after a pain event → hold 26; ≤ 0.9 × 23 = 20.7; next run ≤ 0.9 × 3 = 2.7;
    # running days: 7 − 1 rest day = 6, but no more than 1 + the 4 runs of their weeks = 5 → 5 × 2.7 = 13.5 km
    # reachable → the weekly cap is what those runs can reach, saying why
    assert r.caps["next_run_m"] == km(2.7)
    assert r.caps["weekly_distance_m"] == km(13.5) and r.caps["weekly_basis"] == "reachable"
    assert "5 runs of at most 2.7 km" in r.caps["weekly_reason"]


SWELLING = MON + 6 * W  # a Monday morning; runs are Tue/Thu/Sat/Sun, so no run on the day of the report
BEFORE_SWELLING = weeks(MON, 6, [0, 8, 0, 8, 0, 8, 8])  # 32 km weeks


def test_swelling_3_days_ago_paused_urgent_and_20_days_ago_unassessed_refer_and_restart_gently(athlete) -> None:
    """Swelling reported 3 days ago: running advice paused, see a clinician now, no caps. 20 days ago and never
    assessed: still paused — "get it assessed; no running until you log a check with none of the signs". Once the
    runner logs that check (day 20) the referral stays, not urgent, the red flag still up, and running restarts
    only through return_to_run at half the usual 32 km."""
    athlete.run(BEFORE_SWELLING).pain(SWELLING, 2, "morning", "--swelling")
    soon = athlete.status(SWELLING + 3 * D)
    assert soon["paused"] is True and soon.referral() == {"red_flag"} and soon.urgent()
    assert soon.caps["weekly_distance_m"] is None and soon["return_to_run"] is None
    unchecked = athlete.status(SWELLING + 20 * D)
    assert unchecked["paused"] is True and unchecked["phase"]["code"] == "paused" and not unchecked.urgent()
    assert unchecked["return_to_run"] is None and unchecked.caps["weekly_distance_m"] is None
    athlete.pain(SWELLING + 20 * D, 0, "morning", "--no-red-flags")
    late = athlete.status(SWELLING + 20 * D)
    assert late["paused"] is False and "red_flag" in late.codes() and late["phase"]["code"] == "return"
    assert late.advice_codes()[0] == "see_clinician" and late.referral() == {"red_flag"} and not late.urgent()
    # score 2 is no pain event, no during/after scores → no tolerated level; usual over the 28 days before the
    # report = 4 × 32 / 4 = 32 → week-0 cap 16 km, runs ≤ 16 / 3 = 5.33 km, every other day (3 rest days)
    assert late["return_to_run"]["reference_m"] == km(32.0) and late["return_to_run"]["cap_m"] == km(16.0)


def test_swelling_cleared_by_a_clinician_restart_at_half_and_a_completed_pain_free_week_moves_up_a_level(
    athlete,
) -> None:
    """Swelling, cleared by a clinician 5 days later: no red flag, no referral, Return at 16 km (half the usual 32).
    Three pain-free 5 km runs every other day in that first week complete it: the next level, 60 % = 19.2 km."""
    cleared = SWELLING + 5 * D
    restart = [Run(cleared + k * D, 5) for k in (1, 3, 5)]
    athlete.run(BEFORE_SWELLING, restart).pain(SWELLING, 2, "morning", "--swelling").assessed(cleared, True)
    athlete.scores(restart, 1)
    r = athlete.status(cleared)  # the day of the clearance, before any restart run
    assert "red_flag" not in r.codes() and r.referral() == set() and r["paused"] is False
    assert r["phase"]["code"] == "return" and r["return_to_run"]["week_ends"] is None  # weeks count from run 1
    assert r["return_to_run"]["reference_m"] == km(32.0) and r["return_to_run"]["cap_m"] == km(16.0)
    assert "before the first run, check" in r.advice("return_to_run")["message"].lower()
    nxt = athlete.status(cleared + 7 * D)
    # Return week 1 = cleared+1 .. cleared+7: 3 runs, 15 km ≥ 2/3 × 16 = 10.7 km (completed), all scored 1/10 and
    # no morning events → tolerated → level 60 % of the 32 km reference (set before the swelling, unchanged)
    assert nxt["return_to_run"]["week"] == 1 and nxt["return_to_run"]["level_pct"] == 60
    assert nxt["return_to_run"]["cap_m"] == km(19.2) and nxt["return_to_run"]["reference_m"] == km(32.0)
    # runs ≤ 19.2 / 3 = 6.4 km (≤ 1.1 × the 8 km long runs of the last 30 days); 4 × 6.4 = 25.6 ≥ 19.2
    assert nxt.caps["next_run_m"] == km(6.4)


def test_swelling_not_cleared_stays_paused_waiting_for_a_clearance(athlete) -> None:
    """Swelling, and the clinician did not clear it: running advice stays paused, the report waits for a clearance."""
    athlete.run(BEFORE_SWELLING).pain(SWELLING, 2, "morning", "--swelling").assessed(SWELLING + 5 * D, False)
    r = athlete.status(SWELLING + 6 * D)
    assert r["paused"] is True and "awaiting_clearance" in r.referral()
    assert r.caps["weekly_distance_m"] is None and r.caps["next_run_m"] is None


def test_not_cleared_then_swollen_again_stays_paused_and_tells_the_clinician_the_dates(athlete) -> None:
    """Issue 18, finding 1 (safety). Swelling, 'not cleared' 5 days later, swelling again 6 days after that: the
    runner is still waiting on their clinician, so 14 days and more after the second report there is no restart
    and no cap — 'tell your clinician about the swelling since they saw you (the date)', urgent for 14 days."""
    not_cleared, again = SWELLING + 5 * D, SWELLING + 11 * D
    athlete.run(BEFORE_SWELLING).pain(SWELLING, 2, "morning", "--swelling").assessed(not_cleared, False)
    athlete.pain(again, 2, "morning", "--swelling")
    soon = athlete.status(again + 2 * D)
    assert soon["paused"] is True and soon.referral() == {"awaiting_clearance"} and soon.urgent()
    clinician = soon.advice("see_clinician")["message"]
    assert f"{again:%-d %b}" in clinician and "swelling since they saw you" in clinician
    late = athlete.status(again + 20 * D)  # the old bug: "restart gradually … 15 km" here
    assert late["paused"] is True and late["return_to_run"] is None
    assert late.caps["weekly_distance_m"] is None and late.caps["next_run_m"] is None
    assert late.referral() == {"awaiting_clearance"} and not late.urgent()
    assert "not cleared" in late.flag("red_flag")["message"] and "has not been looked at" not in late.texts()


def test_not_cleared_with_no_red_flag_pauses_running_and_gives_no_caps(athlete) -> None:
    """Issue 18, finding 9: the clinician said not to run, with no red flag logged: running advice pauses (no
    caps beside a 'paused' line); a clearance later starts a graded return."""
    seen, cleared = MON + 6 * W, MON + 6 * W + 10 * D
    athlete.run(BEFORE_SWELLING).assessed(seen, False)
    r = athlete.status(seen + 2 * D)
    assert r["paused"] is True and r.caps["weekly_distance_m"] is None and r.caps["next_run_m"] is None
    assert r.referral() == {"awaiting_clearance"} and "red_flag" not in r.codes()
    athlete.assessed(cleared, True)
    after = athlete.status(cleared)
    # the episode began on the 'not cleared' day: the usual week of the 4 weeks before it = 32 → week 1 at 50 %
    assert after["paused"] is False and after["return_to_run"]["cap_m"] == km(16.0)


def test_a_clearance_answers_the_new_pain_referral(athlete) -> None:
    """Issue 18, finding 9: a first-ever 5/10 (not settled) asks for a check; the check, logged as a clearance,
    answers it — no referral the day after, although the pain is still 'new' by date."""
    sunday = MON + 8 * W - D
    athlete.run(weeks(MON, 8, STEADY)).pain(sunday, 5)
    assert athlete.status(sunday + D).referral() == {"new_pain"}
    athlete.assessed(sunday + 2 * D, True)
    assert athlete.status(sunday + 3 * D).referral() == set()


def test_cleared_and_not_cleared_together_is_refused(athlete) -> None:
    result = athlete.cli("pain", "assessed", "--cleared", "--not-cleared")
    assert result.exit_code == 2 and "exactly one of --cleared or --not-cleared" in result.stderr
    assert athlete.cli("pain", "assessed").exit_code == 2


FORTY = [8, 0, 8, 0, 8, 0, 16]  # 40 km weeks: 8 km Mon/Wed/Fri, 16 km Sunday
DOWNHILL_HALF = ((10.0, 0.0), (11.0, -0.05))  # 21 km, the last 11 km at -5 %


def test_a_5_10_flare_after_a_downhill_half_is_settle_then_a_return(athlete) -> None:
    """Issue 18, finding 2. 40 km weeks, then a downhill half marathon with 5/10 after it, 4/10 and 3/10 on the
    next mornings: no running until it settles (it used to allow 36 km and a 17.6 km long run). Two mornings at
    1/10 end Settle that day, and a graded return begins."""
    half_day = MON + 6 * W + 6 * D  # Sunday of week 6
    athlete.run(weeks(MON, 6, FORTY), week(MON + 6 * W, [8, 0, 8, 0, 0, 0, 0]), Run(half_day, 21, DOWNHILL_HALF))
    athlete.pain(half_day, 5).pain(half_day + D, 4, "morning").pain(half_day + 2 * D, 3, "morning")
    r = athlete.status(half_day + 2 * D)
    assert r["phase"]["code"] == "settle" and r["phase"]["since"] == half_day.isoformat()  # 5/10: known that day
    assert r.caps["weekly_distance_m"] is None and r.caps["next_run_m"] is None and r["return_to_run"] is None
    assert r["today"]["kind"] == "cross_train" and "cross_train" in r.advice_codes()
    assert "two mornings in a row at 2/10 or less" in r["phase"]["exit"]
    athlete.pain(half_day + 3 * D, 1, "morning").pain(half_day + 4 * D, 1, "morning")
    back = athlete.status(half_day + 4 * D)
    assert back["phase"]["code"] == "return" and back["return_to_run"]["cause"] == "settle"
    # reference: the 28 days before the half's day = 3 × 40 + 16 (W6 Mon-Sat) = 136 / 4 = 34 km, and not more than
    # 0.9 × the 37 km (8 + 8 + 21) week that hurt = 33.3 km → week 1 at 50 %: 16.65 km
    assert back["return_to_run"]["reference_m"] == km(33.3) and back["return_to_run"]["cap_m"] == km(16.65)


def test_pain_after_cycling_with_no_runs_is_settle_not_a_restart(athlete) -> None:
    """Issue 18, finding 6. 30 km weeks, then 9 days without a run (cycling instead) and 4/10 after a ride: pain
    the running load does not explain — no running while it settles, no 'restart this week' plan."""
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 0]))  # last run Friday of week 5
    ride_day = MON + 6 * W + 6 * D  # its day and the 6 before it hold no run
    athlete.pain(ride_day, 4)
    r = athlete.status(ride_day + D)
    assert r["phase"]["code"] == "settle" and "without running" in r["phase"]["reason"]
    assert r["return_to_run"] is None and r.caps["weekly_distance_m"] is None
    assert "restart" not in r.texts()


def test_six_weeks_of_pain_without_running_is_referred(athlete) -> None:
    """Issue 18, finding 12. Running stops after six 30 km weeks; a 3/10 morning every week for six weeks with no
    run at all: pain without running in 6 of the last 6 weeks — get it assessed; still no running plan."""
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 0]))
    for k in range(6):
        athlete.pain(MON + (6 + k) * W + 2 * D, 3, "morning")
    r = athlete.status(MON + 12 * W - D)
    assert "pain_without_running" in r.referral()
    assert "in 6 of the last 6 weeks" in r.advice("see_clinician")["message"]
    assert r["phase"]["code"] == "settle" and r["return_to_run"] is None


def test_a_flare_that_has_not_settled_in_14_days_is_referred(athlete) -> None:
    """PRODUCT.md "Referral", not settling: 5/10, then a pain event every few days for two weeks (no calm
    mornings): Settle has lasted 14 days — get it assessed."""
    start = MON + 6 * W
    athlete.run(weeks(MON, 6, FORTY), Run(start, 8)).pain(start, 5)
    for k in (3, 6, 9, 12):
        athlete.pain(start + k * D, 3, "morning")
    r = athlete.status(start + 14 * D)
    assert r["phase"]["code"] == "settle" and "not_settling" in r.referral()
    assert "not_settling" not in athlete.status(start + 13 * D).referral()  # 13 days: not yet


def test_a_pain_free_holiday_return_climbs_a_level_each_completed_week_without_scores(athlete) -> None:
    """Issue 18, finding 5. 40 km weeks and never any pain, 15 days off on holiday, then a return that completes
    each week (runs every other day up to the week's level) and logs no scores: with no pain in the 12 weeks before
    the break, a completed week moves up — week 4 is at 80 %, not still at 50 %."""
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 10]))  # last run Sunday of week 5
    back = MON + 8 * W  # Monday after 15 days without a run; the break was found on the Sunday before
    athlete.run(week(back, [5, 0, 5, 0, 5, 0, 5]), week(back + W, [6, 0, 6, 0, 6, 0, 6]))
    athlete.run(week(back + 2 * W, [7, 0, 7, 0, 7, 0, 7]))
    first = athlete.status(back - D)
    # reference: the 4 weeks before the break began (the day after the last run) = 160 / 4 = 40 → 50 %: 20 km
    assert first["phase"]["code"] == "return" and first["return_to_run"]["cap_m"] == km(20.0)
    r = athlete.status(back + 3 * W - D)
    # weeks 1-3: 20 ≥ 2/3 × 20, 24 ≥ 2/3 × 24, 28 ≥ 2/3 × 28, 4 runs each, no pain → 50 → 60 → 70 → 80 %
    assert r["return_to_run"]["week"] == 3 and r["return_to_run"]["level_pct"] == 80
    # 80 % of 40 = 32 km, but runs ≤ 1.1 × the longest run of the last 30 days (7 km; the 10 km runs are 35 days
    # old) = 7.7 km, and 4 of them reach 30.8 km: the week's cap is what its runs can reach
    assert r.caps["next_run_m"] == km(7.7) and r.caps["weekly_distance_m"] == km(30.8)
    # following the plan is no jump: while Return is open the last 7 days (28 km) are judged against 1.10 × its
    # 40 km reference (44 km), not the usual week the holiday emptied ((24 + 20 + 0 + 0) / 4 = 11 km)


def test_a_return_week_run_to_plan_after_four_weeks_off_is_no_weekly_spike(athlete) -> None:
    """PRODUCT.md `weekly_spike`: while a Return is open, the last 7 days are judged against 1.10 × its reference.
    40 km weeks, four weeks off, then the first Return week run exactly to plan (4 × 5 km = its 20 km level): the
    runner did what they were told, and is not told their load jumped."""
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 10]))
    back = MON + 10 * W  # after four weeks without a run
    athlete.run(week(back, [5, 0, 5, 0, 5, 0, 5]))
    r = athlete.status(back + W - D)
    assert r["phase"]["code"] == "return" and r["return_to_run"]["reference_m"] == km(40.0)
    # the usual week of the 4 before the last 7 is 0 (all four weeks off), so 20 km would be "a jump" against it;
    # against the Return's reference it is half of 1.10 × 40 = 44 km: no spike, and nothing to hold
    assert "weekly_spike" not in r.codes()


def test_five_pain_free_logged_weeks_under_the_cap_outgrow_the_week_that_hurt(athlete) -> None:
    """Issue 18, finding 3. 36 km weeks, a 3/10 after the Sunday run of week 6, then five 32 km weeks under the
    cap (0.9 × 36 = 32.4) with every run scored 1/10: the flare is outgrown and the cap steps up from 32 km —
    it used to hold the runner at 32.4 km for ever."""
    athlete.run(weeks(MON, 6, [9, 0, 9, 0, 9, 0, 9]), weeks(MON + 6 * W, 5, [8, 0, 8, 0, 8, 0, 8]))
    athlete.pain(MON + 6 * W - D, 3).scores(weeks(MON + 6 * W, 5, [8, 0, 8, 0, 8, 0, 8]), 1)
    r = athlete.status(MON + 11 * W - D)
    # four consecutive tolerated ISO weeks after the event (and windows ≥ 0.8 × 36 = 28.8): it no longer counts
    assert r["pain_threshold"]["distance_7d_m"] is None and r["pain_threshold"]["single_run_m"] is None
    # last 7 = 32 tolerated, usual 32 → base 32 + 10 % = 35.2; next run 1.1 × 8 = 8.8
    assert r.caps["weekly_distance_m"] == km(35.2) and r.caps["next_run_m"] == km(8.8)
    assert r.caps["weekly_basis"] == "step_up"


def test_a_newcomer_with_two_weeks_gets_sensible_caps_and_is_asked_for_older_runs(athlete) -> None:
    """Issue 18, finding 11. A new user imports only two 34 km weeks: the days before the first run are unknown,
    not zero — caps from the covered week (not 'at most 9.3 km' and a 167-minute swap), and the first screen says
    what the report is based on."""
    athlete.run(weeks(MON, 2, [8, 0, 10, 0, 8, 0, 8]))
    r = athlete.status(MON + 2 * W - D)
    # usual = the one covered week before the last 7 = 34; last 7 = 34; base 34, no pain ever → + 10 % = 37.4;
    # next run 1.1 × 10 = 11; 5 running days (1 + 4 runs a week) × 11 = 55 ≥ 37.4; no swap (cap above last 7)
    assert r.caps["weekly_distance_m"] == km(37.4) and r.caps["next_run_m"] == km(11.0)
    # the usual week the report shows is that covered week, not 34 / 4 = 8.5 with the unknown weeks as rest
    assert r.advice("cap_weekly_distance")["numbers"]["usual_week_m"] == km(34.0)
    assert "cross_train" not in r.advice_codes()
    assert r["coverage"].startswith("Based on 14 days of running: import your older runs")
    assert "Based on 14 days of running" in athlete.cmd("status", "--as-of", (MON + 2 * W - D).isoformat())
    # three days of history: no weekly cap yet, and it says why
    early = athlete.status(MON + 2 * D)
    assert early.caps["weekly_distance_m"] is None and "import your older runs" in early.caps["weekly_reason"]


def test_two_weeks_off_on_holiday_after_40km_weeks_restart_at_20km(athlete) -> None:
    """40 km weeks, then 15 days without a run and no pain: a break — return_to_run at 50 % of 40 km."""
    athlete.run(weeks(MON, 6, [10, 0, 10, 0, 10, 0, 10]))
    r = athlete.status(MON + 6 * W - D + 15 * D)
    # no run in the last 14 days; usual over the 28 days before the break = 160 / 4 = 40 → 20 km
    assert r["return_to_run"]["reference_m"] == km(40.0) and r["return_to_run"]["cap_m"] == km(20.0)
    assert r.referral() == set() and "pain_reported" not in r.codes()


@pytest.mark.parametrize("score", [1, 2])
def test_a_morning_wobble_of_one_point_is_noise_two_points_is_a_pain_event(athlete, score) -> None:
    """A pain-free runner whose mornings are 0/10: a 1/10 morning is noise (no flag, no referral, caps as usual);
    a 2/10 morning is 2 points above the baseline — a pain event, and the first one: get it checked."""
    sunday = MON + 9 * W - D
    athlete.run(weeks(MON, 9, STEADY))
    for k in range(14, 0, -1):
        athlete.pain(sunday - k * D, 0, "morning")
    athlete.pain(sunday, score, "morning")
    r = athlete.status(sunday)
    # baseline = median of 14 mornings of 0 = 0; 1 < 0 + 2 and < 3; 2 ≥ 0 + 2
    if score == 1:
        assert r["flags"] == [] and r.referral() == set()
        assert r.caps["weekly_distance_m"] == km(30.8) and r.caps["next_run_m"] == km(11.0)
    else:  # the first event ever, settled (tomorrow's morning is not logged yet) and 2/10: watch, no referral
        assert "pain_reported" in r.codes() and r.referral() == set()
        assert "if it comes back, or is not settled by tomorrow morning" in r.flag("pain_reported")["message"]
        # it judges Saturday, a day with no run: it sets no threshold
        assert r["pain_threshold"]["distance_7d_m"] is None


EASY = [0, 5, 0, 5, 0, 5, 5]  # 20 km, Tue/Thu/Sat/Sun: Mondays carry no run, so a Monday's cap is unambiguous


def test_pain_not_improving_after_doing_the_work_get_assessed(athlete) -> None:
    """3/10 after Thursday's run three weeks running, although they cut to 15 then 13 km (within each Monday's
    cap) and did 2 strength sessions a week: 'you did the work and it hasn't helped' — see a clinician."""
    w7, w8, w9 = (MON + k * W for k in (6, 7, 8))
    athlete.run(weeks(MON, 7, EASY), week(w8, [0, 5, 0, 5, 0, 5, 0]), week(w9, [0, 5, 0, 5, 0, 3, 0]))
    for monday in (w7, w8, w9):
        athlete.pain(monday + 3 * D, 3).rehab(monday + D, "--strength").rehab(monday + 5 * D, "--strength")
    # caps issued on Mondays: W7 1.1 × 20 = 22 (ran 20); W8 min(0.9 × 20 at the event, last 7 = 20) = 18 (ran 15);
    # W9 base 20 (usual 20), step back to the last 7 = 15 (ran 13). Worst score 3 in W7 and 3 in W9: not improving.
    r = athlete.status(w9 + 6 * D)
    assert "pain_not_improving" in r.codes() and "pain_reported" in r.codes()
    assert "pain_not_improving" in r.referral() and not r.urgent()
    # last 7 = 13, usual (20 + 20 + 20 + 15) / 4 = 18.75: base 13 (pain in 28 days: raised only below half), not
    # tolerated → hold 13; step back after Thursday's settled event: 0.8 × 15 (the 7 days to it) = 12, ≤ 13;
    # threshold min(20, 20, 15) → ≤ 13.5. Next run: 1.1 × 3 (the only run since the pain) = 3.3, ≤ 0.8 × 5 = 4,
    # ≤ 0.9 × 5 = 4.5 → 3.3; 5 runs of 3.3 reach 16.5 ≥ 12 → weekly 12 km
    assert r.caps["weekly_distance_m"] == km(12.0) and r.caps["next_run_m"] == km(3.3)
    assert r.caps["weekly_basis"] == "step_back" and "20 % below the 15 km week that hurt" in r.caps["weekly_reason"]
    assert r["rehab_progress"]["strength_sessions_this_week"] == 2 and r["rehab_progress"]["step"] == 1


@pytest.mark.parametrize("pain_weeks", [(6, 7, 8), (5, 6, 7, 8)])
def test_pain_not_improving_without_easing_off_or_rehab_says_what_to_change_first(athlete, pain_weeks) -> None:
    """The same 3/10 Thursdays, but they kept running 20 km and logged no rehab: flag it and say what to change
    first (routine, caps) — without claiming they eased off. Pain in 4 of the last 6 weeks refers anyway."""
    athlete.run(weeks(MON, 9, EASY))
    for k in pain_weeks:
        athlete.pain(MON + k * W + 3 * D, 3)
    r = athlete.status(MON + 9 * W - D)
    assert "pain_not_improving" in r.codes()
    assert ("pain_not_improving" in r.referral()) == (len(pain_weeks) >= 4)  # 3 of 6 weeks: no; 4 of 6: yes
    assert "eased off" not in r.texts() and "easing off" not in r.texts() and "did the work" not in r.texts()
    assert {"rehab_routine", "cap_weekly_distance"} <= set(r.advice_codes())
    # base 20 (= usual), hold (not tolerated); step back after Thursday's settled 3/10: 0.8 × 20 (the 7 days to it)
    # = 16; threshold 0.9 × 20 = 18. Next run: 1.1 × 5 (Sat/Sun since the pain) = 5.5, ≤ 0.8 × 5 = 4, ≤ 4.5 → 4
    assert r.caps["weekly_distance_m"] == km(16.0) and r.caps["next_run_m"] == km(4.0)


def test_after_a_clearance_pain_that_goes_on_is_tell_your_clinician_and_older_pain_is_answered(athlete) -> None:
    """PRODUCT.md "Referral": a clearance answers every reason dated before it; in the 6 weeks after it, pain that
    has not improved says 'tell your clinician it has not improved' (not a fresh 'get assessed')."""
    athlete.run(weeks(MON, 9, EASY))
    for k in (4, 5, 6, 7):
        athlete.pain(MON + k * W + 3 * D, 3)
    sunday = MON + 9 * W - D
    # without a clearance: 3/10 Thursdays in W4-W7 (the last 3 complete weeks not improving, 4 of 6 weeks) → refer
    assert "pain_not_improving" in athlete.status(sunday).referral()
    athlete.assessed(MON + 8 * W, True)  # cleared on the Monday after the last of those weeks
    assert "pain_not_improving" not in athlete.status(sunday).referral()  # answered by the clearance
    athlete.pain(MON + 8 * W + 3 * D, 3)  # and it hurts again that Thursday: W6, W7, W8 not improving
    r = athlete.status(sunday)
    assert "pain_not_improving" in r.referral() and not r.urgent()
    assert "Tell your clinician it has not improved since they cleared you" in r.advice("see_clinician")["message"]


def test_over_pain_threshold_never_quotes_the_week_that_set_it(athlete) -> None:
    """3/10 on Friday of a 24 km week (W14), 4/10 after a new 8 km long run in W16: the W14 event sets the
    threshold the W16 week is over — the message names W14; the week of an event never trips it on its own."""
    athlete.run(
        weeks(MON, 4, [5, 0, 5, 0, 5, 0, 5]),
        week(MON + 4 * W, [6, 0, 6, 0, 6, 0, 6]),
        week(MON + 5 * W, [5, 0, 5, 0, 5, 0, 5]),
        week(MON + 6 * W, [6, 0, 6, 0, 6, 0, 8]),
    )
    first, second = MON + 4 * W + 4 * D, MON + 7 * W - D
    athlete.pain(first, 3).pain(second, 4)
    r = athlete.status(first)
    # 7 days to the Friday: Sun 5 + 6 + 6 + 6 = 23 km ≥ 23, but set inside the last 7 days → not "over"
    assert r["pain_threshold"]["distance_7d_m"] == km(23.0) and "over_pain_threshold" not in r.codes()
    # the first event ever, 3/10 and settled (next morning not logged): watch it, no referral yet
    assert "pain_reported" in r.codes() and r.referral() == set()
    assert "if it comes back" in r.flag("pain_reported")["message"]
    r = athlete.status(second)
    message = r.flag("over_pain_threshold")["message"]  # last 7 = 26 ≥ 23 set 16 days before
    assert iso_week(first) in message and iso_week(second) not in message
    # usual (20+20+24+20)/4 = 21; 8 km vs 6 km = +33 % moderate spike → ≤ 1.1 × 21 = 23.1; step back
    # min(0.9 × 26, 26, 23.1); threshold min(23, 26) → ≤ 0.9 × 23 = 20.7. Next run: 1.1 × 6 = 6.6, ≤ 0.9 × 6 = 5.4
    assert r.caps["weekly_distance_m"] == km(20.7) and r.caps["next_run_m"] == km(5.4)


@pytest.mark.parametrize(
    ("how", "keys"),
    [("file", ("session_spike_small_pct", "session_spike_moderate_pct")), ("env", ("acwr_caution", "acwr_high"))],
)
def test_inverted_threshold_settings_are_refused_in_one_sentence(cli, tmp_path: Path, monkeypatch, how, keys) -> None:
    """A config whose spike tiers or ACWR levels are upside down is refused (exit 2), naming the keys."""
    values = {"session_spike_small_pct": 40, "session_spike_moderate_pct": 30, "acwr_caution": 1.6, "acwr_high": 1.5}
    if how == "file":
        config = tmp_path / "advisor.toml"
        config.write_text("[thresholds]\n" + "".join(f"{k} = {values[k]}\n" for k in keys))
        result = cli("--config", str(config), "status", "--json")
    else:
        for k in keys:
            monkeypatch.setenv(f"ADVISOR_THRESHOLDS__{k.upper()}", str(values[k]))
        result = cli("status", "--json")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and all(k in result.stderr for k in keys)


ROLLING = ((2.5, 0.02), (2.5, -0.02), (2.5, 0.02), (2.5, -0.02))  # 10 km, 100 m down
TRAIL = ((5.0, 0.08), (2.0, -0.11), (3.0, -0.06))  # 10 km, 400 m up, 220 + 180 = 400 m down, 2 km below -10 %


def test_trail_week_with_big_descents_flag_the_downhill_keep_it_flat(athlete) -> None:
    """Rolling 30 km weeks (300 m down), then the same 30 km on trails descending 1200 m: downhill spike — flat
    routes, walk the steep descents; the distance caps are unchanged."""
    three = [10, 0, 10, 0, 10, 0, 0]
    athlete.run(weeks(MON, 5, three, grades=ROLLING), week(MON + 5 * W, three, grades=TRAIL))
    r = athlete.status(MON + 6 * W - D)
    # 1200 m > 1.5 × 300 m usual weekly descent; one run 400 m > 2 × 100 m usual per run
    assert "downhill_spike" in r.codes() and "avoid_downhill_stairs" in r.advice_codes()
    assert not {"weekly_spike", "session_spike"} & set(r.codes())
    # PRODUCT.md weekly cap rule 3: while downhill_spike is up the cap holds at the base (30), the knee's total load
    # counting; the next run is 1.1 × 10 as usual
    assert r.caps["weekly_distance_m"] == km(30.0) and r.caps["next_run_m"] == km(11.0)
    assert r.caps["weekly_basis"] == "hold" and "downhill" in r.caps["weekly_reason"]
    # until the trail runs leave the last 7 days: the week's descent is no longer a spike from Wednesday (400 m
    # left, under 1.5 × 300), but each 400 m run is one on its own (> 2 × 100 m) until the Friday run leaves, on
    # the Friday after
    assert r.caps["weekly_reason"].endswith("to Fri 17 Apr")


def test_a_week_of_triple_stairs_flag_the_stairs(athlete) -> None:
    """10 floors a day for 5 weeks, then 30 a day for a week: stairs spike, fewer stairs; running caps unchanged."""
    sunday = MON + 6 * W - D
    athlete.run(weeks(MON, 6, STEADY))
    for k in range(41, -1, -1):
        athlete.stairs(sunday - k * D, 30 if k < 7 else 10)
    r = athlete.status(sunday)
    assert "stairs_spike" in r.codes() and "avoid_downhill_stairs" in r.advice_codes()  # 210 > 1.5 × 70
    # rule 3: while stairs_spike is up the weekly cap holds at the base (28), not 1.1 × 28
    assert r.caps["weekly_distance_m"] == km(28.0) and r.caps["next_run_m"] == km(11.0)
    # until the stairs leave the last 7 days: 180, 150, 120 floors (still > 1.5 × 70), then 90 on the Thursday
    assert r.caps["weekly_reason"].endswith("to Thu 16 Apr")


def test_runs_near_local_midnight_count_on_the_runners_day_and_iso_week(athlete, monkeypatch) -> None:
    """Sunday 23:50 (+02:00) is Sunday's run even though it ends on Monday; Monday 01:10 (+02:00, still Sunday in
    UTC) is Monday's — and the next ISO week's."""
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", "Europe/Berlin")
    sunday = date(2026, 6, 14)  # 2026-W24
    athlete.run(Run(sunday, 10, local=time(23, 50)), Run(sunday + D, 6, local=time(1, 10)))
    assert [a["local_date"] for a in athlete.activities()] == ["2026-06-14", "2026-06-15"]
    by_week = {w["week"]: w for w in athlete.status(sunday + D)["weeks"]}
    assert (by_week["2026-W24"]["runs"], by_week["2026-W24"]["distance_m"]) == (1, km(10.0))
    assert (by_week["2026-W25"]["runs"], by_week["2026-W25"]["distance_m"]) == (1, km(6.0))
    assert {w["week"]: w for w in athlete.status(sunday)["weeks"]}["2026-W24"]["distance_m"] == km(10.0)


def test_a_run_across_the_dst_change_counts_on_its_local_day(athlete, monkeypatch) -> None:
    """18 km from 00:30 CET to 03:10 CEST on 2026-03-29 (started 23:30 UTC on the 28th): Sunday the 29th."""
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", "Europe/Berlin")
    saturday = date(2026, 3, 28)
    # started at 2026-03-28 23:30 UTC; the watch writes the +02:00 it shows at the end
    athlete.run(Run(saturday, 5, offset_s=3600), Run(saturday + D, 18, local=time(1, 30), offset_s=7200))
    assert [a["local_date"] for a in athlete.activities()] == ["2026-03-28", "2026-03-29"]
    assert {w["week"]: w for w in athlete.status(saturday)["weeks"]}["2026-W13"]["distance_m"] == km(5.0)
    w13 = {w["week"]: w for w in athlete.status(saturday + D)["weeks"]}["2026-W13"]
    assert (w13["runs"], w13["distance_m"], w13["longest_run_m"]) == (2, km(23.0), km(18.0))


def test_a_decade_of_data_gives_the_same_answer_as_the_last_six_months(cli, tmp_path: Path, monkeypatch) -> None:
    """Ten years of Wed/Sun runs (old years with 16 km long runs, a 30 km race, painful weeks and a cleared
    swelling) give the same status as only the last 6 months: the rules look back 12 weeks + 30 days at most.
    520 weeks × 2 runs at a 60 s recording interval keeps it to ~1000 small files."""
    as_of = date(2026, 6, 28)  # a Sunday
    first_monday = as_of - 6 * D - 519 * W
    recent_from = date(2025, 12, 29)  # 26 weeks before the as-of week, > 12 weeks + 30 days
    mondays = [first_monday + k * W for k in range(520)]
    runs = [r for m in mondays for r in week(m, [0, 0, 8, 0, 0, 0, 12 if m >= recent_from else 16], interval_s=60.0)]
    runs.append(Run(date(2019, 4, 13), 30, interval_s=60.0))
    everything = Athlete(cli, tmp_path / "all").run(runs)
    for day in (date(2020, 5, 10), date(2020, 5, 17), date(2020, 5, 24), date(2020, 5, 31)):
        everything.pain(day, 5)
    everything.pain(date(2018, 9, 3), 3, "morning", "--swelling").assessed(date(2018, 9, 10), True)
    full = everything.status(as_of)
    monkeypatch.setenv("ADVISOR_HOME", str(tmp_path / "recent-home"))
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{tmp_path / 'recent.db'}")
    recent = Athlete(cli, tmp_path / "recent").run([r for r in runs if r.day >= recent_from]).status(as_of)
    for key in ("flags", "caps", "paused", "return_to_run", "pain_threshold", "rehab_progress"):
        assert full[key] == recent[key], key
    assert full.advice_codes() == recent.advice_codes()
    # by hand: last 7 = 8 + 12 = 20 = usual, no pain in 12 weeks → 22 km; next run 1.1 × 12 = 13.2 km
    assert full["flags"] == [] and full.caps["weekly_distance_m"] == km(22.0) and full.caps["next_run_m"] == km(13.2)


def test_new_pain_first_ever_4_10_settled_is_watched_and_not_settled_gets_it_checked(athlete) -> None:
    """A first-ever 4/10 after yesterday's 10 km, nothing logged since: settled for now — 'if it comes back, or is
    not settled by tomorrow morning, get it checked', no referral. When the next morning is 3/10 too, it has not
    settled: see a clinician before building on it (not urgent). 30 days later it is no longer new pain."""
    sunday = MON + 8 * W - D
    athlete.run(weeks(MON, 8, STEADY)).pain(sunday, 4)
    r = athlete.status(sunday + D)  # Monday, no run yet, no morning score yet
    assert r.referral() == set() and "if it comes back" in r.flag("pain_reported")["message"]
    # last 7 (Tue..Mon) = 6 + 6 + 10 = 22, usual 28: base 22 (pain in 28 days: raised only below 14), hold; step
    # back min(0.8 × 28 (7 days to the event), last 7 = 22) = 22; ≤ 0.9 × 28. Next run: no run since the pain, so
    # 1.1 × 10 = 11, ≤ 0.8 × 10 (the long run of the week that hurt) = 8, ≤ 0.9 × 10 = 9 → 8
    assert r.caps["weekly_distance_m"] == km(22.0) and r.caps["next_run_m"] == km(8.0)
    assert r.caps["rest_days"] == 1
    athlete.pain(sunday + D, 3, "morning")  # Monday morning 3/10: a pain event the morning after → not settled
    r = athlete.status(sunday + D)
    assert r.advice_codes()[0] == "see_clinician" and r.referral() == {"new_pain"} and not r.urgent()
    later = athlete.status(sunday + 30 * D)
    assert "new_pain" not in later.referral() and "pain_reported" not in later.codes()


def test_low_cadence_runner_raise_the_step_rate(athlete) -> None:
    """Steady 24 km weeks at 164 steps/min: low cadence — raise it 5-10 %; nothing else is wrong."""
    athlete.run(weeks(MON, 5, [6, 0, 6, 0, 6, 0, 6], cadence=82.0))
    r = athlete.status(MON + 5 * W - D)
    assert r.codes() == ["low_cadence"] and "raise_cadence" in r.advice_codes()
    assert r.caps["weekly_distance_m"] == km(26.4) and r.caps["next_run_m"] == km(6.6)  # 1.1 × 24, 1.1 × 6
