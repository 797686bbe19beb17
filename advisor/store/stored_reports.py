"""Each athlete's stored report: read in one indexed query, saved only if nothing changed since it was computed.

The report changes only when the athlete's data, their settings, the engine or their local day changes. The data is
watched by the database itself (advisor.store.report_triggers count `data_version` up in every writer's
transaction); the other three are the key a stored report is kept under (`ReportKey`). So a stored report is
current exactly when it was computed from the current `data_version` under the current key.

The order of a refresh keeps that true without a lock: read the version first (`read_stored`), then the history,
then save with `WHERE data_version = <the version read>` (`save_report`). A write that commits at any point after
the version was read counts it up, so the save changes nothing, and the next read computes again. Versions only
ever grow, so an old version can never match again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from advisor.errors import StoreError
from advisor.store.athletes import PROFILE_FIELDS, StoredAthlete

if TYPE_CHECKING:
    from advisor.store.db import Database, Reader

SAVE_WAIT_S = 1.0
"""How long a read path waits to save what it computed: a busy writer (an import) means the report is about to be
stale anyway, so it is shown and not kept."""


@dataclass(frozen=True)
class ReportKey:
    """What a stored report was made for besides the data: the athlete's local day, the engine's code and their
    settings (each a fingerprint)."""

    day: date
    engine: str
    settings: str


@dataclass(frozen=True)
class StoredReport:
    """One athlete's stored report row; `report`, `line` and `chart` are JSON text, None when never computed."""

    athlete_id: int
    data_version: int
    computed_version: int | None
    key: ReportKey | None
    report: str | None
    line: str | None
    chart: str | None

    def current_for(self, key: ReportKey) -> bool:
        return self.report is not None and self.computed_version == self.data_version and self.key == key

    def chart_for(self, key: ReportKey) -> str | None:
        return self.chart if self.current_for(key) else None


@dataclass(frozen=True)
class TeamRow:
    """One athlete of the coach's list: who, their stored report row, and when their data last arrived."""

    athlete: StoredAthlete
    stored: StoredReport
    synced_at: datetime | None
    imported_at: datetime | None


_STORED_COLUMNS = "sr.data_version, sr.computed_version, sr.day, sr.engine, sr.settings_key, sr.report, sr.line"


def read_stored(db: Database, athlete_id: int, *, with_chart: bool = False) -> StoredReport:
    """The athlete's stored report row (version 0, nothing stored, when the athlete has none yet)."""
    chart = "sr.chart" if with_chart else "NULL"
    with db.read() as reader:
        rows = reader.rows(
            f"SELECT {_STORED_COLUMNS}, {chart} FROM stored_reports sr WHERE sr.athlete_id = :athlete",
            athlete=athlete_id,
        )
        return _stored(athlete_id, rows[0] if rows else None, reader)


_TEAM_STORED_COLUMNS = _STORED_COLUMNS.replace("sr.report", "CASE WHEN sr.report IS NULL THEN NULL ELSE '' END")
TEAM_QUERY = (
    f"SELECT a.id, a.name, a.created_at, a.thresholds, {', '.join(f'a.{name}' for name in PROFILE_FIELDS)}, "
    f"{_TEAM_STORED_COLUMNS}, "
    "(SELECT MAX(s.last_success_at) FROM sync_state s WHERE s.athlete_id = a.id AND s.source = :source), "
    "(SELECT MAX(f.imported_at) FROM source_files f WHERE f.athlete_id = a.id) "
    "FROM athletes a LEFT JOIN stored_reports sr ON sr.athlete_id = a.id ORDER BY a.name"
)
"""The coach's list in one query (bench/team_bench.py prints its plan); the report itself is left in the table
(only whether there is one), since the list shows its line."""


def read_team(db: Database, garmin_source: str) -> list[TeamRow]:
    """Every athlete with their stored report's line (not the report) and the last sync and import, in one query.

    The last sync and import are correlated subqueries on (athlete_id, ...) indexes, one index probe each per
    athlete, rather than an aggregate over every stored file of the clinic.
    """
    with db.read() as reader:
        rows = reader.rows(TEAM_QUERY, source=garmin_source)
        found = []
        for row in rows:
            n = 4 + len(PROFILE_FIELDS)
            own = {name: value for name, value in zip(PROFILE_FIELDS, row[4:n], strict=True) if value is not None}
            for name in ("flat_feet", "orthotics"):
                if name in own:
                    own[name] = bool(reader.flag(own[name]))
            athlete = StoredAthlete(
                id=row[0],
                name=row[1],
                created_at=reader.utc(row[2]),  # type: ignore[arg-type]
                own_profile=own,
                own_thresholds=dict(json.loads(row[3])) if row[3] else {},
            )
            stored_row = None if row[n] is None else (*row[n : n + 7], None)
            stored = _stored(row[0], stored_row, reader)
            found.append(TeamRow(athlete, stored, reader.utc(row[n + 7]), reader.utc(row[n + 8])))
        return found


@dataclass(frozen=True)
class Computed:
    """A report computed from `version` under `key`, ready to be kept (JSON text)."""

    athlete_id: int
    version: int
    key: ReportKey
    report: str
    line: str
    chart: str | None = None


def save_reports(db: Database, computed: Iterable[Computed], now: datetime) -> int:
    """Keep each computed report whose athlete's data is still at the version it was computed from; the number kept.

    Best effort: a database too busy to take the write within `SAVE_WAIT_S` keeps nothing (the reader still shows
    what it computed, and the next read computes again).
    """
    computed = list(computed)
    if not computed:
        return 0
    try:
        with db.write(wait_s=SAVE_WAIT_S) as writer:
            kept = 0
            for c in computed:
                writer.execute(
                    "INSERT INTO stored_reports (athlete_id, data_version) VALUES (:athlete, 0) "
                    "ON CONFLICT (athlete_id) DO NOTHING",
                    athlete=c.athlete_id,
                )
                kept += writer.execute(
                    "UPDATE stored_reports SET computed_version = :version, day = :day, engine = :engine, "
                    "settings_key = :settings, report = :report, line = :line, chart = :chart, computed_at = :now "
                    "WHERE athlete_id = :athlete AND data_version = :version",
                    athlete=c.athlete_id,
                    version=c.version,
                    day=c.key.day,
                    engine=c.key.engine,
                    settings=c.key.settings,
                    report=c.report,
                    line=c.line,
                    chart=c.chart,
                    now=now,
                )
            return kept
    except StoreError:
        return 0


def save_chart(db: Database, athlete_id: int, version: int, key: ReportKey, chart: str) -> bool:
    """Add the chart to a stored report that is still current for `key` at `version` (best effort, as above)."""
    try:
        with db.write(wait_s=SAVE_WAIT_S) as writer:
            return bool(
                writer.execute(
                    "UPDATE stored_reports SET chart = :chart WHERE athlete_id = :athlete AND data_version = :version "
                    "AND computed_version = :version AND day = :day AND engine = :engine AND settings_key = :settings",
                    chart=chart,
                    athlete=athlete_id,
                    version=version,
                    day=key.day,
                    engine=key.engine,
                    settings=key.settings,
                )
            )
    except StoreError:
        return False


def _stored(athlete_id: int, row: Sequence[Any] | None, reader: Reader) -> StoredReport:
    if row is None:
        return StoredReport(athlete_id, 0, None, None, None, None, None)
    version, computed, day, engine, settings, report, line, chart = row
    key = None if day is None or engine is None or settings is None else ReportKey(reader.day(day), engine, settings)  # type: ignore[arg-type]
    return StoredReport(athlete_id, int(version), computed, key, report, line, chart)
