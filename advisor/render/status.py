"""`advisor status` on a terminal: the decision first, in plain lines that fit an 80 × 24 screen.

The same `KneeReport` as `--json`. The short page is: a referral, the phase (why, and what moves the runner on)
and today's plan, the two caps each with its reason and the dates it covers (`advisor.render.first_screen`, as the
web page and the mail say them), rest days and swap, the flags one line each (with a footnote mark for their
source), what else to do, and the routine's progress. `--full` adds the
weeks table, the sources in full and the routine's steps. No sentence is printed twice: the cap sentences of the
advice are shown as the caps rows, not again as bullets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from advisor.domain.advice.rehab import RehabRoutine
from advisor.domain.advice.report import KneeReport
from advisor.render.first_screen import SHOWN_AS_CAPS, cap_lines, listed_advice, rest_and_swap
from advisor.render.units import Units, distance, elevation, elevation_unit

SEVERITY_STYLE = {"high": "bold red", "caution": "yellow", "info": "cyan"}
PAGE_LINES = 24
FLAG_DROP = {"high": 1, "caution": 3, "info": 4}
"""When the short page must be cut: a high flag goes only after the less important advice."""
SHORT_DISCLAIMER = "Training guidance, not a diagnosis: `advisor status --full` shows the sources."
STALE_DAYS = 14


def data_note(report: KneeReport, newest: date | None, starts: date | None = None) -> str | None:
    """One line when the data is missing or old, so an empty report is not mistaken for a failed import; `starts`,
    the first activity's day, tells a date before the history from a history with nothing in it."""
    if newest is None and starts is not None and starts > report.as_of:
        when = f"{starts.day} {starts:%B %Y}"
        return f"Your history starts on {when}: use `--as-of {starts.isoformat()}` or later."
    if newest is None:
        return (
            "No activities yet: `advisor import PATH`, or `advisor sync` for Garmin; and `advisor profile set` your "
            "time zone, units and heart rates."
        )
    if (report.as_of - newest).days > STALE_DAYS:
        when = f"{newest.day} {newest:%B %Y}"
        return f"Your newest run is from {when}; use `--as-of {newest.isoformat()}` to see that week."
    return None


def print_status(
    report: KneeReport,
    console: Console | None = None,
    *,
    full: bool = False,
    units: Units = "km",
    newest: date | None = None,
    starts: date | None = None,
) -> None:
    console = console or Console()
    newest = newest if newest is not None else report.newest_data
    blocks = _blocks(report, units, newest, full, starts)
    if not full:
        blocks = _fit(blocks, console, PAGE_LINES)
    marks: list[str] = []
    for block in blocks:
        if block.source is not None:
            marks.append(block.source)
            assert isinstance(block.body, Text)
            console.print(Text.assemble(block.body, (f" [{len(marks)}]", "dim")))
        else:
            console.print(block.body)
    if not full:
        return
    for item in report.advice:
        if item.code in SHOWN_AS_CAPS and item.source not in marks:
            marks.append(item.source)
    if full:
        console.print(_weeks_table(report, units))
        console.print(Text("Sources", style="bold"))
        for i, source in enumerate(marks, start=1):
            console.print(Text(f"[{i}] {source}", style="dim"))
        print_routine(report.rehab, console, current_step=report.rehab_progress.step)
        console.print(Text(report.disclaimer, style="italic dim"))


@dataclass(frozen=True)
class Block:
    """One piece of the page: what it prints, its source (a footnote mark), and how much it matters when the short
    page must fit 80 × 24 (0 always stays; higher numbers go first)."""

    body: RenderableType
    source: str | None = None
    drop: int = 0


def _blocks(
    report: KneeReport, units: Units, newest: date | None, full: bool, starts: date | None = None
) -> list[Block]:
    """The page in reading order: the referral, the phase and today, the caps, the flags, what else to do, the
    routine's progress."""
    head = f"Knee report for {report.as_of.isoformat()} (week {report.week})"
    if newest is not None:
        head += f" · newest run {newest.isoformat()}"
    blocks = [Block(Text(head, style="bold"))]
    note = data_note(report, newest, starts)
    if note:
        blocks.append(Block(Text(note, style="yellow")))
    if report.coverage:
        blocks.append(Block(Text(report.coverage, style="yellow")))
    clinician = next((a for a in report.advice if a.code == "see_clinician"), None)
    if clinician is not None:
        blocks.append(Block(Text.assemble(("SEE A CLINICIAN  ", "bold red"), clinician.message), clinician.source))
    phase = report.phase
    style = "bold red" if phase.code == "paused" else "bold yellow" if phase.code == "settle" else "bold"
    blocks.append(Block(Text.assemble((f"{phase.name.upper():<8}", style), phase.words())))
    blocks.append(Block(Text.assemble(("TODAY   ", "bold"), report.today.message)))
    for line in cap_lines(report, units):
        blocks.append(Block(Text.assemble((f"{line.label}: ", "bold"), line.clause()), line.source))
    rest = rest_and_swap(report)
    if rest:
        blocks.append(Block(Text(rest)))
    for flag in report.flags:
        label = (f"{flag.severity.upper():<8}", SEVERITY_STYLE.get(flag.severity, ""))
        blocks.append(Block(Text.assemble(label, flag.message), flag.source, FLAG_DROP[flag.severity]))
    if not report.flags:
        blocks.append(Block(Text("No knee-risk flags this week.", style="green")))
    for item in listed_advice(report, short=not full):
        drop = 1 if item.code in ("return_to_run", "cross_train") else 5
        blocks.append(Block(Text.assemble(("• ", "bold"), item.message), item.source, drop))
    p = report.rehab_progress
    progress = (
        f"Rehab: step {p.step} ({p.step_name.lower()}) · strength {p.strength_sessions_this_week}/"
        f"{p.strength_target} · mobility {p.mobility_days_this_week}/{p.mobility_target} days"
    )
    blocks.append(Block(Text(progress), drop=2))
    if not full:
        blocks.append(Block(Text(SHORT_DISCLAIMER, style="italic dim")))
    return blocks


def _fit(blocks: list[Block], console: Console, lines: int) -> list[Block]:
    """Drop the least important blocks (the last of the highest `drop` first) until the page fits `lines` at the
    console's width, saying how many were left for `--full`."""
    options = console.options
    height = [len(console.render_lines(_marked(b), options, pad=False)) for b in blocks]
    kept = list(range(len(blocks)))
    dropped = 0
    while sum(height[i] for i in kept) + (1 if dropped else 0) > lines:
        candidates = [i for i in kept if blocks[i].drop > 0]
        if not candidates:
            break
        worst = max(candidates, key=lambda i: (blocks[i].drop, i))
        kept.remove(worst)
        dropped += 1
    out = [blocks[i] for i in kept]
    if dropped:
        more = Text(f"+ {dropped} more (flags and advice): `advisor status --full`", style="dim")
        out.insert(len(out) - 1, Block(more))
    return out


def _marked(block: Block) -> RenderableType:
    """The block as printed, with room for its footnote mark (two digits at most on a short page)."""
    if block.source is None:
        return block.body
    assert isinstance(block.body, Text)
    return Text.assemble(block.body, " [00]")


def _weeks_table(report: KneeReport, units: Units) -> Table:
    unit = "mi" if units == "mi" else "km"
    table = Table(title="Last 8 weeks", title_justify="left")
    for header in ("week", unit, "runs", "longest", f"descent {elevation_unit(units)}", "steep ↓", "floors ↓", "pain"):
        table.add_column(header, justify="left" if header == "week" else "right")
    for w in report.weeks:
        table.add_row(
            w.week,
            distance(w.distance_m, units, 1, unit=False),
            str(w.runs),
            distance(w.longest_run_m, units, 1, unit=False),
            elevation(w.descent_m, units, unit=False),
            distance(w.steep_downhill_m, units, 2, unit=False),
            "-" if w.floors_descended is None else f"{w.floors_descended:.0f}",
            "-" if w.worst_pain is None else f"{w.worst_pain}/10",
        )
    return table


def print_routine(routine: RehabRoutine, console: Console | None = None, current_step: int | None = None) -> None:
    """The routine with every move's steps and why, then the progression steps (`advisor routine`, `status --full`)."""
    console = console or Console()
    console.print(Text(routine.title, style="bold"))
    console.print(Text(routine.summary))
    if routine.emphasis:
        console.print(Text(routine.emphasis.text, style="italic"))
    s = routine.strength
    console.print(Text(f"\nStrength: {s.sets} × {s.reps}, {s.days_per_week} days a week ({s.equipment})", style="bold"))
    for move in s.moves:
        console.print(Text(f"{move.name}: " + " ".join(move.steps)))
        console.print(Text(f"  why: {move.why}", style="dim"))
    st = routine.stretches
    console.print(Text(f"\nStretches: {st.frequency}, hold {st.hold_s} s × {st.repeats}", style="bold"))
    for item in st.items:
        console.print(Text(f"{item.name}: " + " ".join(item.steps)))
        console.print(Text(f"  why: {item.why}", style="dim"))
    fr = routine.foam_rolling
    console.print(Text(f"\nFoam rolling: {fr.frequency}", style="bold"))
    for area in fr.areas:
        console.print(Text(f"{area.name}: " + " ".join(area.steps)))
    console.print(Text("\nProgression", style="bold"))
    for step in routine.steps:
        here = "  ← you are here" if step.number == current_step else ""
        console.print(Text(f"Step {step.number}: {step.name} — {step.summary}{here}", style="bold" if here else ""))
        console.print(Text(f"  why: {step.why}", style="dim"))
        for move in step.moves:
            console.print(Text(f"  {move.name}: " + " ".join(move.steps)))
