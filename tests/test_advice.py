"""Advice: see_clinician and the red-flag pause, rest days, footwear, the rehab routine data, the report shape."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from scenarios import DEFAULTS, PROFILE, advice, codes, daily_runs, flag, pain, weeks_of

from advisor.domain.advice import ADVICE_ORDER, DISCLAIMER, assess, rehab_routine
from advisor.domain.risk.model import Assessment, Profile, RehabSession
from advisor.domain.risk.thresholds import Thresholds

M0 = date(2025, 3, 3)
AS_OF = M0 + timedelta(days=41)


def history():
    return daily_runs(M0, 42, 6.0)


@pytest.mark.parametrize("sign", ["swelling", "locking", "giving_way", "rest_or_night_pain"])
def test_red_flag_yields_see_clinician_first_and_pauses_running_advice(sign):
    entries = [pain(AS_OF - timedelta(days=2), 0, **{sign: True})]
    r = assess(history(), entries, [], Profile(flat_feet=True), DEFAULTS, AS_OF)
    assert r.flags[0].code == "red_flag" and r.flags[0].severity == "high"
    assert r.flags[0].evidence[sign] is True
    # the referral, the phase (paused), no running, and only the clinician's exercises or hip work
    assert codes(r.advice) == ["see_clinician", "phase", "today", "rehab_routine"]
    rehab = advice(r, "rehab_routine")
    assert rehab.message.startswith("Follow your clinician's exercises") and "no step-downs" in rehab.message
    assert r.phase.code == "paused" and r.today.kind == "rest"
    assert r.advice[0].numbers["urgent"] is True
    assert r.paused and r.paused_reason
    assert r.caps.weekly_distance_m is None and r.caps.next_run_m is None
    assert r.caps.weekly_reason.startswith("Running advice is paused")


def test_an_unassessed_red_flag_never_expires_silently():
    """PRODUCT.md phase 1: after the 14 urgent days with no assessment the referral stays, not urgent, and running
    stays paused until the runner logs a check with none of the signs; then it restarts only through
    return_to_run. A check inside the 14 days does not count, and after locking only a clinician restarts running."""
    swelling = [pain(AS_OF - timedelta(days=DEFAULTS.red_flag_days), 1, swelling=True)]
    r = assess(history(), swelling, [], PROFILE, DEFAULTS, AS_OF)
    assert flag(r, "red_flag") is not None and r.paused and r.phase.code == "paused"
    assert r.advice[0].code == "see_clinician" and r.advice[0].numbers["urgent"] is False
    assert "--no-red-flags" in r.advice[0].message and "none of the signs" in r.phase.exit
    assert r.return_to_run is None and r.caps.weekly_distance_m is None
    early_check = [*swelling, pain(AS_OF - timedelta(days=3), 0, "morning", no_red_flags=True)]
    assert assess(history(), early_check, [], PROFILE, DEFAULTS, AS_OF).paused
    entries = [*swelling, pain(AS_OF, 0, "morning", no_red_flags=True)]
    r = assess(history(), entries, [], PROFILE, DEFAULTS, AS_OF)
    assert flag(r, "red_flag") is not None and not r.paused and r.phase.code == "return"
    assert r.advice[0].code == "see_clinician" and r.advice[0].numbers["urgent"] is False
    assert r.return_to_run is not None and advice(r, "return_to_run") is not None
    # 6 km a day from M0, no pain scores, swelling on day 27: the reference is the usual week of the 4 weeks before
    # the flag, over the covered ones (days 6..26: 3 full weeks of 42 km; days -1..5 start before the history) =
    # 42 km; the first week is half of it, 21 km
    assert r.return_to_run.reference_m == pytest.approx(42_000) and r.caps.weekly_distance_m == 21_000
    locking = [pain(AS_OF - timedelta(days=20), 1, locking=True), pain(AS_OF, 0, "morning", no_red_flags=True)]
    r = assess(history(), locking, [], PROFILE, DEFAULTS, AS_OF)
    assert r.paused and "only a clinician" in r.phase.exit and r.return_to_run is None


def test_a_clearance_ends_the_pause_and_not_cleared_keeps_it():
    swelling = [pain(AS_OF - timedelta(days=3), 1, "morning", swelling=True)]
    cleared = [Assessment(id=1, day=AS_OF - timedelta(days=1), cleared=True)]
    r = assess(history(), swelling, [], PROFILE, DEFAULTS, AS_OF, cleared)
    assert flag(r, "red_flag") is None and not r.paused and advice(r, "see_clinician") is None
    assert r.return_to_run is not None and r.return_to_run.cause == "clearance"
    waiting = [Assessment(id=1, day=AS_OF - timedelta(days=1), cleared=False)]
    r = assess(history(), swelling, [], PROFILE, DEFAULTS, AS_OF, waiting)
    assert r.paused and codes(r.advice) == ["see_clinician", "phase", "today", "rehab_routine"]
    assert r.phase.code == "paused"
    assert r.advice[0].numbers == {"reasons": "awaiting_clearance", "urgent": False, "same_day": False}
    # A clearance with no open red flag changes nothing but the log.
    plain = assess(history(), [], [], PROFILE, DEFAULTS, AS_OF)
    assert assess(history(), [], [], PROFILE, DEFAULTS, AS_OF, cleared).caps == plain.caps


def test_pain_not_improving_over_three_weeks():
    # Pain events in each of the last 3 ISO weeks (W13, W14, W15), worst 4 -> 4 -> 5: flag. The runner kept running
    # 42 km weeks over the step-back caps and logged no rehab, so the advice says what to change first, and with
    # pain in only 3 of the last 6 weeks it does not refer yet. The 5/10 six days ago is not settled: Settle.
    entries = [pain(AS_OF - timedelta(days=d), score) for d, score in ((20, 4), (13, 4), (6, 5))]
    r = assess(history(), entries, [], PROFILE, DEFAULTS, AS_OF)
    f = flag(r, "pain_not_improving")
    assert f is not None and f.evidence["worst_score_week_1"] == 4 and f.evidence["worst_score_week_3"] == 5
    assert advice(r, "see_clinician") is None and not r.paused
    assert "first do the strength routine" in advice(r, "rehab_routine").message
    assert "easing off" not in " ".join(a.message for a in r.advice)
    # Pain in a 4th of the last 6 weeks (W12): refer anyway.
    more = [*entries, pain(AS_OF - timedelta(days=27), 3)]
    r = assess(history(), more, [], PROFILE, DEFAULTS, AS_OF)
    assert r.advice[0].code == "see_clinician" and r.advice[0].numbers["reasons"] == "pain_not_improving"
    # Improving 5 -> 4 -> 3: no flag; a silent week: no trend
    better = [pain(AS_OF - timedelta(days=d), score) for d, score in ((20, 5), (13, 4), (6, 3))]
    assert flag(assess(history(), better, [], PROFILE, DEFAULTS, AS_OF), "pain_not_improving") is None
    gap = [pain(AS_OF - timedelta(days=20), 4), pain(AS_OF - timedelta(days=6), 5)]
    assert flag(assess(history(), gap, [], PROFILE, DEFAULTS, AS_OF), "pain_not_improving") is None


def test_new_pain_gets_see_clinician_once_before_starting():
    # a first event of 5/10 is not settled (PRODUCT.md: ≥ 5/10): get it checked; 4/10 and settled: watch only
    r = assess(history(), [pain(AS_OF - timedelta(days=1), 5)], [], PROFILE, DEFAULTS, AS_OF)
    assert r.advice[0].code == "see_clinician" and r.advice[0].numbers["reasons"] == "new_pain"
    assert r.advice[0].numbers["urgent"] is False
    assert (
        advice(assess(history(), [pain(AS_OF - timedelta(days=1), 4)], [], PROFILE, DEFAULTS, AS_OF), "see_clinician")
        is None
    )
    # The same pain when the first event was 30 days ago is not new.
    old = [pain(AS_OF - timedelta(days=30), 3), pain(AS_OF - timedelta(days=1), 4)]
    assert advice(assess(history(), old, [], PROFILE, DEFAULTS, AS_OF), "see_clinician") is None


def test_rest_days_and_a_5_10_flare_is_settle_not_a_rest_day_more():
    assert assess(history(), [], [], PROFILE, DEFAULTS, AS_OF).caps.rest_days == 1
    r4 = assess(history(), [pain(AS_OF, 4)], [], PROFILE, DEFAULTS, AS_OF)
    assert r4.caps.rest_days == 1 and r4.phase.code == "build"
    # PRODUCT.md "The advice": a 5/10 is not settled — phase 2, Settle: no running at all (it used to be "two rest
    # days" and caps 10 % lower), cross-training in its place, and today no run
    r5 = assess(history(), [pain(AS_OF, 5)], [], PROFILE, DEFAULTS, AS_OF)
    assert r5.phase.code == "settle" and r5.phase.since == AS_OF and r5.today.kind == "cross_train"
    assert r5.caps.weekly_distance_m is None and r5.caps.next_run_m is None and r5.caps.rest_days is None
    assert advice(r5, "cross_train") is not None and advice(r5, "cap_weekly_distance") is None


def test_settle_swaps_loaded_knee_work_for_the_wall_sit():
    """PRODUCT.md: in Settle, step 3 (partial squats, step-downs) is replaced by step 1's wall sit. Four weeks of 3
    strength sessions earn step 3; then 3/10 after a run and 3/10 the next morning: not settled, Settle."""
    log = [RehabSession(day=M0 + timedelta(weeks=w, days=2 * i)) for w in range(4) for i in range(3)]
    flare = [pain(AS_OF - timedelta(days=1), 3), pain(AS_OF, 3, "morning")]
    r = assess(history(), flare, [], PROFILE, DEFAULTS, AS_OF, rehab=log)
    assert r.phase.code == "settle" and r.rehab_progress.step == 3
    rehab = advice(r, "rehab_routine")
    assert "wall sit instead of the squats and step-downs" in rehab.message
    assert rehab.numbers["variant"] == "wall_sit_for_loaded_knee_work"
    calm = assess(history(), [], [], PROFILE, DEFAULTS, AS_OF, rehab=log)
    assert calm.phase.code == "build" and advice(calm, "rehab_routine").numbers["variant"] is None


def test_footwear_only_for_flat_feet():
    assert advice(assess(history(), [], [], PROFILE, DEFAULTS, AS_OF), "footwear") is None
    a = advice(assess(history(), [], [], Profile(flat_feet=True), DEFAULTS, AS_OF), "footwear")
    assert a is not None and "arch support" in a.message
    b = advice(assess(history(), [], [], Profile(flat_feet=True, orthotics=True), DEFAULTS, AS_OF), "footwear")
    assert "orthotics" in b.message


def test_female_profile_shifts_rehab_emphasis_never_the_thresholds():
    entries = [pain(AS_OF - timedelta(days=3), 4)]
    female = assess(history(), entries, [], Profile(sex="female"), DEFAULTS, AS_OF)
    male = assess(history(), entries, [], Profile(sex="male"), DEFAULTS, AS_OF)
    assert female.rehab.emphasis is not None and "hip" in female.rehab.emphasis.text
    assert male.rehab.emphasis is None
    assert advice(female, "rehab_routine").numbers["emphasis"] == "hip_and_quad_strength"
    assert female.caps == male.caps
    assert female.flags == male.flags
    assert female.pain_threshold == male.pain_threshold


def test_rehab_routine_is_complete_data():
    rt = rehab_routine()
    st = rt.strength
    assert (st.sets, st.reps, st.days_per_week) == (3, 15, 3)
    assert "band" in st.equipment and "bodyweight" in st.equipment
    assert [m.id for m in st.moves] == ["clamshell", "donkey_kick", "fire_hydrant", "straight_leg_raise"]
    slr = st.moves[-1]
    assert slr.hold_s == (3, 4)
    assert [s.id for s in rt.stretches.items] == ["hamstring_stretch", "running_lunge", "figure_four"]
    assert [a.id for a in rt.foam_rolling.areas] == ["glutes", "it_band", "quads", "hamstrings"]
    for item in (*st.moves, *rt.stretches.items, *rt.foam_rolling.areas):
        assert item.steps and all(s.strip() for s in item.steps), item.id
        assert item.why.strip(), item.id


def test_advice_order_and_every_item_has_code_message_numbers():
    runs = weeks_of(M0, [35.0] * 4 + [45.0], per_week=7, cadence=165.0, descent_m=100.0)
    # two settled events 4 days apart, the first of the history: new pain that came back → see a clinician
    entries = [pain(M0 + timedelta(days=34), 4), pain(M0 + timedelta(days=30), 3), pain(M0 + timedelta(days=6), 0)]
    r = assess(runs, entries, [], Profile(flat_feet=True), DEFAULTS, M0 + timedelta(days=34))
    got = codes(r.advice)
    assert got == sorted(got, key=ADVICE_ORDER.index)
    # this scenario triggers every piece of advice but return_to_run, which replaces the two cap items
    assert set(got) == set(ADVICE_ORDER) - {"return_to_run"}
    for a in r.advice:
        assert a.message and a.message[0].isupper()
        assert isinstance(a.numbers, dict)


def test_report_json_shape_is_stable():
    r = assess(history(), [pain(AS_OF, 3)], [], PROFILE, DEFAULTS, AS_OF)
    doc = r.model_dump(mode="json")
    assert list(doc) == [
        "as_of",
        "week",
        "window_start",
        "weeks",
        "phase",
        "today",
        "coverage",
        "flags",
        "advice",
        "caps",
        "return_to_run",
        "pain_threshold",
        "load",
        "rehab",
        "rehab_progress",
        "paused",
        "paused_reason",
        "newest_data",
        "disclaimer",
    ]
    assert doc["as_of"] == AS_OF.isoformat() and doc["week"] == "2025-W15"
    assert set(doc["weeks"][0]) >= {
        "week",
        "distance_m",
        "distance_km",
        "longest_run_m",
        "descent_m",
        "steep_downhill_km",
        "floors_descended",
        "worst_pain",
        "runs",
    }
    assert set(doc["caps"]) >= {"weekly_distance_m", "next_run_m", "weekly_reason", "next_run_reason", "rest_days"}
    assert set(doc["flags"][0]) == {"code", "severity", "message", "evidence", "source"}
    assert set(doc["advice"][0]) == {"code", "message", "numbers", "source"}
    assert "not a diagnosis" in doc["disclaimer"] and doc["disclaimer"] == DISCLAIMER


def test_thresholds_defaults_and_descriptions():
    t = Thresholds()
    assert (t.session_spike_small_pct, t.session_spike_moderate_pct, t.session_spike_large_pct) == (10, 30, 100)
    assert t.session_lookback_days == 30 and t.next_run_factor == 1.10
    assert (t.ewma_acute_days, t.ewma_chronic_days, t.acwr_high, t.acwr_caution) == (7, 28, 1.5, 1.3)
    assert t.min_history_days == 28 and t.baseline_days == 28
    assert (t.downhill_week_factor, t.downhill_run_factor) == (1.5, 2.0)
    assert (t.steep_downhill_with_pain_m, t.steep_downhill_factor) == (1000, 2.0)
    assert t.stairs_week_factor == 1.5 and t.metres_per_floor == 3.0
    assert t.pain_acceptable == 2 and t.low_cadence_spm == 170
    assert (t.weekly_step_up_pct, t.threshold_factor) == (10, 0.9)
    assert (t.rest_days, t.rest_days_after_pain, t.rest_days_pain_score) == (1, 2, 5)
    assert (t.pain_window_weeks, t.not_improving_weeks) == (12, 3)
    for name, field in Thresholds.model_fields.items():
        assert field.description and len(field.description) > 20, name
    with pytest.raises(ValidationError):
        Thresholds(acwr_hgih=2.0)  # a typo in [thresholds] is an error, not silently ignored
