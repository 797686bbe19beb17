"""The chart's kept week ends are what the engine says now (issue 25 item 5): a day's numbers are kept under a
digest of everything its report read, so whatever changes afterwards — a pain score logged late for an old day, a
run excluded, new thresholds — the chart that uses them is the chart computed from scratch, and only the days the
change reaches are assessed again.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from test_weekly_round_chart import ZONE, Logged, check, generate

from advisor.bootstrap import Runtime
from advisor.config import Settings, load_settings
from advisor.domain.advice.summary import CHART_WEEKS
from advisor.domain.risk.model import Assessment, PainEntry, RehabSession, Run
from advisor.services.context import AthleteContext
from advisor.services.corrections import exclude_activity
from advisor.services.knee import PainInput, log_pain
from advisor.services.summary import summary_view
from advisor.services.week_ends import RowDigests, encodings, input_digest
from advisor.store.history import HistorySpan, StairRow
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


# --- the digest itself: every field of every row, whatever the rows' order --------------------------------------

D = date(2026, 3, 18)


@dataclasses.dataclass(frozen=True)
class Ctx:
    """All a digest reads of an athlete's context: the settings (their fingerprint starts every digest)."""

    settings: Settings


def ctx() -> AthleteContext:
    return cast(AthleteContext, Ctx(load_settings()))


def rows_before(day: date, n: int = 5) -> HistorySpan:
    """`n` rows of each kind on the `n` days before `day`, in day order, every field set (none None)."""
    days = [day - timedelta(days=n - i) for i in range(n)]
    return HistorySpan(
        first=day,
        last=day,
        runs=[
            Run(
                activity_id=i,
                start_utc=datetime.combine(d, time(7), UTC),
                utc_offset_s=3600,
                sport="running",
                sub_sport="trail",
                distance_m=8000.0 + i,
                moving_s=2400.0,
                elapsed_s=2500.0,
                ascent_m=120.0,
                descent_m=110.0,
                descent_steep5_m=40.0,
                distance_steep5_m=600.0,
                descent_steep10_m=20.0,
                distance_steep10_m=200.0,
                avg_cadence_spm=172.0,
                load=0.0,
                name="Hills",
            )
            for i, d in enumerate(days)
        ],
        pain=[PainEntry(i, d, "after", 3, note="knee ok") for i, d in enumerate(days)],
        stair_rows=[(d, "manual", 10.0, 9.0, 5000) for d in days],
        assessments=[Assessment(i, d, True, "ok") for i, d in enumerate(days)],
        rehab=[RehabSession(d, True, True, False, 2) for d in days],
    )


def digest(span: HistorySpan, day: date = D) -> str:
    """The day's digest as `week_ends` makes it: the rows of the whole span hashed once."""
    return input_digest(ctx(), day, span.inputs(day), encodings(span))


def other(name: str, value: object) -> object:
    """Another value of `value`'s type, one the row's own checks accept."""
    if name == "when":
        return "morning"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "!"
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    assert isinstance(value, date), (name, value)
    return value + timedelta(days=1)


def changed(span: HistorySpan, part: str, value: object) -> HistorySpan:
    """`span` with the middle row of `part` replaced by `value`."""
    rows = list(getattr(span, part))
    rows[len(rows) // 2] = value
    return dataclasses.replace(span, **{part: rows})


PARTS = ("runs", "pain", "stair_rows", "assessments", "rehab")


def test_a_changed_field_of_a_middle_row_changes_the_days_digest() -> None:
    """Each row is hashed once and a day's digest made of its rows' digests: a change of any one field of a row in
    the middle of the day's window (where the day's rows are one slice of the span's) must still reach it."""
    span = rows_before(D)
    base = digest(span)
    copies = {
        part: [dataclasses.replace(r) if dataclasses.is_dataclass(r) else tuple(list(r)) for r in getattr(span, part)]
        for part in PARTS
    }
    assert digest(dataclasses.replace(span, **copies)) == base, "equal rows, new objects: the same digest"
    tried = 0
    for part in PARTS:
        middle = getattr(span, part)[2]
        if isinstance(middle, tuple):
            variants = [(*middle[:i], other(str(i), v), *middle[i + 1 :]) for i, v in enumerate(middle)]
        else:
            variants = [
                dataclasses.replace(middle, **{f.name: other(f.name, getattr(middle, f.name))})
                for f in dataclasses.fields(middle)
                if f.init
            ]
        for variant in variants:
            assert digest(changed(span, part, variant)) != base, (part, variant)
            tried += 1
    assert tried == 17 + 14 + 5 + 4 + 5, "every field of every kind of row"


def test_values_that_compare_equal_but_are_not_the_same_give_another_digest() -> None:
    """A row is encoded by its values and their types, not by `==`: the engine may tell 0 from 0.0 (a rounded
    number stays an int) or -0.0 from 0.0, so such rows are other inputs."""
    span = rows_before(D)
    base = digest(span)
    run, stairs, rehab = span.runs[2], span.stair_rows[2], span.rehab[2]
    same_but_not = [
        ("runs", dataclasses.replace(run, load=-0.0)),  # 0.0 == -0.0
        ("runs", dataclasses.replace(run, distance_m=int(run.distance_m))),  # 8002 == 8002.0
        ("stair_rows", (*stairs[:4], float(stairs[4]))),  # 5000.0 == 5000
        ("rehab", dataclasses.replace(rehab, band=0)),  # 0 == False
        ("assessments", dataclasses.replace(span.assessments[2], note="None")),  # the text, not None
    ]
    for part, variant in same_but_not:
        assert digest(changed(span, part, variant)) != base, (part, variant)


def test_rows_out_of_day_order_give_the_digest_of_the_days_rows_alone() -> None:
    """The stairs and rehab rows come in the database's order: a day's rows are then not one run of the span's
    list, and the digest must still be the one its own rows give."""
    whole = rows_before(D + timedelta(days=3), n=8)
    order = [5, 0, 7, 2, 6, 1, 4, 3]
    stairs: list[StairRow] = [whole.stair_rows[i] for i in order]
    span = dataclasses.replace(
        whole, first=D - timedelta(days=2), stair_rows=stairs, rehab=[whole.rehab[i] for i in order]
    )
    scattered = 0
    for day in (D - timedelta(days=2), D, D + timedelta(days=1)):
        inputs = span.inputs(day)
        positions = [span.stair_rows.index(row) for row in inputs[2]]
        scattered += positions != list(range(positions[0], positions[0] + len(positions)))
        assert input_digest(ctx(), day, inputs, encodings(span)) == input_digest(ctx(), day, inputs), day
    assert scattered == 3, "each day's stairs are scattered through the span's list"


def test_equal_rows_are_not_taken_for_the_very_rows() -> None:
    """A day's rows are taken for a slice of the span's only when they are the very rows of that slice: rows that
    compare equal may still differ (-0.0 and 0.0)."""
    x: StairRow = (D, "manual", 1.0, 2.0, 3)
    y: StairRow = (D, "manual", 0.0, 2.0, 3)
    y2: StairRow = (D, "manual", -0.0, 2.0, 3)
    assert y == y2
    assert RowDigests([[x, y, y2]]).joined([x, y2]) == RowDigests([[x, y2]]).joined([x, y2])
    assert RowDigests([[x, y2]]).joined([x, y2]) != RowDigests([[x, y]]).joined([x, y])
