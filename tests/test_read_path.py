"""The one read path (issue 20, item 2): the same generated rows, read through the ORM and through the store's
repository (`advisor.store.history`), are the same domain values on SQLite and PostgreSQL — rows at every window's
edge included.

The ORM side is this test's own reading: its own SELECTs through the models, its own window bounds worked out from
the numbers below (200 days of history, two days of UTC margin), its own row → value conversion. The repository
side is what `status`, `team status`, the web page and the weekly email read.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from stored import stand_in_source

from advisor.domain.risk.model import SIGN_WORDS, Assessment, PainEntry, RehabSession, Run, StairDay
from advisor.store.db import Database, open_database
from advisor.store.history import History, Wanted, newest_activity_day, read_histories, read_history
from advisor.store.models import (
    Activity,
    Athlete,
    ClinicianAssessment,
    DailyStairs,
    PainEntryRow,
    RehabSessionRow,
)

AS_OF = date(2026, 6, 10)
FIRST_DAY = date(2025, 11, 20)
"""AS_OF - (200 days of history + 2 days of margin), worked out by hand: 10 Jun 2026 - 202 days."""
LOW = datetime(2025, 11, 20, tzinfo=UTC)
HIGH = datetime(2026, 6, 12, tzinfo=UTC)
"""Activities are read from midnight UTC of FIRST_DAY up to (not including) midnight UTC two days after AS_OF."""
MICRO = timedelta(microseconds=1)
ZONES = {"ana": ZoneInfo("Europe/London"), "ben": ZoneInfo("America/Los_Angeles")}
STAIR_PRIORITY = ("manual", "garmin", "fit_monitoring")


def _activity(athlete_id: int, source_id: int, start: datetime, *, offset: int | None, excluded: bool = False):
    n = int(start.timestamp() * 1e6) % 997
    return Activity(
        athlete_id=athlete_id,
        source_file_id=source_id,
        activity_key=f"{athlete_id}-{start.isoformat()}-{excluded}",
        sport="running" if n % 3 else "walking",
        sub_sport="trail" if n % 2 else None,
        name=None if n % 5 == 0 else f"run {n}",
        start_utc=start,
        utc_offset_s=offset,
        n_records=10,
        distance_m=1000.0 + n,
        elapsed_s=600.0 + n,
        moving_s=500.0 + n,
        ascent_m=n / 7,
        descent_m=n / 3,
        descent_steep5_m=n / 11,
        distance_steep5_m=n * 1.5,
        descent_steep10_m=n / 13,
        distance_steep10_m=n * 0.5,
        avg_cadence_spm=None if n % 4 == 0 else 150.0 + n % 30,
        avg_heart_rate=None,
        load=n / 2,
        load_method="duration",
        excluded=excluded,
    )


def _generate(db: Database, seed: int) -> dict[str, int]:
    """Two athletes' rows: a spread of ordinary ones and one on each side of every window edge."""
    rng = random.Random(seed)
    now = datetime(2026, 6, 10, 20, tzinfo=UTC)
    ids = {}
    with db.transaction() as session:
        for name in ZONES:
            athlete = Athlete(name=name, created_at=now)
            session.add(athlete)
            session.flush()
            ids[name] = athlete.id
            source_id = stand_in_source(session, athlete.id, now, "x.fit")
            starts = [LOW - MICRO, LOW, HIGH - MICRO, HIGH, datetime(2026, 6, 10, 23, 30, tzinfo=UTC)]
            starts += [LOW + timedelta(hours=rng.randrange(0, 205 * 24)) for _ in range(40)]
            for i, start in enumerate(starts):
                offset = None if i % 3 == 0 else rng.choice([-25200, 0, 3600, 7200])
                session.add(_activity(athlete.id, source_id, start, offset=offset))
            session.add(_activity(athlete.id, source_id, LOW + timedelta(days=30), offset=0, excluded=True))
            pain_days = [AS_OF, AS_OF + timedelta(days=1), date(2020, 1, 1)]
            pain_days += [FIRST_DAY + timedelta(days=rng.randrange(0, 210)) for _ in range(15)]
            for day in pain_days:
                signs = {sign: rng.random() < 0.2 for sign in SIGN_WORDS}
                session.add(
                    PainEntryRow(
                        athlete_id=athlete.id,
                        day=day,
                        when=rng.choice(["during", "after", "morning"]),
                        score=rng.randrange(0, 11),
                        no_red_flags=not any(signs.values()) and rng.random() < 0.3,
                        note=rng.choice([None, "stairs hurt"]),
                        created_at=now,
                        **signs,
                    )
                )
            stair_days = {FIRST_DAY - timedelta(days=1), FIRST_DAY, AS_OF, AS_OF + timedelta(days=1)}
            stair_days |= {FIRST_DAY + timedelta(days=rng.randrange(0, 205)) for _ in range(10)}
            for day in stair_days:
                for stair_source in rng.sample(STAIR_PRIORITY, rng.randrange(1, 4)):
                    session.add(
                        DailyStairs(
                            athlete_id=athlete.id,
                            day=day,
                            source=stair_source,
                            floors_up=rng.choice([None, float(rng.randrange(0, 40))]),
                            floors_down=float(rng.randrange(0, 40)),
                            steps=rng.choice([None, rng.randrange(0, 20000)]),
                            updated_at=now,
                        )
                    )
            for day in (AS_OF, AS_OF + timedelta(days=1), date(2024, 3, 1)):
                session.add(
                    ClinicianAssessment(
                        athlete_id=athlete.id, day=day, cleared=rng.random() < 0.5, note=None, created_at=now
                    )
                )
                session.add(
                    RehabSessionRow(
                        athlete_id=athlete.id,
                        day=day,
                        strength=rng.random() < 0.5,
                        mobility=rng.random() < 0.5,
                        band=rng.random() < 0.5,
                        pain=rng.choice([None, rng.randrange(0, 11)]),
                        created_at=now,
                    )
                )
    return ids


def _through_the_orm(db: Database, athlete_id: int, tz: ZoneInfo, as_of: date) -> History:
    """The test's own reading of the same rows, for `as_of`."""
    first_day = as_of - timedelta(days=202)
    low = datetime.combine(first_day, time(), UTC)
    high = datetime.combine(as_of + timedelta(days=2), time(), UTC)
    with db.transaction() as session:
        activities = session.scalars(
            select(Activity).where(Activity.athlete_id == athlete_id).order_by(Activity.start_utc)
        ).all()
        pain = session.scalars(select(PainEntryRow).where(PainEntryRow.athlete_id == athlete_id)).all()
        stairs = session.scalars(select(DailyStairs).where(DailyStairs.athlete_id == athlete_id)).all()
        assessments = session.scalars(
            select(ClinicianAssessment).where(ClinicianAssessment.athlete_id == athlete_id)
        ).all()
        rehab = session.scalars(select(RehabSessionRow).where(RehabSessionRow.athlete_id == athlete_id)).all()
    runs = [
        Run(
            activity_id=a.id,
            start_utc=a.start_utc,
            utc_offset_s=a.utc_offset_s
            if a.utc_offset_s is not None
            else int(a.start_utc.astimezone(tz).utcoffset().total_seconds()),  # type: ignore[union-attr]
            sport=a.sport,
            sub_sport=a.sub_sport,
            distance_m=a.distance_m,
            moving_s=a.moving_s,
            elapsed_s=a.elapsed_s,
            ascent_m=a.ascent_m,
            descent_m=a.descent_m,
            descent_steep5_m=a.descent_steep5_m,
            distance_steep5_m=a.distance_steep5_m,
            descent_steep10_m=a.descent_steep10_m,
            distance_steep10_m=a.distance_steep10_m,
            avg_cadence_spm=a.avg_cadence_spm,
            load=a.load,
            name=a.name,
        )
        for a in activities
        if not a.excluded and low <= a.start_utc < high
    ]
    best: dict[date, DailyStairs] = {}
    for s in stairs:
        if first_day <= s.day <= as_of and (
            s.day not in best or STAIR_PRIORITY.index(s.source) < STAIR_PRIORITY.index(best[s.day].source)
        ):
            best[s.day] = s
    return History(
        runs=runs,
        pain=[
            PainEntry(
                id=p.id,
                day=p.day,
                when=p.when,  # type: ignore[arg-type]
                score=p.score,
                no_red_flags=p.no_red_flags,
                note=p.note,
                **{sign: getattr(p, sign) for sign in SIGN_WORDS},
            )
            for p in pain
            if p.day <= as_of
        ],
        stairs=[
            StairDay(day=d, floors_up=s.floors_up, floors_down=s.floors_down, steps=s.steps)
            for d, s in sorted(best.items())
        ],
        assessments=[
            Assessment(id=a.id, day=a.day, cleared=a.cleared, note=a.note) for a in assessments if a.day <= as_of
        ],
        rehab=[
            RehabSession(day=r.day, strength=r.strength, mobility=r.mobility, band=r.band, pain=r.pain)
            for r in rehab
            if r.day <= as_of
        ],
    )


def _same(got: History, expected: History) -> None:
    assert sorted(got.runs, key=lambda r: r.activity_id) == sorted(expected.runs, key=lambda r: r.activity_id)
    assert sorted(got.pain, key=lambda p: p.id) == sorted(expected.pain, key=lambda p: p.id)
    assert got.stairs == expected.stairs
    assert sorted(got.assessments, key=lambda a: a.id) == sorted(expected.assessments, key=lambda a: a.id)
    key = lambda r: (r.day, r.strength, r.mobility, r.band, r.pain)  # noqa: E731
    assert sorted(got.rehab, key=key) == sorted(expected.rehab, key=key)


@pytest.mark.parametrize("through_core", [False, True], ids=["driver", "core"])
def test_the_repository_reads_what_the_orm_reads_at_every_edge(database_url: str, through_core: bool) -> None:
    db = open_database(database_url)
    try:
        ids = _generate(db, seed=20)
        reader = Database(database_url)
        if through_core:
            reader.engine  # noqa: B018  (an open engine sends SQLite through SQLAlchemy Core too)
        for name, tz in ZONES.items():
            got = read_history(reader, ids[name], tz, AS_OF)
            _same(got, _through_the_orm(db, ids[name], tz, AS_OF))
            starts = {r.start_utc for r in got.runs}
            assert LOW in starts and HIGH - MICRO in starts, "the first and last instants of the window are read"
            assert LOW - MICRO not in starts and HIGH not in starts, "one microsecond outside is not"
            assert all(p.day <= AS_OF for p in got.pain) and date(2020, 1, 1) in {p.day for p in got.pain}
            assert {FIRST_DAY, AS_OF} <= {s.day for s in got.stairs}
            assert FIRST_DAY - timedelta(days=1) not in {s.day for s in got.stairs}
        reader.dispose()
    finally:
        db.dispose()


def test_a_team_read_is_each_athletes_own_read(database_url: str) -> None:
    """`team status` reads every athlete at once, each for their own day; each is exactly their own `status` read."""
    db = open_database(database_url)
    try:
        ids = _generate(db, seed=7)
        days = {"ana": AS_OF, "ben": AS_OF - timedelta(days=45)}
        team = read_histories(db, {ids[n]: Wanted(days[n], ZONES[n]) for n in ZONES})
        for name, tz in ZONES.items():
            _same(team[ids[name]], read_history(db, ids[name], tz, days[name]))
            _same(team[ids[name]], _through_the_orm(db, ids[name], tz, days[name]))
    finally:
        db.dispose()


def test_the_newest_activity_day_is_the_runners_local_day(database_url: str) -> None:
    """A run at 23:30 UTC on 10 Jun with no stored offset is 11 Jun in London (BST, +1 h) and still 10 Jun in Los
    Angeles (PDT, -7 h); an excluded run later still does not count."""
    db = open_database(database_url)
    try:
        with db.transaction() as session:
            athlete = Athlete(name="cleo", created_at=datetime(2026, 6, 1, tzinfo=UTC))
            session.add(athlete)
            session.flush()
            source_id = stand_in_source(session, athlete.id, datetime(2026, 6, 1, tzinfo=UTC), "c.fit")
            session.add(_activity(athlete.id, source_id, datetime(2026, 6, 8, 7, tzinfo=UTC), offset=None))
            session.add(_activity(athlete.id, source_id, datetime(2026, 6, 10, 23, 30, tzinfo=UTC), offset=None))
            late = datetime(2026, 6, 10, 23, 50, tzinfo=UTC)
            session.add(_activity(athlete.id, source_id, late, offset=None, excluded=True))
            cleo = athlete.id
        assert newest_activity_day(db, cleo, ZONES["ben"], AS_OF) == date(2026, 6, 10)
        assert newest_activity_day(db, cleo, ZONES["ana"], AS_OF) == date(2026, 6, 8)
        assert newest_activity_day(db, cleo, ZONES["ana"], AS_OF + timedelta(days=1)) == date(2026, 6, 11)
        assert newest_activity_day(db, cleo, ZONES["ana"], date(2026, 6, 7)) is None
    finally:
        db.dispose()


def test_a_span_read_once_cuts_each_day_as_its_own_read(database_url: str) -> None:
    """The weekly mail's chart reads 13 week-ends at once (`read_history_span`): each day cut from that one read is
    exactly the read of that day alone — and the ORM's — with the rows on each window edge of the last day too."""
    from advisor.store.history import read_history_span

    db = open_database(database_url)
    try:
        ids = _generate(db, seed=11)
        first = AS_OF - timedelta(weeks=12, days=1)
        for name, tz in ZONES.items():
            span = read_history_span(db, ids[name], tz, first, AS_OF)
            for k in range(13):
                day = first + timedelta(weeks=k) if k < 12 else AS_OF
                _same(span.at(day), read_history(db, ids[name], tz, day))
            _same(span.at(AS_OF), _through_the_orm(db, ids[name], tz, AS_OF))
            with pytest.raises(ValueError, match="outside the span"):
                span.at(AS_OF + timedelta(days=1))
    finally:
        db.dispose()
