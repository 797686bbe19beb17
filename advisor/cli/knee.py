"""`advisor pain ...`, `advisor stairs log` and `advisor status`: the runner's side of the knee engine."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from advisor.cli.common import DATE_HELP, SINCE_HELP, delete_entry, fail, open_runtime, parse_date
from advisor.errors import InputError
from advisor.render.text import printable

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

pain_app = typer.Typer(help="Log and review knee pain (0-10).", no_args_is_help=True)
stairs_app = typer.Typer(help="Log floors climbed when no watch counts them.", no_args_is_help=True)
app.add_typer(pain_app, name="pain")
app.add_typer(stairs_app, name="stairs")


@pain_app.command("log")
def pain_log(
    ctx: typer.Context,
    score: Annotated[int, typer.Option("--score", help="Knee pain from 0 (none) to 10 (worst).")],
    when: Annotated[str, typer.Option("--when", help="during, after (a run) or morning (the next one).")] = "after",
    day: Annotated[str | None, typer.Option("--date", help=DATE_HELP)] = None,
    swelling: Annotated[bool, typer.Option("--swelling", help="The knee is swollen.")] = False,
    locking: Annotated[bool, typer.Option("--locking", help="The knee locks or catches.")] = False,
    giving_way: Annotated[bool, typer.Option("--giving-way", help="The knee gives way.")] = False,
    rest_pain: Annotated[bool, typer.Option("--rest-pain", help="Pain at rest or at night.")] = False,
    hot_red: Annotated[bool, typer.Option("--hot-red", help="The knee is hot and red, or you have a fever.")] = False,
    after_injury: Annotated[
        bool,
        typer.Option("--after-injury", help="Swelling at once, or you cannot bear weight, after a twist or fall."),
    ] = False,
    calf: Annotated[bool, typer.Option("--calf", help="Calf pain or swelling.")] = False,
    numbness: Annotated[bool, typer.Option("--numbness", help="Numbness in the leg or foot.")] = False,
    no_red_flags: Annotated[
        bool, typer.Option("--no-red-flags", help="A check: none of the signs above is there now.")
    ] = False,
    note: Annotated[str | None, typer.Option("--note", help="Anything worth remembering.")] = None,
) -> None:
    """Log a knee pain score; swelling, locking, giving way and rest pain are red flags, and a hot red knee or fever,
    a twist or fall, calf pain and numbness mean "get seen today"."""
    from advisor.domain.advice.clinician import what_to_do_now
    from advisor.services.knee import PainInput, log_pain
    from advisor.services.notify import NOTHING_TO_NOTIFY, tell_now

    rt = open_runtime(ctx)
    entry = PainInput(
        score=score,
        when=when,
        day=parse_date(day, "--date", rt.settings.today()) if day else None,
        swelling=swelling,
        locking=locking,
        giving_way=giving_way,
        rest_or_night_pain=rest_pain,
        hot_red_or_fever=hot_red,
        injury_swelling=after_injury,
        calf_pain=calf,
        numbness=numbness,
        no_red_flags=no_red_flags,
        note=note,
    )
    try:
        row = log_pain(rt.db, rt.athlete_id, entry, rt.settings.today())
    except InputError as error:
        fail(str(error))
    typer.echo(f"Logged pain {row.score}/10 ({row.when}) on {row.day.isoformat()} as entry {row.id}.")
    if entry.signs:
        typer.echo(what_to_do_now(entry.signs))
        told = tell_now(rt)  # at once, not at the daemon's next scan
        if told is not None and told != NOTHING_TO_NOTIFY:
            typer.echo(f"Notifications: {told}")


@pain_app.command("assessed")
def pain_assessed(
    ctx: typer.Context,
    cleared: Annotated[bool, typer.Option("--cleared", help="Cleared to run.", show_default=False)] = False,
    not_cleared: Annotated[
        bool, typer.Option("--not-cleared", help="Not cleared to run yet.", show_default=False)
    ] = False,
    day: Annotated[str | None, typer.Option("--date", help=DATE_HELP)] = None,
    note: Annotated[str | None, typer.Option("--note", help="What the clinician said.")] = None,
) -> None:
    """Record a clinician's assessment: --cleared ends a red-flag pause and starts a graded return to running."""
    from advisor.services.rehab import record_assessment

    if cleared == not_cleared:  # neither, or both: two separate flags, so "both" is not silently the last one
        fail("say what the clinician decided: exactly one of --cleared or --not-cleared")
    rt = open_runtime(ctx)
    today = rt.settings.today()
    try:
        when = parse_date(day, "--date", today) if day else None
        row = record_assessment(rt.db, rt.athlete_id, cleared, when, note, today)
    except InputError as error:
        fail(str(error))
    if row.cleared:
        typer.echo(f"Recorded: cleared to run on {row.day.isoformat()}. Restart gradually: see `advisor status`.")
    else:
        typer.echo(f"Recorded: not cleared yet on {row.day.isoformat()}. Running advice stays paused.")


@pain_app.command("list")
def pain_list(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """List logged pain entries."""
    from advisor.domain.risk.model import SIGN_WORDS
    from advisor.services.knee import list_pain

    rt = open_runtime(ctx)
    rows = list_pain(rt.db, rt.athlete_id, parse_date(since, "--since", rt.settings.today()) if since else None)
    if as_json:
        entries = [
            {
                "id": r.id,
                "date": r.day.isoformat(),
                "when": r.when,
                "score": r.score,
                **{sign: getattr(r, sign) for sign in SIGN_WORDS},
                "no_red_flags": r.no_red_flags,
                "note": r.note,
            }
            for r in rows
        ]
        typer.echo(json.dumps({"pain": entries}, indent=2))
        return
    if not rows:
        typer.echo("No pain logged yet: `advisor pain log --score N`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "date", "when", "score", "flags", "note")
    for r in rows:
        flags = [words for sign, words in SIGN_WORDS.items() if getattr(r, sign)]
        signs = ", ".join(flags) or ("none of the signs" if r.no_red_flags else "")
        table.add_row(str(r.id), r.day.isoformat(), r.when, f"{r.score}/10", signs, printable(r.note or ""))
    Console().print(table)


@pain_app.command("delete")
def pain_delete(ctx: typer.Context, entry_id: Annotated[int, typer.Argument(help="The id from `pain list`.")]) -> None:
    """Delete a pain entry logged by mistake."""
    from advisor.services.knee import delete_pain

    delete_entry(ctx, entry_id, "pain entry", "advisor pain list", delete_pain)


@stairs_app.command("log")
def stairs_log(
    ctx: typer.Context,
    floors: Annotated[float, typer.Option("--floors", help="Floors walked down (and up) that day.")],
    floors_up: Annotated[float | None, typer.Option("--floors-up", help="Floors up, if different.")] = None,
    day: Annotated[str | None, typer.Option("--date", help=DATE_HELP)] = None,
    add: Annotated[bool, typer.Option("--add", help="Add to the floors already logged that day.")] = False,
) -> None:
    """Log the floors of stairs you walked on a day (a watch or Garmin sync fills this on its own); a second log
    for the same day replaces the first, unless --add."""
    from advisor.services.knee import log_stairs

    rt = open_runtime(ctx)
    today = rt.settings.today()
    when = parse_date(day, "--date", today) if day else today
    try:
        earlier = log_stairs(rt.db, rt.athlete_id, floors, floors_up, when, today, add=add)
    except InputError as error:
        fail(str(error))
    if earlier is None:
        typer.echo(f"Logged {floors:g} floors down on {when.isoformat()}.")
    elif add:
        typer.echo(f"Added {floors:g} floors down on {when.isoformat()}: {earlier[1] + floors:g} in all that day.")
    else:
        typer.echo(
            f"Logged {floors:g} floors down on {when.isoformat()}, replacing the {earlier[1]:g} logged before "
            "(`--add` adds instead)."
        )


@stairs_app.command("list")
def stairs_list(ctx: typer.Context, since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None) -> None:
    """The floors of each day, from every source (the watch, Garmin, your own log)."""
    from advisor.services.knee import list_stairs

    rt = open_runtime(ctx)
    rows = list_stairs(rt.db, rt.athlete_id, parse_date(since, "--since", rt.settings.today()) if since else None)
    if not rows:
        typer.echo("No stairs yet: `advisor stairs log --floors N`, or a watch that counts floors.")
    for r in rows:
        up = "-" if r.floors_up is None else f"{r.floors_up:g}"
        down = "-" if r.floors_down is None else f"{r.floors_down:g}"
        typer.echo(f"{r.day.isoformat()}  {r.source:<15} {down:>6} down  {up:>6} up")


@stairs_app.command("delete")
def stairs_delete(ctx: typer.Context, day: Annotated[str, typer.Argument(help="The day (YYYY-MM-DD or -N).")]) -> None:
    """Delete the floors you logged for a day (a watch's count for it stays)."""
    from advisor.services.knee import delete_stairs

    rt = open_runtime(ctx)
    when = parse_date(day, "DAY", rt.settings.today())
    try:
        delete_stairs(rt.db, rt.athlete_id, when)
    except InputError as error:
        fail(str(error))
    typer.echo(f"Deleted the floors you logged for {when.isoformat()}.")


@app.command("status")
def status_command(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assess as of this date (YYYY-MM-DD or -N).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Add the weeks table, the sources and the routine's steps.")
    ] = False,
) -> None:
    """What to do now: this week's flags, caps, rest days and swap, and the routine's progress."""
    from advisor.services.current import report_for

    rt = open_runtime(ctx)
    today = rt.settings.today()
    day: date = parse_date(as_of, "--as-of", today) if as_of else today
    if day > today:
        fail(f"--as-of {day.isoformat()} is in the future (today is {today.isoformat()})")
    report = report_for(rt.db, rt.athlete_id, rt.settings, day, today)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
        return
    from advisor.render.status import print_status
    from advisor.services.knee import history_start, newest_activity_day

    newest = report.newest_data or newest_activity_day(rt.db, rt.athlete_id, rt.settings, day)
    starts = history_start(rt.db, rt.athlete_id, rt.settings) if newest is None else None
    print_status(report, full=full, units=rt.settings.profile.units, newest=newest, starts=starts)
