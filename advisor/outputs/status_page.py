"""`advisor status` on a terminal: the same `KneeReport` as `--json`, laid out for a runner to read."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from advisor.advice.report import KneeReport

SEVERITY_STYLE = {"high": "bold red", "caution": "yellow", "info": "cyan"}


def print_status(report: KneeReport, console: Console | None = None) -> None:
    console = console or Console()
    console.print(Text(f"Knee report for {report.as_of.isoformat()} (week {report.week})", style="bold"))
    if report.paused:
        console.print(
            Panel(
                Text(report.paused_reason or "Running advice is paused.", style="bold"),
                title="Red flag",
                border_style="red",
            )
        )
    console.print(_weeks_table(report))
    console.print(_flags(report))
    console.print(_caps(report))
    console.print(_advice(report))
    console.print(_rehab(report))
    console.print(Text(report.disclaimer, style="italic"))


def _weeks_table(report: KneeReport) -> Table:
    table = Table(title="Last 8 weeks", title_justify="left")
    for header in ("week", "km", "runs", "longest km", "descent m", "steep ↓ km", "floors ↓", "worst pain"):
        table.add_column(header, justify="left" if header == "week" else "right")
    for w in report.weeks:
        table.add_row(
            w.week,
            f"{w.distance_km:.1f}",
            str(w.runs),
            f"{w.longest_run_km:.1f}",
            f"{w.descent_m:.0f}",
            f"{w.steep_downhill_km:.2f}",
            "-" if w.floors_descended is None else f"{w.floors_descended:.0f}",
            "-" if w.worst_pain is None else f"{w.worst_pain}/10",
        )
    return table


def _flags(report: KneeReport) -> Panel:
    if not report.flags:
        return Panel("No knee-risk flags this week.", title="Flags", border_style="green")
    lines = []
    for flag in report.flags:
        evidence = ", ".join(f"{k} {_number(v)}" for k, v in flag.evidence.items())
        lines.append(
            Text.assemble(
                (f"{flag.severity.upper():<8}", SEVERITY_STYLE.get(flag.severity, "")),
                f"{flag.message}  ",
                (f"[{flag.code}: {evidence}]", "dim"),
            )
        )
    return Panel(Group(*lines), title="Flags", border_style="yellow")


def _caps(report: KneeReport) -> Panel:
    caps = report.caps
    rows = Table.grid(padding=(0, 2))
    weekly = f"{caps.weekly_distance_km:.1f} km" if caps.weekly_distance_km is not None else (caps.weekly_reason or "-")
    next_run = f"{caps.next_run_km:.1f} km" if caps.next_run_km is not None else (caps.next_run_reason or "-")
    rows.add_row("Next 7 days, at most", Text(weekly))
    rows.add_row("Longest next run", Text(next_run))
    rows.add_row("Rest days", "-" if caps.rest_days is None else str(caps.rest_days))
    if caps.cross_train_min:
        rows.add_row("Cross-training swap", f"{caps.cross_train_min:.0f} min")
    threshold = report.pain_threshold
    if threshold.distance_7d_km is not None:
        rows.add_row("Your pain threshold", f"{threshold.distance_7d_km:.1f} km in 7 days")
    elif threshold.reason:
        rows.add_row("Your pain threshold", Text(threshold.reason))
    return Panel(rows, title="Next week", border_style="blue")


def _advice(report: KneeReport) -> Panel:
    lines = [Text.assemble(("• ", "bold"), a.message) for a in report.advice]
    return Panel(Group(*lines) if lines else Text("-"), title="What to do", border_style="blue")


def _rehab(report: KneeReport) -> Panel:
    r = report.rehab
    parts: list[Text] = [Text(r.summary)]
    if r.emphasis:
        parts.append(Text(r.emphasis.text, style="italic"))
    s = r.strength
    parts.append(Text(f"\nStrength: {s.sets} × {s.reps}, {s.days_per_week} days a week ({s.equipment})", style="bold"))
    for move in s.moves:
        parts.append(Text(f"{move.name}: " + " ".join(move.steps)))
        parts.append(Text(f"  why: {move.why}", style="dim"))
    st = r.stretches
    parts.append(Text(f"\nStretches: {st.frequency}, hold {st.hold_s} s × {st.repeats}", style="bold"))
    for item in st.items:
        parts.append(Text(f"{item.name}: " + " ".join(item.steps)))
        parts.append(Text(f"  why: {item.why}", style="dim"))
    fr = r.foam_rolling
    parts.append(Text(f"\nFoam rolling: {fr.frequency}", style="bold"))
    for area in fr.areas:
        parts.append(Text(f"{area.name}: " + " ".join(area.steps)))
    return Panel(Group(*parts), title=r.title, border_style="magenta")


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
