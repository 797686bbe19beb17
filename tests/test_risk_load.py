"""weekly_spike: EWMA (Williams 2017) and uncoupled rolling acute:chronic ratios, checked against hand computations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from scenarios import DEFAULTS, PROFILE, daily_runs, flag

from advisor.domain.advice import assess
from advisor.domain.risk.aggregates import build_daily
from advisor.domain.risk.load import ewma_last, load_ratios

D0 = date(2025, 3, 3)


def test_ewma_recurrence_by_hand():
    # N = 3 -> lambda = 2 / (3 + 1) = 0.5; from 0: 0.5·10 = 5, then 0.5·5 = 2.5, then 1.25
    assert [ewma_last([10.0, 0.0, 0.0][: k + 1], 3, 0.0) for k in range(3)] == [5.0, 2.5, 1.25]
    # N = 7 -> lambda = 0.25: 0.25·8 + 0.75·4 = 5
    assert ewma_last([8.0], 7, 4.0) == 5.0


def test_ewma_and_rolling_ratio_after_a_doubled_week():
    # 28 days of 5 km, then 7 days of 10 km; as of the last day (35 days of history).
    runs = daily_runs(D0, 28, 5.0) + daily_runs(D0 + timedelta(days=28), 7, 10.0)
    as_of = D0 + timedelta(days=34)
    r = load_ratios(build_daily(runs, [], [], as_of, DEFAULTS), DEFAULTS)
    # Seed = mean of the first 28 days = 5000 m/day, so both EWMAs sit at 5000 until day 28.
    # Acute (lambda 0.25):  10000 - 5000 · 0.75^7    = 10000 - 5000 · 0.1334839 = 9332.58
    # Chronic (lambda 2/29): 10000 - 5000 · (27/29)^7 = 10000 - 5000 · 0.6064016 = 6967.99
    # Ratio 9332.58 / 6967.99 = 1.3394 -> above 1.3 (caution), not above 1.5.
    assert r.ewma_acute_m_per_day == pytest.approx(9332.6, abs=0.05)
    assert r.ewma_chronic_m_per_day == pytest.approx(6968.0, abs=0.05)
    assert r.ewma_ratio == pytest.approx(1.339, abs=0.0005)
    # Uncoupled rolling: last 7 days 70 km over the weekly mean of the 21 days before (105 km / 3 = 35 km) = 2.0
    assert r.rolling_acute_m == 70000.0
    assert r.rolling_chronic_weekly_m == 35000.0
    assert r.rolling_ratio == 2.0
    rep = assess(runs, [], [], PROFILE, DEFAULTS, as_of)
    f = flag(rep, "weekly_spike")
    assert f is not None and f.severity == "caution"
    assert f.evidence["evidence_strength"] == "weak"
    assert "weak evidence" in f.message


def test_tripled_week_is_high():
    # 28 days of 5 km, 7 days of 15 km:
    # acute 15000 - 10000·0.13348 = 13665.2; chronic 15000 - 10000·0.60640 = 8935.98; ratio 1.529 > 1.5 -> high
    runs = daily_runs(D0, 28, 5.0) + daily_runs(D0 + timedelta(days=28), 7, 15.0)
    rep = assess(runs, [], [], PROFILE, DEFAULTS, D0 + timedelta(days=34))
    assert rep.load.ewma_ratio == pytest.approx(1.529, abs=0.0005)
    assert flag(rep, "weekly_spike").severity == "high"


def test_steady_running_gives_ratio_one_and_no_flag():
    runs = daily_runs(D0, 60, 8.0)
    rep = assess(runs, [], [], PROFILE, DEFAULTS, D0 + timedelta(days=59))
    assert rep.load.ewma_ratio == 1.0 and rep.load.rolling_ratio == 1.0
    assert flag(rep, "weekly_spike") is None


def test_under_four_weeks_of_history_says_not_enough_history():
    # 27 days of history with a huge last week: no number, a reason, no flag.
    runs = daily_runs(D0, 20, 3.0) + daily_runs(D0 + timedelta(days=20), 7, 20.0)
    rep = assess(runs, [], [], PROFILE, DEFAULTS, D0 + timedelta(days=26))
    assert rep.load.history_days == 27
    assert rep.load.ewma_ratio is None and rep.load.rolling_ratio is None
    assert "Not enough history" in rep.load.reason
    assert flag(rep, "weekly_spike") is None
    # Day 28 of history: the ratio appears.
    rep28 = assess(runs, [], [], PROFILE, DEFAULTS, D0 + timedelta(days=27))
    assert rep28.load.history_days == 28 and rep28.load.ewma_ratio is not None and rep28.load.reason is None


def test_no_running_at_all():
    rep = assess([], [], [], PROFILE, DEFAULTS, D0)
    assert rep.load.history_days == 0 and rep.load.ewma_ratio is None and rep.load.reason
