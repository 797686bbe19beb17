"""What the engine said at the end of each chart week, kept under a digest of everything it read for that day.

The weekly mail's chart and the web page's need the report of 13 days (each week's Sunday and the one before the
first week); twelve of them are the same days as last week's chart. A report is a pure function of the engine, the
settings, the day and the history cut for that day, so the few numbers the chart takes from it are kept here under
a digest of all four (advisor.services.week_ends): the same digest, the same numbers, whatever wrote what in
between, and any change of an input — a late-logged pain score, an excluded run, a new threshold, a new release —
gives another digest, so nothing can be stale. Rows are per athlete and day; old days are dropped as new ones come.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from advisor.errors import StoreError
from advisor.store.db import Database
from advisor.store.stored_reports import SAVE_WAIT_S

__all__ = ["KEEP_DAYS", "read_week_ends", "save_week_ends"]

KEEP_DAYS = 26 * 7
"""Days kept before the earliest one asked for: half a year, more than a chart looks back."""


def read_week_ends(db: Database, athlete_id: int, days: Iterable[date]) -> dict[date, tuple[str, str]]:
    """The kept (digest, facts as JSON) of each of `days` that has a row, in one query."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    with db.read() as reader:
        rows = reader.rows(
            "SELECT day, digest, facts FROM week_ends WHERE athlete_id = :athlete AND day >= :first AND day <= :last",
            athlete=athlete_id,
            first=wanted[0],
            last=wanted[-1],
        )
        found = {reader.day(row[0]): (str(row[1]), str(row[2])) for row in rows}
    return {day: found[day] for day in wanted if day in found}


def save_week_ends(db: Database, athlete_id: int, computed: Mapping[date, tuple[str, str]]) -> bool:
    """Keep each day's (digest, facts), replacing what that day had, and drop days long past; best effort like the
    stored report (a busy database keeps nothing: the next chart computes them again). One upsert for all the days
    on the table's unique (athlete_id, day): a round writes a day or so per athlete, and each statement is a round
    trip to the server."""
    if not computed:
        return False
    days = sorted(computed.items())
    rows = ", ".join(f"(:athlete, :day{i}, :digest{i}, :facts{i})" for i in range(len(days)))
    values: dict[str, object] = {}
    for i, (day, (digest, facts)) in enumerate(days):
        values.update({f"day{i}": day, f"digest{i}": digest, f"facts{i}": facts})
    try:
        with db.write(wait_s=SAVE_WAIT_S) as writer:
            writer.execute(
                f"INSERT INTO week_ends (athlete_id, day, digest, facts) VALUES {rows} ON CONFLICT (athlete_id, day) "
                "DO UPDATE SET digest = excluded.digest, facts = excluded.facts",
                athlete=athlete_id,
                **values,
            )
            oldest = days[0][0].toordinal() - KEEP_DAYS
            writer.execute(
                "DELETE FROM week_ends WHERE athlete_id = :athlete AND day < :oldest",
                athlete=athlete_id,
                oldest=date.fromordinal(oldest),
            )
        return True
    except StoreError:
        return False
