"""`advisor activity ID` for the terminal: one activity in full, our numbers beside the file's own totals.

The file's session totals sit next to ours because they disagree for good reasons (the device sums raw altitude
noise into its ascent; its distance may include a glitch we dropped): a runner checking an odd number needs both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from advisor.render import units as u
from advisor.render.tables import pace_or_speed, sport_label
from advisor.render.text import printable
from advisor.render.units import Units, duration
from advisor.store.activities import StoredActivity, StoredSource

LOAD_METHODS = {
    "trimp": "Banister TRIMP, from heart rate",
    "duration": "from duration (no heart rate recorded)",
}


def _opt(value: float | None, show: Callable[[float], str]) -> str:
    """The file's value formatted, or `-` when the file does not carry it."""
    return "-" if value is None else show(value)


def detail_rows(activity: StoredActivity, tz: ZoneInfo, units: Units) -> list[tuple[str, str, str]]:
    """(what, ours, the file's) for each line of the detail; '' where the file has nothing to compare."""
    a = activity
    offset_start = a.start_utc.astimezone(tz)
    if a.utc_offset_s is not None:
        from datetime import timedelta, timezone

        offset_start = a.start_utc.astimezone(timezone(timedelta(seconds=a.utc_offset_s)))
    sport = sport_label(a)
    if a.file_sport is not None:
        file_label = (
            a.file_sport
            if not a.file_sub_sport or a.file_sub_sport == "generic"
            else (f"{a.file_sport}/{a.file_sub_sport}")
        )
        sport_file = f"{file_label} (you corrected it)"
    else:
        sport_file = ""
    elapsed_file = _opt(a.session_elapsed_s, duration)
    timer_file = _opt(a.session_timer_s, duration)
    return [
        ("start", offset_start.strftime("%Y-%m-%d %H:%M"), ""),
        ("sport", sport, sport_file),
        ("distance", u.distance(a.distance_m, units), _opt(a.session_distance_m, lambda m: u.distance(m, units))),
        ("moving time", duration(a.moving_s), f"timer {timer_file}"),
        ("elapsed time", duration(a.elapsed_s), elapsed_file),
        ("pace/speed", pace_or_speed(a, units), ""),
        ("climb", u.elevation(a.ascent_m, units), _opt(a.session_ascent_m, lambda m: u.elevation(m, units))),
        ("descent", u.elevation(a.descent_m, units), _opt(a.session_descent_m, lambda m: u.elevation(m, units))),
        (
            "steeper than -5 %",
            f"{u.distance(a.distance_steep5_m, units)}, {u.elevation(a.descent_steep5_m, units)} down",
            "",
        ),
        (
            "steeper than -10 %",
            f"{u.distance(a.distance_steep10_m, units)}, {u.elevation(a.descent_steep10_m, units)} down",
            "",
        ),
        (
            "cadence",
            _opt(a.avg_cadence_spm, lambda v: f"{v:.0f} steps/min"),
            _opt(a.session_avg_cadence, lambda v: f"{v:.0f} (as the file counts it)"),
        ),
        (
            "heart rate",
            _opt(a.avg_heart_rate, lambda v: f"{v:.0f} bpm"),
            _opt(a.session_avg_heart_rate, lambda v: f"{v:.0f} bpm"),
        ),
        ("load", f"{a.load:.0f} ({LOAD_METHODS.get(a.load_method, a.load_method)})", ""),
    ]


def print_activity(
    activity: StoredActivity,
    sources: Sequence[StoredSource],
    tz: ZoneInfo,
    units: Units,
    flags: Sequence[str] | None = None,
    console: Console | None = None,
) -> None:
    """Print the detail. `flags` (one line each) is the knee engine's say on this run; None prints no section."""
    console = console or Console()
    a = activity
    title = f"Activity {a.id}" + (f": {printable(a.name)}" if a.name else "")
    console.print(title, style="bold", overflow="fold")
    if a.excluded:
        console.print(
            "Excluded: it counts nowhere (distance, spikes, the weekly email). "
            f"`advisor activity include {a.id}` counts it again.",
            style="yellow",
            overflow="fold",
        )
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0))
    for header in ("", "advisor", "the file's totals"):
        table.add_column(header, overflow="fold")
    for what, ours, theirs in detail_rows(a, tz, units):
        table.add_row(what, ours, theirs)
    console.print(table)
    if flags is not None:
        console.print("Flags it raised:", style="bold")
        for line in flags or ["none"]:
            console.print(f"  {line}", overflow="fold")
    console.print("From:", style="bold")
    for source in sources:
        console.print(
            f"  {printable(source.name)} ({source.file_type}, {source.origin}, imported "
            f"{source.imported_at.astimezone(tz).strftime('%Y-%m-%d %H:%M')})",
            overflow="fold",
        )
    if not sources:
        console.print("  no stored file")


def activity_detail_json(activity_document: dict[str, object], sources: Sequence[StoredSource]) -> dict[str, object]:
    """`activity ID --json`: the same keys as one entry of `activities --json`, plus the files it came from."""
    return activity_document | {
        "source_files": [
            {
                "id": s.id,
                "name": s.name,
                "sha256": s.sha256,
                "size": s.size,
                "file_type": s.file_type,
                "origin": s.origin,
                "status": s.status,
                "imported_at": s.imported_at.isoformat().replace("+00:00", "Z"),
            }
            for s in sources
        ]
    }
