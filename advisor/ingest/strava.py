"""Strava's bulk export: `activities.csv` beside `activities/*.fit.gz|.gpx|.gpx.gz|.tcx|.tcx.gz`.

Why read the CSV: the activity files alone lose what the runner typed on Strava — the activity's name, and its type
where the file has none (a GPX from Strava's own phone app often has no `<type>`, and a TCX from many devices says
`Sport="Other"`). The CSV's `Filename` column names each file relative to the export's root
("activities/1234567890.gpx.gz"), which is how a file finds its row. Strava repeats some column names (two
"Distance", two "Elapsed Time"); only the first "Activity Name", "Activity Type" and "Filename" are read, by
position, so duplicates do not matter. Rows without a filename (manual entries) have no file to describe.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Final

CSV_NAME: Final = "activities.csv"


@dataclass(frozen=True, slots=True)
class ActivityHint:
    """What an export's listing says about one activity file, for what the file itself does not say."""

    name: str | None = None
    sport_text: str | None = None
    """As Strava writes it ("Run", "Trail Run", "Ride"...); `advisor.ingest.decode.sports` maps it to FIT names."""


def read_activities_csv(data: bytes) -> dict[str, ActivityHint]:
    """Filename (as in the CSV, '/'-separated, lower case) -> hint; {} for a CSV that is not Strava's listing."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        return {}
    columns = [h.strip().lower() for h in header]
    try:
        file_col = columns.index("filename")
    except ValueError:
        return {}
    name_col = columns.index("activity name") if "activity name" in columns else None
    type_col = columns.index("activity type") if "activity type" in columns else None
    hints: dict[str, ActivityHint] = {}
    for row in rows:
        if file_col >= len(row) or not row[file_col].strip():
            continue
        hints[normalise(row[file_col])] = ActivityHint(
            name=_cell(row, name_col),
            sport_text=_cell(row, type_col),
        )
    return hints


def normalise(path: str) -> str:
    """A CSV filename or archive member path in the form the listing is keyed by."""
    return path.strip().replace("\\", "/").lstrip("./").lower()


def _cell(row: list[str], col: int | None) -> str | None:
    if col is None or col >= len(row):
        return None
    value = row[col].strip()
    return value or None


__all__ = ["CSV_NAME", "ActivityHint", "normalise", "read_activities_csv"]
