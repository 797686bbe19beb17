"""The runner's own pain threshold and tolerated level, and the weekly cap built from them."""

from __future__ import annotations

from datetime import date, timedelta

from scenarios import DEFAULTS, PROFILE, advice, daily_runs, flag, pain, run, weeks_of

from advisor.domain.advice import assess

M0 = date(2025, 3, 3)  # Monday of week 0


def day(week: int, weekday: int) -> date:
    return M0 + timedelta(weeks=week, days=weekday)


def build_35_then_45(pain_weekday: int):
    """Weeks 0-3 at 35 km (7 × 5 km) with 0-1/10 logged after every run, week 4 at 45 km (7 × 6.43 km) with 1/10
    after each run before `pain_weekday` and 5/10 after the run on `pain_weekday`."""
    runs = weeks_of(M0, [35.0] * 4 + [45.0], per_week=7)
    entries = [pain(day(w, d), (w + d) % 2) for w in range(4) for d in range(7)]
    entries += [pain(day(4, d), 1) for d in range(pain_weekday)]
    entries.append(pain(day(4, pain_weekday), 5))
    return runs, entries


def test_45_km_week_that_hurt_5_10_after_35_km_weeks_sets_the_threshold_and_stops_running_until_it_settles():
    """A physio: "5/10 after the 45 km week: no running until it settles, cross-train; it hurt at 45 km a week"."""
    runs, entries = build_35_then_45(pain_weekday=6)
    as_of = day(4, 6)
    r = assess(runs, entries, [], PROFILE, DEFAULTS, as_of)
    th = r.pain_threshold
    # The pain event (5/10 after Sunday's run) sits on a 7-day window of 45 km: threshold 45 km, single run 6.43 km.
    assert th.distance_7d_m == 45000.0 and th.events == 1 and th.single_run_m == 6428.6
    # Tolerated: every run scored ≤ 2 and no event in the window: the best ends on Saturday of week 4,
    # 5 + 6 × 45/7 = 43.57 km (information for the report: it sets no cap).
    assert th.tolerated_7d_m == 43571.4
    # 5/10 is not settled (PRODUCT.md: ≥ 5/10): phase 2, Settle, from today — no running, no caps, cross-train up
    # to the usual running time: 35 km a week at 5:00/km = 175 min, rounded to 5 → 175 minutes
    assert r.phase.code == "settle" and r.phase.since == as_of and "5/10" in r.phase.reason
    assert r.caps.weekly_distance_m is None and r.caps.next_run_m is None
    ct = advice(r, "cross_train")
    assert ct.numbers["minutes"] == 175.0 and "not in the activity that hurt" in ct.message
    assert flag(r, "pain_reported").severity == "high"
    # The threshold was set this very week: over_pain_threshold only compares with older events.
    assert flag(r, "over_pain_threshold") is None
    assert advice(r, "avoid_downhill_stairs") is not None


def test_pain_in_the_middle_of_the_bigger_week():
    runs, entries = build_35_then_45(pain_weekday=2)  # Wednesday of week 4, day 30
    r = assess(runs, entries, [], PROFILE, DEFAULTS, day(4, 6))
    # Window ending day 30: 4 days × 5 km + 3 days × 6.4286 km = 39.29 km -> threshold; 0.9 × = 35.36 km
    assert r.pain_threshold.distance_7d_km == 39.29
    # Tolerated windows end on day 29 or before: 5 × 5 + 2 × 6.43 = 37.86 km.
    assert r.pain_threshold.tolerated_7d_m == 37857.1
    # The 5/10 on Wednesday started Settle; Thu-Sat were scored 1/10 after runs, but no morning scores were logged
    # and 4 days have passed (< 7): still Settle on Sunday, until Wednesday + 7 with no new pain
    assert r.phase.code == "settle" and r.phase.since == day(4, 2)
    assert f"{day(5, 2):%-d %b}" in (r.phase.exit or "")


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
    # Mornings of 0 on days 1-5 (baseline: median 0 of 5 scores), a 10 km run on day 5, 20 km on day 6, then 2/10
    # on the morning of day 7: 2 points over the baseline is an event even at 2/10, and it judges day 6 (the 20 km
    # run; 7-day distance 30 km).
    runs = [run(M0 + timedelta(days=5), 10.0), run(M0 + timedelta(days=6), 20.0)]
    base = [pain(M0 + timedelta(days=d), 0, "morning") for d in range(1, 6)]
    r = assess(runs, [*base, pain(M0 + timedelta(days=7), 2, "morning")], [], PROFILE, DEFAULTS, M0 + timedelta(days=7))
    assert r.pain_threshold.events == 1
    assert r.pain_threshold.distance_7d_m == 30000.0 and r.pain_threshold.single_run_m == 20000.0
    f = flag(r, "pain_reported")
    assert f is not None and f.evidence["morning_rises"] == 1 and f.severity == "caution"
    assert "morning" in f.message
    # A one-point wobble (0 -> 1) is noise, and so is 0 -> 2 with fewer than 4 mornings to know the baseline.
    wobble = [*base, pain(M0 + timedelta(days=7), 1, "morning")]
    r2 = assess(runs, wobble, [], PROFILE, DEFAULTS, M0 + timedelta(days=7))
    assert r2.pain_threshold.events == 0 and flag(r2, "pain_reported") is None
    few = [*base[-3:], pain(M0 + timedelta(days=7), 2, "morning")]
    r3 = assess(runs, few, [], PROFILE, DEFAULTS, M0 + timedelta(days=7))
    assert r3.pain_threshold.events == 0 and flag(r3, "pain_reported") is None


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


def test_one_light_week_does_not_collapse_the_cap_and_a_big_one_is_not_rewarded():
    # 40 km weeks, then a 20 km recovery week: the base is held at the usual week (40) -> cap 44 km
    runs = weeks_of(M0, [40.0] * 4 + [20.0], per_week=4)
    assert assess(runs, [], [], PROFILE, DEFAULTS, day(4, 6)).caps.weekly_distance_m == 44000.0
    # 40 km weeks, then 60: the base is held at 1.3 × 40 = 52, and the weekly spike holds the cap to 1.1 × 40 = 44
    big = weeks_of(M0, [40.0] * 4 + [60.0], per_week=4)
    r = assess(big, [], [], PROFILE, DEFAULTS, day(4, 6))
    assert r.caps.weekly_distance_m == 44000.0
    # Three weeks of history before the last 7: the usual week is taken over those 3 covered weeks (40), and 3 of
    # the 4 weeks covered and run with no pain in 28 days raise the base to it: 1.1 × 40 (PRODUCT.md, rule 1)
    new = weeks_of(M0, [40.0, 40.0, 40.0, 20.0], per_week=4)
    assert assess(new, [], [], PROFILE, DEFAULTS, day(3, 6)).caps.weekly_distance_m == 44000.0
    # Two weeks of history before it: the base stays the last 7 days unless under half the usual week: 1.1 × 20
    newer = weeks_of(M0, [40.0, 40.0, 20.0], per_week=4)
    assert assess(newer, [], [], PROFILE, DEFAULTS, day(2, 6)).caps.weekly_distance_m == 22000.0


def test_pain_outside_the_12_week_window_is_forgotten():
    runs = daily_runs(M0, 120, 5.0)
    r = assess(runs, [pain(M0 + timedelta(days=5), 6)], [], PROFILE, DEFAULTS, M0 + timedelta(days=5 + 84))
    assert r.pain_threshold.entries == 0 and r.pain_threshold.distance_7d_m is None
    r_in = assess(runs, [pain(M0 + timedelta(days=5), 6)], [], PROFILE, DEFAULTS, M0 + timedelta(days=5 + 83))
    assert r_in.pain_threshold.distance_7d_m == 30000.0  # 6 days of history × 5 km at the event


def test_four_consecutive_tolerated_iso_weeks_outgrow_an_event_whatever_the_distances():
    """PRODUCT.md: an event stops counting after four consecutive tolerated ISO weeks since it — here at 26 km, below
    0.8 × the 36 km that hurt (28.8), so only the four-week rule can outgrow it; after three weeks it still counts."""
    runs = weeks_of(M0, [36.0] * 4 + [26.0] * 4, per_week=4)
    entries = [pain(day(3, 3), 3)] + [pain(r.local_day, 1) for r in runs if r.local_day > day(3, 3)]
    three = assess(runs, entries, [], PROFILE, DEFAULTS, day(6, 6))
    assert three.pain_threshold.distance_7d_m == 36000.0
    four = assess(runs, entries, [], PROFILE, DEFAULTS, day(7, 6))
    assert four.pain_threshold.distance_7d_m is None
