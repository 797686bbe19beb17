"""downhill_spike, steep_downhill, stairs_spike, low_cadence, the local-time aggregates and activity classes."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from scenarios import DEFAULTS, PROFILE, advice, flag, pain, run, stair_days, stairs, weeks_of

from advisor.domain.advice import assess
from advisor.domain.risk.aggregates import build_daily, weekly_aggregates
from advisor.domain.risk.model import activity_kind

M0 = date(2025, 3, 3)  # Monday of week 0
SUNDAY_W5 = M0 + timedelta(days=5 * 7 + 6)  # as_of: the last day of week 5; "last 7 days" = week 5 exactly


def assess_at(runs, as_of=SUNDAY_W5, pain_entries=(), stair_entries=()):
    return assess(runs, pain_entries, stair_entries, PROFILE, DEFAULTS, as_of)


def five_runs_a_week(weeks, descent_m=0.0, steep10_m=0.0, start=M0):
    return weeks_of(start, [30.0] * weeks, per_week=5, descent_m=descent_m, steep10_m=steep10_m)


# --- downhill_spike --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("week5_descent_per_run", "flagged"), [(200.0, True), (140.0, False), (150.0, False)])
def test_downhill_spike_week_rule(week5_descent_per_run, flagged):
    # Weeks 0-4: 5 runs × 100 m = 500 m/week. Usual = the 28 days before the last 7 (weeks 1-4) = 2000 / 4 = 500.
    # Week 5: 5 × 200 = 1000 m = 2.0 × usual > 1.5 × -> flag; 5 × 140 = 700 (1.4 ×) no; 5 × 150 = 750 = exactly
    # 1.5 × -> no (must be above). No single run exceeds 2 × the usual 100 m per run.
    runs = five_runs_a_week(5, descent_m=100.0)
    runs += weeks_of(M0 + timedelta(weeks=5), [30.0], per_week=5, descent_m=week5_descent_per_run)
    r = assess_at(runs)
    f = flag(r, "downhill_spike")
    assert (f is not None) == flagged
    if flagged:
        assert f.evidence["descent_7d_m"] == 1000.0
        assert f.evidence["usual_weekly_descent_m"] == 500.0
        assert f.evidence["ratio"] == 2.0
        assert "activity_id" not in f.evidence
        assert advice(r, "avoid_downhill_stairs") is not None


def test_downhill_spike_single_run_rule():
    # The largest single-run descent of the 28 days before the last 7 is 100 m. Week 5: one flat run and one 250 m
    # run -> week 250 m (no week rule: 250 < 1.5 × 500), but 250 > 2 × 100 and ≥ 100 m -> flag on the run.
    runs = five_runs_a_week(5, descent_m=100.0)
    runs += [run(M0 + timedelta(weeks=5), 6.0), run(M0 + timedelta(weeks=5, days=2), 6.0, descent_m=250.0)]
    f = flag(assess_at(runs), "downhill_spike")
    assert f is not None
    assert f.evidence["run_descent_m"] == 250.0
    assert f.evidence["largest_run_descent_m"] == 100.0
    assert f.evidence["descent_7d_m"] == 250.0


def test_a_weekly_hill_session_is_the_runners_normal_descent_not_a_spike_every_week():
    # Issue 18, finding 4. Four flat runs and one 400 m hill session every week for 6 weeks: the hill session is
    # their normal. Per run the baseline averages 80 m (400 / 5), so against the average the 400 m session was
    # "more than twice usual" every week; against the largest run of the 28 days before (400 m) it is not. The
    # week rule: 400 m a week = the usual 400 m -> no.
    hill_weeks = []
    for k in range(6):
        monday = M0 + timedelta(weeks=k)
        hill_weeks += [run(monday + timedelta(days=d), 6.0) for d in (0, 1, 3, 4)]
        hill_weeks.append(run(monday + timedelta(days=6), 10.0, descent_m=400.0))
    r = assess_at(hill_weeks, M0 + timedelta(weeks=6) - timedelta(days=1))
    assert flag(r, "downhill_spike") is None
    # A 900 m mountain run in place of the usual session is a spike: 900 > 2 × 400 and ≥ 100 m.
    hill_weeks[-1] = run(M0 + timedelta(weeks=6) - timedelta(days=1), 10.0, descent_m=900.0)
    f = flag(assess_at(hill_weeks, M0 + timedelta(weeks=6) - timedelta(days=1)), "downhill_spike")
    assert f is not None and f.evidence["largest_run_descent_m"] == 400.0


def test_downhill_needs_a_baseline():
    # Only 10 days of history: no 'usual' yet, no flag whatever the descent.
    runs = [run(SUNDAY_W5 - timedelta(days=i), 10.0, descent_m=900.0) for i in range(10)]
    assert flag(assess_at(runs), "downhill_spike") is None


def test_hike_descent_counts_toward_descent_not_distance():
    runs = [run(M0, 10.0, descent_m=100.0), run(M0 + timedelta(days=1), 15.0, descent_m=900.0, sport="hiking")]
    weeks = weekly_aggregates(build_daily(runs, [], [], M0 + timedelta(days=6), DEFAULTS), 1)
    assert weeks[0].distance_m == 10000.0 and weeks[0].runs == 1
    assert weeks[0].descent_m == 1000.0


# --- steep_downhill --------------------------------------------------------------------------------------------------


def test_steep_downhill_over_1_km_while_in_pain_is_high():
    # Usual 5 × 300 m = 1500 m/week of steep descent; week 5: 5 × 240 m = 1.2 km (below usual, so only the pain rule).
    runs = five_runs_a_week(5, steep10_m=300.0)
    runs += weeks_of(M0 + timedelta(weeks=5), [30.0], per_week=5, steep10_m=240.0)
    assert flag(assess_at(runs), "steep_downhill") is None  # no pain: 1.2 km is fine
    r = assess_at(runs, pain_entries=[pain(SUNDAY_W5 - timedelta(days=1), 4)])
    f = flag(r, "steep_downhill")
    assert f is not None and f.severity == "high"
    assert f.evidence["steep_downhill_7d_m"] == 1200.0 and f.evidence["worst_pain_7d"] == 4
    # 0.9 km with the same pain: under 1 km -> no flag
    runs_09 = five_runs_a_week(5, steep10_m=300.0)
    runs_09 += weeks_of(M0 + timedelta(weeks=5), [30.0], per_week=5, steep10_m=180.0)
    assert flag(assess_at(runs_09, pain_entries=[pain(SUNDAY_W5, 4)]), "steep_downhill") is None
    # pain of exactly 2/10 is acceptable: the pain rule does not apply
    assert flag(assess_at(runs, pain_entries=[pain(SUNDAY_W5, 2)]), "steep_downhill") is None


def test_steep_downhill_twice_usual_is_caution():
    # Usual 5 × 50 = 250 m/week; week 5: 5 × 120 = 600 m > 2 × 250 and >= 500 m floor -> caution
    runs = five_runs_a_week(5, steep10_m=50.0)
    runs += weeks_of(M0 + timedelta(weeks=5), [30.0], per_week=5, steep10_m=120.0)
    f = flag(assess_at(runs), "steep_downhill")
    assert f is not None and f.severity == "caution" and f.evidence["ratio"] == 2.4
    # 5 × 90 = 450 m: above 2 × usual but under the 500 m noise floor -> nothing
    runs2 = five_runs_a_week(5, steep10_m=40.0)
    runs2 += weeks_of(M0 + timedelta(weeks=5), [30.0], per_week=5, steep10_m=90.0)
    assert flag(assess_at(runs2), "steep_downhill") is None


# --- stairs_spike ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("last_week_per_day", "flagged"), [(16.0, True), (15.0, False)])
def test_stairs_spike(last_week_per_day, flagged):
    # 28 days of 10 floors down/day = 70/week usual; last 7 days 16/day = 112 > 1.5 × 70 = 105 -> flag;
    # 15/day = 105 exactly -> no (must be above).
    as_of = M0 + timedelta(days=34)
    entries = stair_days(M0, 28, 10.0) + stair_days(M0 + timedelta(days=28), 7, last_week_per_day)
    r = assess_at([], as_of=as_of, stair_entries=entries)
    f = flag(r, "stairs_spike")
    assert (f is not None) == flagged
    if flagged:
        assert f.evidence["floors_descended_7d"] == 112.0
        assert f.evidence["usual_weekly_floors_descended"] == 70.0
        assert advice(r, "avoid_downhill_stairs") is not None
    assert r.weeks[-1].floors_descended is not None


def test_stair_activity_counts_as_floors_and_sources_are_not_added():
    as_of = M0 + timedelta(days=34)
    entries = stair_days(M0, 35, 10.0)
    # A second source for the same day (e.g. monitoring FIT and Garmin) is the same staircase: max, not sum.
    entries.append(stairs(as_of, 12.0))
    # A stair-climbing activity descending 300 m = 100 floors (3 m per floor) on as_of; the watch's daily counter
    # (12) already includes part of it, so the day counts max(12, 100) = 100.
    climb = run(as_of, 0.0, descent_m=300.0, sport="floor_climbing", cadence=None)
    r = assess_at([climb], as_of=as_of, stair_entries=entries)
    f = flag(r, "stairs_spike")
    assert f is not None
    assert f.evidence["floors_descended_7d"] == 6 * 10.0 + 100.0
    # floors_up only (no floors_down): we assume the runner came back down
    only_up = [stairs(M0, None, floors_up=7.0)]
    daily = build_daily([], [], only_up, M0, DEFAULTS)
    assert daily.floors_down[daily.index(M0)] == 7.0


def test_a_stairs_spike_needs_30_floors_above_usual_and_14_baseline_days_with_data():
    as_of = M0 + timedelta(days=34)
    # 2 floors a day (14 a week), then 4 a day (28 a week): 2 × usual, but only 14 floors above it -> no flag
    small = stair_days(M0, 28, 2.0) + stair_days(M0 + timedelta(days=28), 7, 4.0)
    assert flag(assess_at([], as_of=as_of, stair_entries=small), "stairs_spike") is None
    # 10 days of stair data before the last 7 (under 14 of the 28): not judged, whatever the week
    short = stair_days(M0 + timedelta(days=18), 10, 10.0) + stair_days(M0 + timedelta(days=28), 7, 40.0)
    assert flag(assess_at([], as_of=as_of, stair_entries=short), "stairs_spike") is None
    # 14 days of it: judged (usual 70 a week; 280 > 1.5 × 70 and 210 above it)
    enough = stair_days(M0 + timedelta(days=14), 14, 10.0) + stair_days(M0 + timedelta(days=28), 7, 40.0)
    assert flag(assess_at([], as_of=as_of, stair_entries=enough), "stairs_spike") is not None


def test_stairs_need_some_history():
    as_of = M0 + timedelta(days=34)
    entries = stair_days(M0 + timedelta(days=28), 7, 50.0)  # a stair week with no history before it
    assert flag(assess_at([], as_of=as_of, stair_entries=entries), "stairs_spike") is None


# --- low_cadence -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cadence", "flagged"), [(168.0, True), (170.0, True), (171.0, False)])
def test_low_cadence(cadence, flagged):
    runs = [run(SUNDAY_W5 - timedelta(days=i), 8.0, cadence=cadence) for i in range(3)]
    r = assess_at(runs)
    f = flag(r, "low_cadence")
    assert (f is not None) == flagged
    a = advice(r, "raise_cadence")
    assert (a is not None) == flagged
    if cadence == 168.0:
        # +5 % and +10 %: 168 × 1.05 = 176.4, 168 × 1.10 = 184.8
        assert a.numbers["target_low_spm"] == 176.4 and a.numbers["target_high_spm"] == 184.8


def test_cadence_is_weighted_by_moving_time():
    # 30 min at 160 spm and 90 min at 176 spm: (160·30 + 176·90) / 120 = 172 -> no flag (the plain mean, 168, would)
    runs = [run(SUNDAY_W5, 6.0, cadence=160.0), run(SUNDAY_W5 - timedelta(days=1), 18.0, cadence=176.0)]
    assert flag(assess_at(runs), "low_cadence") is None
    # runs older than 7 days don't count
    old = [run(SUNDAY_W5 - timedelta(days=7), 8.0, cadence=150.0)]
    assert flag(assess_at(old), "low_cadence") is None


# --- local time and ISO weeks -----------------------------------------------------------------------------------------


def test_runs_are_cut_on_the_local_day_and_iso_week():
    # 00:30 on Monday of week 1 in UTC+2 is 22:30 UTC on Sunday of week 0: it belongs to week 1.
    monday_w1 = M0 + timedelta(weeks=1)
    early = run(monday_w1, 12.0, at=time(0, 30), offset_s=7200)
    assert early.start_utc.date() == monday_w1 - timedelta(days=1)
    assert early.local_day == monday_w1
    # 23:30 on Sunday of week 0 in UTC-5 is 04:30 UTC Monday: it belongs to week 0.
    late = run(monday_w1 - timedelta(days=1), 8.0, at=time(23, 30), offset_s=-5 * 3600)
    weeks = weekly_aggregates(build_daily([early, late], [], [], monday_w1 + timedelta(days=6), DEFAULTS), 2)
    assert [w.week for w in weeks] == ["2025-W10", "2025-W11"]
    assert [w.distance_km for w in weeks] == [8.0, 12.0]


def test_report_weeks_and_iso_week_label():
    runs = five_runs_a_week(6, descent_m=100.0)
    r = assess_at(runs, pain_entries=[pain(SUNDAY_W5, 3), pain(SUNDAY_W5 - timedelta(days=1), 1)])
    assert r.week == "2025-W15"  # M0 (3 March 2025) is W10, week 5 is W15
    assert len(r.weeks) == 8
    assert r.weeks[-1].week == "2025-W15" and r.weeks[0].week == "2025-W08"
    w = r.weeks[-1]
    assert (w.distance_m, w.distance_km, w.longest_run_m, w.descent_m, w.runs, w.worst_pain) == (
        30000.0,
        30.0,
        6000.0,
        500.0,
        5,
        3,
    )
    assert r.weeks[0].runs == 0 and r.weeks[0].worst_pain is None and r.weeks[0].floors_descended is None


def test_new_year_iso_week():
    r = assess([], [], [], PROFILE, DEFAULTS, date(2024, 12, 30))
    assert r.week == "2025-W01"


@pytest.mark.parametrize(
    ("sport", "sub", "kind"),
    [
        ("running", None, "run"),
        ("running", "trail", "run"),
        ("running", "treadmill", "run"),
        ("fitness_equipment", "treadmill", "run"),
        ("trail_running", None, "run"),
        ("Treadmill Running", None, "run"),
        ("walking", None, "on_foot"),
        ("hiking", None, "on_foot"),
        ("fitness_equipment", "indoor_walking", "on_foot"),
        ("floor_climbing", None, "stairs"),
        ("fitness_equipment", "stair_climbing", "stairs"),
        ("cycling", "road", "other"),
        ("swimming", "lap_swimming", "other"),
        ("fitness_equipment", "elliptical", "other"),
    ],
)
def test_activity_kind(sport, sub, kind):
    assert activity_kind(sport, sub) == kind


def test_a_hiker_without_runs_still_gets_downhill_spikes():
    # Weeks 0-4: one hike a week descending 300 m (usual 300 m/week); week 5: a 900 m hike -> 3 × usual
    hikes = [run(M0 + timedelta(weeks=w, days=5), 12.0, descent_m=300.0, sport="hiking") for w in range(5)]
    hikes.append(run(M0 + timedelta(weeks=5, days=5), 15.0, descent_m=900.0, sport="hiking"))
    f = flag(assess_at(hikes), "downhill_spike")
    assert f is not None and f.evidence["ratio"] == 3.0
    assert "run_descent_m" not in f.evidence  # the single-run rule is about runs
