"""The runner's own pain threshold and tolerated level, and the weekly cap built from them."""

from __future__ import annotations

from datetime import date, timedelta

from scenarios import DEFAULTS, PROFILE, advice, daily_runs, flag, pain, run, weeks_of

from advisor.advice import assess

M0 = date(2025, 3, 3)  # Monday of week 0


def day(week: int, weekday: int) -> date:
    return M0 + timedelta(weeks=week, days=weekday)


def build_35_then_45(pain_weekday: int):
    """Weeks 0-3 at 35 km (7 × 5 km) with 0-1/10 logged each Sunday, week 4 at 45 km (7 × 6.43 km) with pain 5/10
    after the run on `pain_weekday` of week 4."""
    runs = weeks_of(M0, [35.0] * 4 + [45.0], per_week=7)
    entries = [pain(day(w, 6), w % 2) for w in range(4)]
    entries.append(pain(day(4, pain_weekday), 5))
    return runs, entries


def test_45_km_week_with_pain_after_35_km_weeks_steps_back_to_35():
    runs, entries = build_35_then_45(pain_weekday=6)
    as_of = day(4, 6)
    r = assess(runs, entries, [], PROFILE, DEFAULTS, as_of)
    th = r.pain_threshold
    # The pain event (5/10 after Sunday's run) sits on a 7-day window of 45 km: threshold 45 km.
    assert th.distance_7d_m == 45000.0 and th.events == 1 and th.entries == 5
    # Tolerated: windows with no pain event inside them or in the 6 days after. The event is on day 34, so windows
    # ending on day 27 or before qualify -> the highest is a full 35 km week.
    assert th.tolerated_7d_m == 35000.0
    # Step back to the tolerated level: cap 35 km, which is <= 35 km and < 0.9 × 45 = 40.5 km.
    assert r.caps.weekly_distance_m <= 35000.0
    assert r.caps.weekly_distance_m < 0.9 * 45000.0
    assert r.caps.weekly_distance_m == 35000.0 and r.caps.weekly_basis == "tolerated_level"
    # Pain of 5/10 -> two rest days
    assert r.caps.rest_days == 2
    # Cross-training replaces the 10 km cut; recent pace 5:00/km -> 10 × 300 s = 50 minutes
    ct = advice(r, "cross_train")
    assert ct.numbers["distance_cut_m"] == 10000.0 and ct.numbers["minutes"] == 50.0
    assert "cycling is not automatically knee-safe" in ct.message
    assert flag(r, "pain_reported").severity == "high"
    assert flag(r, "over_pain_threshold") is not None
    assert advice(r, "avoid_downhill_stairs") is not None


def test_pain_in_the_middle_of_the_bigger_week():
    runs, entries = build_35_then_45(pain_weekday=2)  # Wednesday of week 4, day 30
    r = assess(runs, entries, [], PROFILE, DEFAULTS, day(4, 6))
    # Window ending day 30: 4 days × 5 km + 3 days × 6.4286 km = 39.29 km -> threshold; 0.9 × = 35.36 km
    assert r.pain_threshold.distance_7d_km == 39.29
    # Tolerated windows end on day 23 or before (event day 30 - 7): 35 km.
    assert r.pain_threshold.tolerated_7d_m == 35000.0
    assert r.caps.weekly_distance_m == 35000.0  # min(tolerated 35, 0.9 × 39.29 = 35.36)


def test_single_run_and_descent_thresholds():
    runs = daily_runs(M0, 21, 6.0, descent_m=50.0)
    runs.append(run(M0 + timedelta(days=21), 14.0, descent_m=400.0))
    entries = [pain(M0 + timedelta(days=21), 4, "during"), pain(M0 + timedelta(days=10), 3, "after")]
    r = assess(runs, entries, [], PROFILE, DEFAULTS, M0 + timedelta(days=21))
    th = r.pain_threshold
    # day 10: 7 × 6 km = 42 km, run 6 km, descent 7 × 50 = 350 m; day 21: 6 × 6 + 14 = 50 km, 14 km, 700 m
    assert (th.distance_7d_m, th.single_run_m, th.descent_7d_m) == (42000.0, 6000.0, 350.0)
    assert th.events == 2


def test_morning_pain_belongs_to_the_day_before_and_a_rise_is_an_event():
    runs = [run(M0, 10.0), run(M0 + timedelta(days=1), 20.0)]
    entries = [pain(M0 + timedelta(days=1), 1, "morning"), pain(M0 + timedelta(days=2), 2, "morning")]
    r = assess(runs, entries, [], PROFILE, DEFAULTS, M0 + timedelta(days=2))
    # 1 -> 2 next morning: a rise above the previous morning is a pain event even at 2/10; its load day is
    # the day before (day 1: the 20 km run; 7-day distance 30 km).
    assert r.pain_threshold.events == 1
    assert r.pain_threshold.distance_7d_m == 30000.0 and r.pain_threshold.single_run_m == 20000.0
    f = flag(r, "pain_reported")
    assert f is not None and f.evidence["morning_rises"] == 1 and f.severity == "caution"
    assert "morning" in f.message
    # Same score both mornings: no event.
    flat = [pain(M0 + timedelta(days=1), 2, "morning"), pain(M0 + timedelta(days=2), 2, "morning")]
    r2 = assess(runs, flat, [], PROFILE, DEFAULTS, M0 + timedelta(days=2))
    assert r2.pain_threshold.events == 0 and flag(r2, "pain_reported") is None


def test_acceptable_pain_is_not_an_event():
    runs = daily_runs(M0, 14, 5.0)
    entries = [pain(M0 + timedelta(days=i), 2) for i in range(14)]
    r = assess(runs, entries, [], PROFILE, DEFAULTS, M0 + timedelta(days=13))
    assert r.pain_threshold.events == 0 and r.pain_threshold.distance_7d_m is None
    assert r.pain_threshold.tolerated_7d_m == 35000.0
    assert "No pain event" in r.pain_threshold.reason
    assert flag(r, "pain_reported") is None


def test_no_pain_history_means_no_threshold_and_the_advice_says_so():
    runs = weeks_of(M0, [30.0] * 4, per_week=5)
    r = assess(runs, [], [], PROFILE, DEFAULTS, day(3, 6))
    th = r.pain_threshold
    assert th.distance_7d_m is None and th.tolerated_7d_m is None and th.single_run_m is None
    assert "no personal pain threshold" in th.reason
    cap = advice(r, "cap_weekly_distance")
    assert "no personal pain threshold" in cap.message
    assert cap.numbers["pain_threshold_7d_m"] is None
    # Without pain the cap is a 10 % step up from 30 km: 33 km.
    assert r.caps.weekly_distance_m == 33000.0 and r.caps.weekly_basis == "step_up"


def test_pain_without_running_sets_no_running_threshold():
    r = assess([], [pain(M0, 4)], [], PROFILE, DEFAULTS, M0)
    assert r.pain_threshold.events == 1 and r.pain_threshold.distance_7d_m is None
    assert "without running" in r.pain_threshold.reason
    assert r.caps.weekly_distance_m is None and r.caps.weekly_reason


def test_step_up_never_goes_above_90_percent_of_the_threshold():
    # Pain 4/10 at the end of a 30 km week (week 0), then three tolerated 28 km weeks.
    runs = weeks_of(M0, [30.0, 28.0, 28.0, 28.0], per_week=4)
    entries = [pain(day(0, 3), 4), pain(day(2, 3), 1)]
    r = assess(runs, entries, [], PROFILE, DEFAULTS, day(3, 6))
    # threshold = 7-day distance at the event (Thursday of week 0, all four runs done) = 30 km
    assert r.pain_threshold.distance_7d_m == 30000.0
    # 10 % step up from 28 km would be 30.8 km; capped at 0.9 × 30 = 27 km.
    assert r.caps.weekly_distance_m == 27000.0 and r.caps.weekly_basis == "pain_threshold"


def test_step_up_after_a_down_week_uses_the_four_week_average():
    # 40, 40, 40 then a 20 km recovery week: base = max(20, 140 / 4 = 35) -> cap 38.5 km
    runs = weeks_of(M0, [40.0, 40.0, 40.0, 20.0], per_week=4)
    r = assess(runs, [], [], PROFILE, DEFAULTS, day(3, 6))
    assert r.caps.weekly_distance_m == 38500.0


def test_pain_outside_the_12_week_window_is_forgotten():
    runs = daily_runs(M0, 120, 5.0)
    r = assess(runs, [pain(M0 + timedelta(days=5), 6)], [], PROFILE, DEFAULTS, M0 + timedelta(days=5 + 84))
    assert r.pain_threshold.entries == 0 and r.pain_threshold.distance_7d_m is None
    r_in = assess(runs, [pain(M0 + timedelta(days=5), 6)], [], PROFILE, DEFAULTS, M0 + timedelta(days=5 + 83))
    assert r_in.pain_threshold.distance_7d_m == 30000.0  # 6 days of history × 5 km at the event
