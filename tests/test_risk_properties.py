"""Invariants of `assess` over random histories (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenarios import DEFAULTS, pain, run, stairs

from advisor.domain.advice import ADVICE_ORDER, assess
from advisor.domain.risk.aggregates import HISTORY_DAYS
from advisor.domain.risk.flags import FLAG_ORDER
from advisor.domain.risk.model import Profile

D0 = date(2025, 1, 6)
SPAN = 90

run_st = st.builds(
    lambda d, km, desc, steep, cad, sport: run(
        D0 + timedelta(days=d), km, descent_m=desc, steep10_m=steep, cadence=cad, sport=sport
    ),
    st.integers(0, SPAN - 1),
    st.floats(0.5, 35.0),
    st.floats(0.0, 900.0),
    st.floats(0.0, 2500.0),
    st.one_of(st.none(), st.floats(150.0, 190.0)),
    st.sampled_from(["running", "running", "running", "trail_running", "hiking", "cycling", "floor_climbing"]),
)
pain_st = st.builds(
    lambda d, score, when: pain(D0 + timedelta(days=d), score, when),
    st.integers(0, SPAN - 1),
    st.integers(0, 10),
    st.sampled_from(["during", "after", "morning"]),
)
stairs_st = st.builds(lambda d, f: stairs(D0 + timedelta(days=d), f), st.integers(0, SPAN - 1), st.floats(0.0, 60.0))
swelling_st = st.builds(
    lambda d, score: pain(D0 + timedelta(days=d), score, "after", swelling=True),
    st.integers(0, SPAN - 1),
    st.integers(0, 10),
)
history_st = st.tuples(
    st.lists(run_st, max_size=60),
    st.lists(pain_st, max_size=25),
    st.lists(stairs_st, max_size=30),
    st.integers(20, SPAN - 1),  # as_of offset
    st.sampled_from(["female", "male", "unspecified"]),
    st.booleans(),
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assess(runs, entries, stair_days, as_of_i, sex, flat):
    return assess(runs, entries, stair_days, Profile(sex=sex, flat_feet=flat), DEFAULTS, D0 + timedelta(days=as_of_i))


@SETTINGS
@given(history_st)
def test_weekly_cap_never_exceeds_90_percent_of_a_known_pain_threshold(h):
    r = _assess(*h)
    thr = r.pain_threshold.distance_7d_m
    if thr is not None and r.caps.weekly_distance_m is not None:
        # threshold is reported to 0.1 m; caps are floored to whole metres
        assert r.caps.weekly_distance_m <= DEFAULTS.threshold_factor * thr + 0.05
    single = r.pain_threshold.single_run_m
    if single is not None and r.caps.next_run_m is not None:
        assert r.caps.next_run_m <= DEFAULTS.threshold_factor * single + 0.05
    if r.caps.next_run_m is not None and r.caps.weekly_distance_m is not None:
        assert r.caps.next_run_m <= r.caps.weekly_distance_m


@SETTINGS
@given(history_st)
def test_no_flag_without_evidence_and_stable_codes(h):
    r = _assess(*h)
    for f in r.flags:
        assert f.code in FLAG_ORDER
        assert f.severity in ("info", "caution", "high")
        assert f.message.strip()
        assert f.evidence and any(v is not None for v in f.evidence.values())
    assert len({f.code for f in r.flags}) == len(r.flags)
    got = [a.code for a in r.advice]
    assert got == sorted(got, key=ADVICE_ORDER.index)
    if "see_clinician" in got:
        assert got[0] == "see_clinician"
    assert "phase" in got and "today" in got  # always
    if r.paused:
        assert got == ["see_clinician", "phase", "today"] and r.phase.code == "paused"
    elif r.phase.code == "settle":
        assert {"cross_train", "rehab_routine"} <= set(got) and not {"cap_weekly_distance", "cap_next_run"} & set(got)
    elif r.return_to_run is not None:
        assert {"return_to_run", "rest_day", "rehab_routine"} <= set(got)
    else:
        assert {"cap_weekly_distance", "cap_next_run", "rest_day", "rehab_routine"} <= set(got)
    for f in r.flags:
        assert f.source.strip()
    for a in r.advice:
        assert a.source.strip()


@SETTINGS
@given(history_st, st.randoms(use_true_random=False))
def test_same_data_and_as_of_give_the_same_output_in_any_order(h, rnd):
    runs, entries, stair_days, *rest = h
    first = _assess(runs, entries, stair_days, *rest).model_dump(mode="json")
    assert _assess(runs, entries, stair_days, *rest).model_dump(mode="json") == first
    shuffled = [list(x) for x in (runs, entries, stair_days)]
    for x in shuffled:
        rnd.shuffle(x)
    assert _assess(*shuffled, *rest).model_dump(mode="json") == first


@SETTINGS
@given(
    history_st,
    st.lists(run_st, max_size=15),
    st.lists(pain_st | swelling_st, max_size=10),
    st.lists(stairs_st, max_size=10),
)
def test_data_after_as_of_never_changes_the_result(h, more_runs, more_pain, more_stairs):
    runs, entries, stair_days, as_of_i, *rest = h
    as_of = D0 + timedelta(days=as_of_i)
    base = _assess(runs, entries, stair_days, as_of_i, *rest).model_dump(mode="json")
    later_runs = [r for r in more_runs if r.local_day > as_of]
    later_pain = [p for p in more_pain if p.day > as_of]
    later_stairs = [s for s in more_stairs if s.day > as_of]
    after = _assess(runs + later_runs, entries + later_pain, stair_days + later_stairs, as_of_i, *rest)
    assert after.model_dump(mode="json") == base


@SETTINGS
@given(history_st, st.integers(0, DEFAULTS.red_flag_days - 1), st.integers(0, 10))
def test_swelling_always_yields_see_clinician_first(h, days_ago, score):
    runs, entries, stair_days, as_of_i, *rest = h
    swollen = pain(D0 + timedelta(days=as_of_i - days_ago), score, "after", swelling=True)
    r = _assess(runs, [*entries, swollen], stair_days, as_of_i, *rest)
    # Inside the pause (14 days from the report, no assessment since): urgent referral, running advice paused.
    assert r.advice[0].code == "see_clinician" and r.advice[0].numbers["urgent"] is True
    assert r.flags[0].code == "red_flag"
    assert r.paused


# --- advice never contradicts itself (PRODUCT.md "Advice never contradicts itself") ------------------------------


@SETTINGS
@given(history_st)
def test_advice_never_contradicts_itself(h):
    runs, _, _, as_of_i, *_ = h
    as_of = D0 + timedelta(days=as_of_i)
    r = _assess(*h)
    last_7 = sum(x.distance_m for x in runs if x.kind == "run" and as_of - timedelta(days=6) <= x.local_day <= as_of)
    caps = r.caps
    codes = [f.code for f in r.flags]
    if caps.weekly_distance_m is not None:
        # no step-up in a report that raises weekly_spike; no step back to more than the runner has been doing
        if "weekly_spike" in codes:  # in Return, against 1.10 × its reference (PRODUCT.md)
            assert caps.weekly_distance_m <= last_7 + 0.5
        if caps.weekly_basis == "step_back":
            assert caps.weekly_distance_m <= last_7 + 0.5
        if caps.next_run_m is not None:
            assert caps.next_run_m <= caps.weekly_distance_m
            # a weekly cap the next-run cap and rest days make unreachable is never given
            assert caps.weekly_distance_m <= caps.next_run_m * (7 - caps.rest_days) + 1.0
    if r.return_to_run is not None:
        # rest days consistent with running every other day; each run at most a third of the week
        assert caps.rest_days == 3
        assert caps.next_run_m is not None and caps.next_run_m <= r.return_to_run.cap_m / 3 + 1.0
        assert caps.weekly_distance_m == r.return_to_run.cap_m
        assert r.return_to_run.cap_m < r.return_to_run.reference_m
    sentences = [a.message for a in r.advice] + [f.message for f in r.flags]
    assert len(sentences) == len(set(sentences))
    for number in (caps.weekly_distance_m, caps.next_run_m, caps.cross_train_min):
        assert number is None or (number >= 0 and number == number and number != float("inf"))


old_run_st = st.builds(
    lambda d, km: run(D0 - timedelta(days=d), km),
    st.integers(HISTORY_DAYS - 60, HISTORY_DAYS + 400),
    st.floats(0.5, 40.0),
)


@SETTINGS
@given(history_st, st.lists(old_run_st, max_size=40))
def test_as_of_does_not_depend_on_where_the_history_starts(h, old_runs):
    """Runs and stair days older than the engine's window change nothing, wherever the stored history starts."""
    runs, entries, stair_days, as_of_i, *rest = h
    as_of = D0 + timedelta(days=as_of_i)
    everything = runs + old_runs
    cut = as_of - timedelta(days=HISTORY_DAYS - 1)
    recent = [x for x in everything if x.local_day >= cut]
    full = _assess(everything, entries, stair_days, as_of_i, *rest).model_dump(mode="json")
    assert _assess(recent, entries, stair_days, as_of_i, *rest).model_dump(mode="json") == full
