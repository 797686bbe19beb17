"""session_spike and the next-run cap (PRODUCT.md: Frandsen et al. 2025 tiers; cap 1.10 × longest non-spike run)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from scenarios import DEFAULTS, PROFILE, advice, flag, run

from advisor.domain.advice import assess
from advisor.domain.risk.spikes import session_spikes, spike_tier
from advisor.domain.risk.thresholds import Thresholds

D0 = date(2025, 3, 3)  # a Monday


def month_longest_10km() -> list:
    """Runs every other day for 30 days (days 0, 2, ..., 28), cycling 10, 6, 8, 6 km.

    The first run is 10 km, so nothing after it is a spike (none is longer) and the longest run of the month is
    10 km. Weekly totals are ~26-30 km, so the weekly cap (1.1 × that) never binds the next-run cap.
    """
    pattern = [10.0, 6.0, 8.0, 6.0]
    return [run(D0 + timedelta(days=2 * i), pattern[i % 4]) for i in range(15)]


def report(runs, as_of, **kw):
    return assess(runs, kw.get("pain", []), kw.get("stairs", []), PROFILE, kw.get("t", DEFAULTS), as_of)


def test_after_a_month_with_longest_run_10_km_the_next_run_cap_is_11_km():
    runs = month_longest_10km()
    as_of = D0 + timedelta(days=29)
    r = report(runs, as_of)
    # 1.10 × 10 km = 11 km
    assert r.caps.next_run_m == 11000.0
    assert r.caps.next_run_km == 11.0
    assert r.caps.next_run_basis == "longest_run"
    assert advice(r, "cap_next_run").numbers["cap_m"] == 11000.0
    assert flag(r, "session_spike") is None


def test_a_21_km_run_the_next_day_is_a_large_spike_and_does_not_raise_the_cap():
    runs = month_longest_10km()
    day30 = D0 + timedelta(days=30)
    runs.append(run(day30, 21.0))
    r = report(runs, day30)
    f = flag(r, "session_spike")
    # 21 / 10 = 2.1 -> +110 % > 100 % -> large, severity high
    assert f is not None and f.severity == "high"
    assert f.evidence["tier"] == "large"
    assert f.evidence["increase_pct"] == 110.0
    assert f.evidence["baseline_longest_run_m"] == 10000.0
    # The spike is excluded from the baseline: the cap stays 1.1 × 10 km.
    assert r.caps.next_run_m == 11000.0

    # Two days later a 15 km run: spikes are judged against the longest of all runs of the 30 days before
    # (Frandsen 2025), here the 21 km, so it is no spike; it is the longest non-spike run, so the cap is 16.5 km.
    day32 = D0 + timedelta(days=32)
    runs.append(run(day32, 15.0))
    r2 = report(runs, day32)
    spikes = {s.run.distance_m: s for s in session_spikes(sorted(runs, key=lambda x: x.start_utc), DEFAULTS)}
    assert spikes[15000.0].tier is None and spikes[15000.0].baseline_m == 21000.0
    assert r2.caps.next_run_m == 16500.0
    f2 = flag(r2, "session_spike")
    assert f2.evidence["spike_runs_last_7_days"] == 1
    assert f2.evidence["tier"] == "large"  # the 21 km of this week is still shown


@pytest.mark.parametrize(
    ("km", "tier"),
    [
        (10.5, None),
        (11.0, None),  # exactly +10 %: no spike (the tier's lower bound is exclusive)
        (11.01, "small"),
        (13.0, "small"),  # exactly +30 %: still small
        (13.01, "moderate"),
        (20.0, "moderate"),  # exactly +100 %: still moderate
        (20.01, "large"),
    ],
)
def test_tier_boundaries(km, tier):
    # a first run 20 days before: PRODUCT.md judges a run only when 14 of the 30 days before it are covered
    runs = [run(D0 - timedelta(days=20), 10.0), run(D0, 10.0), run(D0 + timedelta(days=1), km)]
    spikes = session_spikes(runs, DEFAULTS)
    assert spikes[0].baseline_m is None and spikes[0].tier is None
    assert spikes[2].baseline_m == 10000.0
    assert spikes[2].tier == tier
    r = report(runs, D0 + timedelta(days=1))
    f = flag(r, "session_spike")
    assert (f is None) == (tier is None)


def test_spike_tier_function_matches_table():
    t = Thresholds()
    assert spike_tier(10.0, t) is None
    assert spike_tier(10.1, t) == "small"
    assert spike_tier(30.0, t) == "small"
    assert spike_tier(30.1, t) == "moderate"
    assert spike_tier(100.0, t) == "moderate"
    assert spike_tier(100.1, t) == "large"


def test_no_run_in_the_previous_30_days_means_no_flag_not_a_number():
    runs = [run(D0, 5.0), run(D0 + timedelta(days=31), 20.0)]
    spikes = session_spikes(runs, DEFAULTS)
    assert spikes[1].baseline_m is None and spikes[1].increase_pct is None and spikes[1].tier is None
    r = report(runs, D0 + timedelta(days=31))
    assert flag(r, "session_spike") is None
    # ... and a month without running is a break: the restart is graded, not built on the 20 km run
    assert r.return_to_run is not None and r.return_to_run.cause == "break"
    assert r.caps.next_run_m < 20000.0


def test_exactly_30_days_before_is_inside_the_lookback():
    runs = [run(D0, 5.0), run(D0 + timedelta(days=30), 20.0)]
    assert session_spikes(runs, DEFAULTS)[1].baseline_m == 5000.0


def test_only_runs_strictly_before_the_start_count():
    # Same day: morning 10 km, evening 12 km -> the evening run is compared with the morning one (+20 %, small).
    # (A 5 km run 20 days before gives the history the 14 covered days a run is judged on.)
    earlier = run(D0 - timedelta(days=20), 5.0)
    runs = [earlier, run(D0, 10.0, at=time(7)), run(D0, 12.0, at=time(18))]
    s = session_spikes(runs, DEFAULTS)
    assert s[0].baseline_m is None
    assert s[2].baseline_m == 10000.0 and s[2].tier == "small"
    # Two runs with the very same start are not compared with each other, only with what came before.
    same = [earlier, run(D0, 10.0, at=time(7)), run(D0, 30.0, at=time(7))]
    assert [x.baseline_m for x in session_spikes(same, DEFAULTS)] == [None, 5000.0, 5000.0]


def test_a_run_in_the_first_14_days_of_the_history_is_not_judged():
    """PRODUCT.md "History coverage": with under 14 covered days before it, a run has no baseline yet."""
    runs = [run(D0, 5.0), run(D0 + timedelta(days=13), 12.0), run(D0 + timedelta(days=14), 16.0)]
    s = session_spikes(runs, DEFAULTS)
    assert s[1].baseline_m is None and s[1].tier is None  # 13 days in: not judged
    assert s[2].baseline_m == 12000.0 and s[2].tier == "moderate"  # 14 days in: +33 % over the 12 km


def test_walks_and_rides_are_not_runs_for_spikes():
    runs = [
        run(D0, 10.0),
        run(D0 + timedelta(days=1), 40.0, sport="cycling"),
        run(D0 + timedelta(days=2), 25.0, sport="hiking"),
    ]
    r = report(runs, D0 + timedelta(days=2))
    assert flag(r, "session_spike") is None
    assert r.caps.next_run_m == 11000.0


def test_next_run_cap_is_below_the_single_run_pain_threshold():
    from scenarios import pain

    runs = month_longest_10km()
    as_of = D0 + timedelta(days=29)
    # Pain 4/10 after the run on day 26: that is run 13 of the pattern (13 % 4 = 1 -> 6 km).
    pain_day = D0 + timedelta(days=26)
    assert next(r for r in runs if r.local_day == pain_day).distance_m == 6000.0
    r = report(runs, as_of, pain=[pain(pain_day, 4)])
    # single-run threshold 6 km -> next run <= 0.9 × 6 km = 5.4 km (below 11 km from the longest-run rule)
    assert r.pain_threshold.single_run_m == 6000.0
    assert r.caps.next_run_m == 5400.0
    assert r.caps.next_run_basis == "single_run_pain_threshold"
