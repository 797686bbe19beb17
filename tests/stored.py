"""Histories stored as the import would store them, straight into the database: for tests of what reads them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from advisor.store.db import open_database
from advisor.store.models import Activity, Athlete, SourceFile

_keys = itertools.count(1)


def store_runs(
    url: str,
    name: str,
    runs: Iterable[tuple[date, float]],
    *,
    imported_at: datetime | None = None,
    activity_name: str | None = None,
) -> None:
    """Runs of `name` at 07:00 UTC on the days given, as the import would store them (one source file)."""
    db = open_database(url)
    try:
        with db.transaction() as session:
            athlete_id = session.scalars(select(Athlete.id).where(Athlete.name == name)).one()
            source = SourceFile(
                athlete_id=athlete_id,
                sha256=f"{next(_keys):064d}",
                name=f"{name}.fit",
                size=1,
                file_type="activity",
                status="imported",
                origin="file",
                imported_at=imported_at or datetime(2026, 4, 12, 20, tzinfo=UTC),
            )
            session.add(source)
            session.flush()
            for day, km in runs:
                start = datetime.combine(day, time(7), UTC)
                session.add(
                    Activity(
                        athlete_id=athlete_id,
                        source_file_id=source.id,
                        activity_key=f"{name}-{start.isoformat()}-{next(_keys)}",
                        sport="running",
                        sub_sport="generic",
                        name=activity_name or f"{name} run",
                        start_utc=start,
                        utc_offset_s=0,
                        n_records=100,
                        distance_m=km * 1000.0,
                        elapsed_s=km * 300.0 + 60,
                        moving_s=km * 300.0,
                        ascent_m=0.0,
                        descent_m=0.0,
                        descent_steep5_m=0.0,
                        distance_steep5_m=0.0,
                        descent_steep10_m=0.0,
                        distance_steep10_m=0.0,
                        avg_cadence_spm=176.0,
                        avg_heart_rate=140.0,
                        load=km * 10.0,
                        load_method="duration",
                    )
                )
    finally:
        db.dispose()
