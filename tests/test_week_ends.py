"""The chart's kept week ends are what the engine says now (issue 25 item 5): a day's numbers are kept under a
digest of everything its report read, so whatever changes afterwards — a pain score logged late for an old day, a
run excluded, new thresholds — the chart that uses them is the chart computed from scratch, and only the days the
change reaches are assessed again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from test_weekly_round_chart import ZONE, Logged, check, generate

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.domain.advice.summary import CHART_WEEKS
from advisor.services.corrections import exclude_activity
from advisor.services.knee import PainInput, log_pain
from advisor.services.summary import summary_view
from advisor.store.models import Activity


def kept(rt: Runtime) -> dict[date, str]:
    """The kept days and their digests."""
    with rt.db.read() as reader:
        rows = reader.rows("SELECT day, digest FROM week_ends WHERE athlete_id = :a", a=rt.athlete_id)
        return {reader.day(day): str(digest) for day, digest in rows}  # type: ignore[misc]


@pytest.fixture
def rt(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", ZONE)
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    runtime = Runtime(load_settings())
    yield runtime
    runtime.close()


def test_kept_week_ends_follow_every_change_of_what_they_came_from(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = rt.settings.today()
    logged = generate(rt, today, seed=7)
    first = summary_view(rt)
    check(rt, logged, first, today)
    days = kept(rt)
    assert len(days) == CHART_WEEKS + 1, "each week's end and the Sunday before the first are kept"

    again = summary_view(rt)
    assert again.chart == first.chart and kept(rt) == days, "nothing changed: the same digests, the same chart"

    # A painful run logged today for a day nine weeks back: every week end from that day on is assessed again.
    late_day = first.start - timedelta(weeks=8, days=-2)
    log_pain(rt.db, rt.athlete_id, PainInput(score=6, when="after", day=late_day), today)
    logged = Logged(logged.runs, sorted([*logged.pain, (late_day, 6)], key=lambda p: p[0]))
    after_pain = summary_view(rt)
    check(rt, logged, after_pain, today)
    changed = {day for day, digest in kept(rt).items() if days.get(day) != digest}
    assert changed == {day for day in days if day >= late_day}, "only the days the late score reaches"
    assert after_pain.chart != first.chart, "and the chart shows it"

    # A run excluded in the chart's fourth week.
    fourth = first.start - timedelta(weeks=CHART_WEEKS - 4)
    with rt.db.transaction() as session:
        noon = datetime.combine(fourth, time(12), UTC)
        run = session.query(Activity).filter(Activity.start_utc >= noon).order_by(Activity.start_utc).first()
        assert run is not None
        removed = (run.start_utc.astimezone(ZoneInfo(ZONE)).date(), round(run.distance_m / 1000, 2))
        run_id = run.id
    assert removed in logged.runs
    exclude_activity(rt.db, rt.athlete_id, run_id)
    logged = Logged([r for r in logged.runs if r != removed], logged.pain)
    check(rt, logged, summary_view(rt), today)

    # New thresholds: every kept day was made under the old ones.
    before = kept(rt)
    monkeypatch.setenv("ADVISOR_THRESHOLDS__PAIN_ACCEPTABLE", "1")
    stricter = Runtime(load_settings())
    try:
        check(stricter, logged, summary_view(stricter), today)
        assert all(before[day] != digest for day, digest in kept(stricter).items() if day in before)
    finally:
        stricter.close()
