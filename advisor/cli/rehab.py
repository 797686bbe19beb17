"""`advisor rehab log|list` and `advisor routine`: the rehab routine, and the sessions the runner did."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from advisor.cli.common import DATE_HELP, SINCE_HELP, delete_entry, fail, open_runtime, parse_date
from advisor.errors import InputError
from advisor.render.text import printable

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

rehab_app = typer.Typer(help="Log and review rehab sessions (the strength and mobility routine).", no_args_is_help=True)
app.add_typer(rehab_app, name="rehab")


@rehab_app.command("log")
def rehab_log(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help=DATE_HELP)] = None,
    strength: Annotated[bool, typer.Option("--strength", help="The strength moves (default: both parts).")] = False,
    mobility: Annotated[bool, typer.Option("--mobility", help="Stretches and foam rolling (default: both).")] = False,
    band: Annotated[bool, typer.Option("--band", help="With a resistance band.")] = False,
    pain: Annotated[int | None, typer.Option("--pain", help="Knee pain during it, 0-10.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Anything worth remembering.")] = None,
) -> None:
    """Log a session of the routine; both parts unless --strength or --mobility says which."""
    from advisor.services.rehab import RehabInput, log_rehab

    both = not (strength or mobility)
    rt = open_runtime(ctx)
    entry = RehabInput(
        day=parse_date(day, "--date", rt.settings.today()) if day else None,
        strength=strength or both,
        mobility=mobility or both,
        band=band,
        pain=pain,
        note=note,
    )
    try:
        row = log_rehab(rt.db, rt.athlete_id, entry, rt.settings.today())
    except InputError as error:
        fail(str(error))
    parts = " and ".join(p for p, on in (("strength", row.strength), ("mobility", row.mobility)) if on)
    typer.echo(f"Logged a rehab session ({parts}{', band' if row.band else ''}) on {row.day.isoformat()}.")
    if row.pain is not None and row.pain > rt.settings.thresholds.rehab_pain_limit:
        typer.echo("That hurt more than 2/10: ease the moves off (smaller range, no band) next time.")


@rehab_app.command("list")
def rehab_list(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """List logged rehab sessions."""
    from advisor.services.rehab import list_rehab

    rt = open_runtime(ctx)
    rows = list_rehab(rt.db, rt.athlete_id, parse_date(since, "--since", rt.settings.today()) if since else None)
    if as_json:
        sessions = [
            {
                "id": r.id,
                "date": r.day.isoformat(),
                "strength": r.strength,
                "mobility": r.mobility,
                "band": r.band,
                "pain": r.pain,
                "note": r.note,
            }
            for r in rows
        ]
        typer.echo(json.dumps({"rehab": sessions}, indent=2))
        return
    if not rows:
        typer.echo("No rehab sessions logged yet: `advisor rehab log`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "date", "strength", "mobility", "band", "pain", "note")
    for r in rows:
        yes = {True: "yes", False: ""}
        pain = "" if r.pain is None else f"{r.pain}/10"
        table.add_row(
            str(r.id), r.day.isoformat(), yes[r.strength], yes[r.mobility], yes[r.band], pain, printable(r.note or "")
        )
    Console().print(table)


@rehab_app.command("delete")
def rehab_delete(
    ctx: typer.Context, entry_id: Annotated[int, typer.Argument(help="The id from `rehab list`.")]
) -> None:
    """Delete a rehab session logged by mistake."""
    from advisor.services.rehab import delete_rehab

    delete_entry(ctx, entry_id, "rehab session", "advisor rehab list", delete_rehab)


@app.command("routine")
def routine_command(ctx: typer.Context) -> None:
    """The rehab routine with every move's steps and why it helps, and the progression steps."""
    from advisor.domain.advice.rehab import rehab_routine
    from advisor.render.status import print_routine

    rt = open_runtime(ctx)
    print_routine(rehab_routine(rt.settings.profile.sex))
