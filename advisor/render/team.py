"""`advisor team status` on a terminal: one row per athlete, the ones to call first at the top.

Each athlete's distances are in their own `profile.units` (a coach's miler reads miles); `--json` is metres plus km.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.render.units import Units, distance
from advisor.usecases.team import TeamLine, TeamStatus

GROUP_STYLE = {"referral": "bold red", "high": "red", "other": ""}


def week_text(line: TeamLine) -> str:
    """`31.2 / 35.0 km`, or the distance and why there is no cap (`12.0 km, paused`)."""
    units: Units = "mi" if line.units == "mi" else "km"
    if line.weekly_cap_m is not None:
        return f"{distance(line.week_distance_m, units, 1, unit=False)} / {distance(line.weekly_cap_m, units, 1)}"
    why = "paused" if line.paused else "no cap yet"
    return f"{distance(line.week_distance_m, units, 1)}, {why}"


def pain_text(line: TeamLine) -> str:
    if line.last_pain_score is None or line.last_pain_day is None:
        return "none logged"
    return f"{line.last_pain_score}/10 {line.last_pain_day.isoformat()}"


def sync_text(line: TeamLine) -> str:
    if line.days_since_sync is None:
        return "never"
    days = line.days_since_sync
    when = "today" if days <= 0 else "1 day" if days == 1 else f"{days} days"
    return when if line.last_sync_source == "garmin" else f"{when} (import)"


def flags_text(line: TeamLine) -> str:
    return ", ".join(line.worst_flags) if line.worst_flags else "-"


def referral_text(line: TeamLine) -> str:
    if not line.referral:
        return "no"
    return "YES, urgent" if line.referral_urgent else "yes"


def print_team(status: TeamStatus, console: Console | None = None) -> None:
    console = console or Console()
    if not status.lines:
        console.print("No athletes yet: `advisor athlete add NAME`.")
        return
    head = "Team status"
    head += f" as of {status.as_of.isoformat()}" if status.as_of else " (each athlete's today)"
    console.print(Text(head, style="bold"))
    table = Table("athlete", "worst flags", "referral", "7 days / cap", "last pain", "synced", box=None)
    for line in status.lines:
        style = GROUP_STYLE[line.group]
        table.add_row(
            Text(line.name, style=style),
            Text(flags_text(line), style=style),
            Text(referral_text(line), style="bold red" if line.referral else ""),
            week_text(line),
            pain_text(line),
            sync_text(line),
        )
    console.print(table)
    console.print(
        Text("Guidance, not a diagnosis. Each runner's report: `advisor --athlete NAME status`.", style="dim")
    )
