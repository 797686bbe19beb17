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


HEADERS = ("athlete", "worst flags", "referral", "7 days/cap", "last pain", "last sync")


def _columns(rows: list[list[tuple[str, str]]], widths: list[int]) -> Text:
    """The list as one styled text, laid out as Rich lays out a table that fits (bold headers, two spaces between
    columns): a table of 10,000 rows took Rich 4 s to draw, this takes milliseconds."""
    out = Text()
    last = len(widths) - 1
    for i, header in enumerate(HEADERS):
        out.append(header.ljust(widths[i] + (2 if i < last else 0)), style="bold")
    for row in rows:
        out.append("\n")
        for i, (text, style) in enumerate(row):
            out.append(text, style=style or None)
            out.append(" " * (widths[i] - len(text) + (2 if i < last else 0)))
    return out


def print_team(status: TeamStatus, console: Console | None = None) -> None:
    console = console or Console()
    if not status.lines:
        console.print("No athletes yet: `advisor athlete add NAME`.")
        return
    when = f"as of {status.as_of.isoformat()}" if status.as_of else "today"
    head = f"Team status {when}: referrals and red flags first, then high flags"
    console.print(Text(head, style="bold"))
    rows = [
        [
            (line.name, GROUP_STYLE[line.group]),
            (flags_text(line), GROUP_STYLE[line.group]),
            (referral_text(line), "bold red" if line.referral else ""),
            (week_text(line), ""),
            (pain_text(line), ""),
            (sync_text(line), ""),
        ]
        for line in status.lines
    ]
    widths = [max(len(header), *(len(row[i][0]) for row in rows)) for i, header in enumerate(HEADERS)]
    if sum(widths) + 2 * (len(widths) - 1) <= console.width:
        console.print(_columns(rows, widths), soft_wrap=True)
    else:  # a narrow terminal: Rich folds the long names and flags to fit
        table = Table(box=None, padding=(0, 1), pad_edge=False)
        table.add_column(HEADERS[0], overflow="fold")
        table.add_column(HEADERS[1])
        for header in HEADERS[2:]:
            table.add_column(header, no_wrap=True)
        for row in rows:
            table.add_row(*(Text(text, style=style) for text, style in row))
        console.print(table)
    console.print(Text("Guidance, not a diagnosis. A runner's full report: advisor --athlete NAME status", style="dim"))
    console.print(Text("A page for each one's clinician: advisor team report --out-dir DIR", style="dim"))
