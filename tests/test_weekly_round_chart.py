"""The weekly summary from one read of the history (issue 25 item 5) is the summary 13 separate reads give.

`summary_view` reads the history once (`read_history_span`) and assesses the 13 days its chart needs from that read.
Here the same summary is worked out the slow, independent way: one `assess_history` per day (each its own read of
the database, as the summary did before), the chart's bars put together from those reports by the rule the mail
states (a week's cap is the one given the Sunday before it; its threshold what the engine knew at its end), and the
labels, distances and pain scores from this test's own generated rows. The history: 17 weeks of runs in a time zone
west of UTC (a Sunday-night run is Monday in UTC), pain most weeks, a flare, and red flags — one that paused the
runner mid-chart and one two days before the mail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from stored import stand_in_source

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.domain.advice.summary import CHART_WEEKS, SummaryView, WeekPoint
from advisor.services.knee import PainInput, assess_history, log_pain
from advisor.services.summary import summary_view
from advisor.store.models import Activity

ZONE = "America/Los_Angeles"


@dataclass(frozen=True)
class Logged:
    """What the test wrote, to check the summary against without reading it back."""

    runs: list[tuple[date, float]]  # local day, km
    pain: list[tuple[date, int]]  # day, score, in the order logged


def generate(rt: Runtime, today: date, seed: int) -> Logged:
    """17 weeks of runs up to `today`, pain most weeks, a flare, a mid-chart red flag and one two days ago."""
    rng = random.Random(seed)
    tz = ZoneInfo(ZONE)
    now = datetime.now(UTC)
    runs: list[tuple[date, float]] = []
    with rt.db.transaction() as session:
        source_id = stand_in_source(session, rt.athlete_id, now)
        first = today - timedelta(weeks=17)
        for n in range((today - first).days + 1):
            day = first + timedelta(days=n)
            if rng.random() < 0.45:
                continue
            km = round(rng.uniform(3.0, 9.0 + n / 20), 2)
            # Late on a Sunday evening some weeks: Monday in UTC, Sunday for the runner.
            at = time(23, 10) if day.weekday() == 6 and rng.random() < 0.5 else time(7, 0)
            start = datetime.combine(day, at, tz)
            offset = int(start.utcoffset().total_seconds())  # type: ignore[union-attr]
            session.add(
                Activity(
                    athlete_id=rt.athlete_id,
                    source_file_id=source_id,
                    activity_key=f"run-{n}",
                    sport="running",
                    sub_sport="trail" if rng.random() < 0.3 else None,
                    name=f"run {n}",
                    start_utc=start.astimezone(UTC),
                    utc_offset_s=offset,
                    n_records=100,
                    distance_m=km * 1000,
                    elapsed_s=km * 360,
                    moving_s=km * 350,
                    ascent_m=km * 12,
                    descent_m=km * 12,
                    descent_steep5_m=km * 4,
                    distance_steep5_m=km * 60,
                    descent_steep10_m=km * 2,
                    distance_steep10_m=km * rng.choice([0, 10, 40]),
                    avg_cadence_spm=rng.choice([None, 158.0, 166.0, 172.0]),
                    avg_heart_rate=None,
                    load=km * 10,
                    load_method="duration",
                    excluded=False,
                )
            )
            runs.append((day, km))
    pain: list[tuple[date, int]] = []

    def pain_on(day: date, score: int, **signs: bool) -> None:
        log_pain(rt.db, rt.athlete_id, PainInput(score=score, when="after", day=day, **signs), today)
        pain.append((day, score))

    for week in range(17):
        monday = today - timedelta(days=today.weekday(), weeks=16 - week)
        for day in sorted(monday + timedelta(days=d) for d in rng.sample(range(7), rng.randrange(0, 4))):
            if day <= today - timedelta(days=3):
                pain_on(day, rng.choice([0, 1, 1, 2]))
    pain_on(today - timedelta(weeks=9, days=1), 5)  # a flare: the pain threshold is learnt from it
    last_weeks_chart = today - timedelta(days=today.weekday(), weeks=12)  # the first Monday of last week's chart
    pain_on(last_weeks_chart - timedelta(days=1), 1)  # the Sunday before it: not in the chart
    pain_on(last_weeks_chart, 2)  # its first day: in it
    pain_on(today - timedelta(weeks=6, days=2), 6, swelling=True)  # paused the runner mid-chart
    pain_on(today - timedelta(days=2), 3, giving_way=True)
    pain.sort(key=lambda p: p[0])  # the order the summary lists them in: by day, same-day in order logged
    return Logged(runs, pain)


def expected_chart(rt: Runtime, logged: Logged, monday: date, as_of: date) -> list[WeekPoint]:
    """The chart from one `assess_history` (one read) per day, its bars from this test's own rows."""
    first_monday = monday - timedelta(weeks=CHART_WEEKS - 1)
    days = [first_monday - timedelta(days=1)]
    days += [min(first_monday + timedelta(weeks=k, days=6), as_of) for k in range(CHART_WEEKS)]
    reports = [assess_history(rt.db, rt.athlete_id, rt.settings, day) for day in days]
    chart = []
    for k in range(CHART_WEEKS):
        start = first_monday + timedelta(weeks=k)
        end = min(start + timedelta(days=6), as_of)
        report = reports[k + 1]
        assert report.weeks[-1].start == start, "the report's last week is the chart's week"
        assert report.weeks[-1].distance_km == pytest.approx(
            sum(km for day, km in logged.runs if start <= day <= end), abs=0.006
        ), "the week's distance is what was run in it, the runner's local days"
        chart.append(
            WeekPoint(
                label=f"W{start.isocalendar().week:02d}",
                distance_km=report.weeks[-1].distance_km,
                cap_km=reports[k].caps.weekly_distance_km,
                threshold_km=report.pain_threshold.distance_7d_km,
                pain_scores=[score for day, score in logged.pain if start <= day <= end],
            )
        )
    return chart


def check(rt: Runtime, logged: Logged, view: SummaryView, today: date) -> None:
    """Every part of the view that comes from a report is the one separate reads give."""
    as_of = min(view.end, today)
    chart = expected_chart(rt, logged, view.start, as_of)
    assert view.chart == chart
    finished = assess_history(rt.db, rt.athlete_id, rt.settings, as_of)
    assert view.last_week == finished.weeks[-1]
    sunday_before = assess_history(rt.db, rt.athlete_id, rt.settings, view.start - timedelta(days=1))
    assert view.last_week_cap_km == sunday_before.caps.weekly_distance_km == chart[-1].cap_km
    assert view.last_week_next_run_cap_km == sunday_before.caps.next_run_km
    assert view.report == assess_history(rt.db, rt.athlete_id, rt.settings, today)
    assert [(p.day, p.score) for p in view.pain] == [(d, s) for d, s in logged.pain if view.start <= d <= as_of]
    assert view.red_flag == next((f for f in view.report.flags if f.code == "red_flag"), None)


@pytest.fixture
def rt(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", ZONE)
    runtime = Runtime(load_settings(database={"url": database_url}))
    yield runtime
    runtime.close()


def test_the_summary_from_one_read_is_the_summary_from_a_read_per_day(rt: Runtime) -> None:
    today = rt.settings.today()
    logged = generate(rt, today, seed=25)

    mailed = summary_view(rt)  # the daemon's: last week, built today (its advice from today's report)
    assert mailed.end < today
    check(rt, logged, mailed, today)
    assert mailed.red_flag is not None, "the giving way two days ago is in the advice"
    capped = [p.cap_km is not None for p in mailed.chart]
    assert capped[0] and capped.count(False) >= 4, "paused by the mid-chart red flag: no cap from then on"
    assert any(p.threshold_km is not None for p in mailed.chart), "a threshold learnt from the flare"
    assert sum(len(p.pain_scores) for p in mailed.chart) >= 10

    in_progress = summary_view(rt, week=f"{today.isocalendar().year}-W{today.isocalendar().week:02d}")
    check(rt, logged, in_progress, today)  # this week so far: the advice is the chart's last report

    past_monday = today - timedelta(days=today.weekday(), weeks=7)
    built_late = past_monday + timedelta(days=9)  # the Wednesday after that week
    late = summary_view(
        rt, week=f"{past_monday.isocalendar().year}-W{past_monday.isocalendar().week:02d}", today=built_late
    )
    check(rt, logged, late, built_late)
