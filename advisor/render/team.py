"""`advisor team status` on a terminal: one row per athlete, the ones to call first at the top.

Each athlete's distances are in their own `profile.units` (a coach's miler reads miles); `--json` is metres plus km.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.domain.advice.team import TeamLine, TeamStatus
from advisor.render.units import Units, distance

GROUP_STYLE = {"referral": "bold red", "high": "red", "other": ""}


def week_text(line: TeamLine) -> str:
    """`12.4/13.7 mi`: the last 7 days against the weekly cap, or the distance and why there is none."""
    units: Units = "mi" if line.units == "mi" else "km"
    if line.weekly_cap_m is not None:
        return f"{distance(line.week_distance_m, units, 1, unit=False)}/{distance(line.weekly_cap_m, units, 1)}"
    return f"{distance(line.week_distance_m, units, 1)} {'paused' if line.paused else 'no cap'}"


def pain_text(line: TeamLine) -> str:
    """`3/10 02 Mar`, with the year when it is not the year of the report."""
    if line.last_pain_score is None or line.last_pain_day is None:
        return "none"
    day = line.last_pain_day
    when = f"{day:%d %b}" if day.year == line.as_of.year else f"{day:%d %b %Y}"
    return f"{line.last_pain_score}/10 {when}"


def sync_text(line: TeamLine) -> str:
    """`2d garmin`, `9d file` (no Garmin sync: the newest imported file), `never`."""
    if line.days_since_sync is None:
        return "never"
    return f"{max(line.days_since_sync, 0)}d {'garmin' if line.last_sync_source == 'garmin' else 'file'}"


def flags_text(line: TeamLine) -> str:
    return ", ".join(line.worst_flags) if line.worst_flags else "-"


def referral_text(line: TeamLine) -> str:
    if not line.referral:
        return "no"
    return "URGENT" if line.referral_urgent else "yes"


def print_team(status: TeamStatus, console: Console | None = None) -> None:
    console = console or Console()
    if not status.lines:
        console.print("No athletes yet: `advisor athlete add NAME`.")
        return
    when = f"as of {status.as_of.isoformat()}" if status.as_of else "today"
    head = f"Team status {when}: referrals and red flags first, then high flags"
    console.print(Text(head, style="bold"))
    table = Table(box=None, padding=(0, 1), pad_edge=False)
    table.add_column("athlete", overflow="fold")
    table.add_column("worst flags")
    for header in ("referral", "7 days/cap", "last pain", "last sync"):
        table.add_column(header, no_wrap=True)
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
    console.print(Text("Guidance, not a diagnosis. A runner's full report: advisor --athlete NAME status", style="dim"))
