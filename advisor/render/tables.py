"""The activity list for the terminal: every cell whole at any width; the same data goes out as JSON with `--json`.

Rich shortens a cell that does not fit with "…", which turns 12.34 km into 12.… — a wrong number, not a short one.
So the columns are chosen by the terminal's width instead: each column has a priority and the width its widest
cell needs, and the most important columns that fit are shown (an 80-column terminal gets the numbers a runner
reads first; a wide one gets everything). The name takes what is left and wraps rather than being cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.table import Table

from advisor.render import units as u
from advisor.render.text import printable
from advisor.render.units import Units, duration
from advisor.store.activities import StoredActivity
from advisor.store.rows import is_bike, is_on_foot, local_date

__all__ = ["activities_table", "duration", "pace_or_speed", "short_sport_label", "sport_label"]

NAME_MIN_WIDTH = 12
"""Below this, the name column is left out rather than wrapped into a ribbon."""


SHORT_SPORTS = {
    "running": "run",
    "trail_running": "trail run",
    "cycling": "ride",
    "e_biking": "e-bike",
    "walking": "walk",
    "hiking": "hike",
    "swimming": "swim",
    "fitness_equipment": "gym",
    "floor_climbing": "stairs",
}
"""Short names for the list, where every column counts at 80 characters; the detail shows the FIT names."""


def sport_label(activity: StoredActivity) -> str:
    """`running`, `running/treadmill`: the FIT names, with the sub-sport only when it says something."""
    a = activity
    return a.sport if not a.sub_sport or a.sub_sport == "generic" else f"{a.sport}/{a.sub_sport}"


def short_sport_label(activity: StoredActivity) -> str:
    """`run`, `run/treadmill`, `ride/road`: `sport_label` in the words a runner uses."""
    a = activity
    sport = SHORT_SPORTS.get(a.sport, a.sport.replace("_", " "))
    if not a.sub_sport or a.sub_sport == "generic":
        return sport
    return f"{sport}/{a.sub_sport.replace('_', ' ')}"


def pace_or_speed(activity: StoredActivity, units: Units) -> str:
    """Pace for foot sports, speed for bikes and everything else that moves."""
    if is_on_foot(activity) and not is_bike(activity):
        return u.pace(activity.moving_s, activity.distance_m, units)
    return u.speed(activity.moving_s, activity.distance_m, units)


@dataclass(frozen=True)
class _Column:
    header: str
    priority: int
    cell: Callable[[StoredActivity], str]
    right: bool = True


def _columns(tz: ZoneInfo, units: Units) -> list[_Column]:
    """The columns in display order; a lower priority number is kept first when the terminal is narrow."""
    dist, elev = u.distance_unit(units), u.elevation_unit(units)
    return [
        _Column("id", 0, lambda a: str(a.id)),
        _Column("date", 0, lambda a: local_date(a, tz).isoformat(), right=False),
        _Column("sport", 1, short_sport_label, right=False),
        _Column(dist, 0, lambda a: u.distance(a.distance_m, units, unit=False)),
        _Column("time", 1, lambda a: duration(a.moving_s)),
        _Column("pace/speed", 2, lambda a: pace_or_speed(a, units)),
        _Column(f"climb {elev}", 7, lambda a: u.elevation(a.ascent_m, units, unit=False)),
        _Column(f"desc {elev}", 3, lambda a: u.elevation(a.descent_m, units, unit=False)),
        _Column("<-5%", 8, lambda a: u.distance(a.distance_steep5_m, units, unit=False)),
        _Column("<-10%", 4, lambda a: u.distance(a.distance_steep10_m, units, unit=False)),
        _Column("cad", 6, lambda a: "-" if a.avg_cadence_spm is None else f"{a.avg_cadence_spm:.0f}"),
        _Column("HR", 5, lambda a: "-" if a.avg_heart_rate is None else f"{a.avg_heart_rate:.0f}"),
        _Column("load", 6, lambda a: f"{a.load:.0f}"),
        _Column("", 0, lambda a: "excl" if a.excluded else ""),
    ]


def activities_table(
    rows: list[StoredActivity], tz: ZoneInfo, units: Units = "km", console: Console | None = None
) -> None:
    """Print the activities as a table that fits the console's width (Rich reads COLUMNS)."""
    console = console or Console()
    columns = [c for c in _columns(tz, units) if c.header or any(a.excluded for a in rows)]
    cells = {id(c): [c.cell(a) for a in rows] for c in columns}
    need = {id(c): max([len(c.header), *map(len, cells[id(c)])]) + 2 for c in columns}
    budget = console.width
    shown: set[int] = set()
    for column in sorted(columns, key=lambda c: c.priority):
        if need[id(column)] <= budget:
            shown.add(id(column))
            budget -= need[id(column)]
    kept = [c for c in columns if id(c) in shown]
    names = [printable(a.name or "") for a in rows]
    with_name = any(names) and budget - 2 >= NAME_MIN_WIDTH

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for column in kept:
        table.add_column(column.header, justify="right" if column.right else "left", no_wrap=True)
    if with_name:
        table.add_column("name", overflow="fold", max_width=budget - 2)
    for i, activity in enumerate(rows):
        values = [cells[id(c)][i] for c in kept] + ([names[i]] if with_name else [])
        table.add_row(*values, style="dim" if activity.excluded else None)
    console.print(f"{len(rows)} {'activity' if len(rows) == 1 else 'activities'}")
    console.print(table)
    left_out = [c.header for c in columns if id(c) not in shown and c.header]
    notes = [f"<-5%, <-10%: {u.distance_unit(units)} on grades steeper than -5 % / -10 %."]
    if any(a.excluded for a in rows):
        notes.append("excl: excluded by you, counts nowhere (`advisor activity include ID`).")
    if left_out or (any(names) and not with_name):
        hidden = ", ".join([*left_out, *(["name"] if any(names) and not with_name else [])])
        notes.append(f"Not shown at this width: {hidden}; see `advisor activity ID` or --json.")
    for note in notes:
        console.print(note, style="dim", overflow="fold")
