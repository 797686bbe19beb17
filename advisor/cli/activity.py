"""`advisor activities` and `advisor activity ...`: review what is stored, and correct it.

A thin layer: listing is `advisor.services.activities`, corrections are `advisor.services.corrections`, rendering is
`advisor.render.tables` / `advisor.render.activity`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from advisor.cli.common import SINCE_HELP, Yes, confirmed, fail, known_id, open_runtime, parse_date
from advisor.errors import CorrectionError, InputError

if TYPE_CHECKING:
    from advisor.bootstrap import Runtime
    from advisor.store.activities import StoredActivity

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

ACTIVITIES_EPILOG = """Examples:

\b
  advisor activities --limit 10
  advisor activities --sport run --since 2026-01-01
  advisor activities --json > activities.json

Exit codes: 0 ok, 2 on a usage or configuration error."""


class _ActivityGroup(TyperGroup):
    """`advisor activity 12` means `advisor activity show 12`: the run in detail is what the runner asks for most.

    Click cannot have a group take a positional argument and subcommands at once, so an id in the subcommand's
    place is read as `show ID`.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0].isdigit():
            args = ["show", *args]
        return super().parse_args(ctx, args)


activity_app = typer.Typer(
    cls=_ActivityGroup,
    help="One activity in detail (`advisor activity ID`), and corrections: exclude, include, set the sport.",
    no_args_is_help=True,
)
app.add_typer(activity_app, name="activity")

ID = Annotated[int, typer.Argument(help="The activity's id, from `advisor activities`.", metavar="ID")]
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")]


def _check_id(rt: Runtime, activity_id: int) -> None:
    """An id no row can have ends the command with the sentence of an id that is not there."""
    known_id(rt, activity_id, f"there is no activity {activity_id}; `advisor activities` lists their ids")


@app.command("activities", epilog=ACTIVITIES_EPILOG)
def activities_command(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the most recent N.", min=1)] = None,
    sport: Annotated[
        str | None,
        typer.Option("--sport", help="A sport or sub-sport (cycling, treadmill), or run, foot or bike."),
    ] = None,
    as_json: JSON = False,
) -> None:
    """List stored activities with their computed metrics (excluded ones too, marked)."""
    from advisor.render.tables import activities_table
    from advisor.services.activities import activity_json, list_activities

    rt = open_runtime(ctx)
    since_date = parse_date(since, "--since", rt.settings.today()) if since else None
    tz = rt.settings.tz
    try:
        rows = list_activities(
            rt.db, rt.athlete_id, since=since_date, tz=tz, include_excluded=True, sport=sport, limit=limit
        )
    except InputError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps({"activities": [activity_json(a, tz) for a in rows]}, indent=2))
        return
    if not rows:
        if sport or since_date:
            typer.echo("No stored activity matches.")
        else:
            typer.echo("No activities stored yet: run `advisor import PATH` or `advisor sync`.")
        return
    activities_table(rows, tz, rt.settings.profile.units)


def _activity(ctx: typer.Context, activity_id: int) -> tuple[Runtime, StoredActivity]:
    """The runtime and the activity an `activity` command names, or one sentence that there is none (exit 2)."""
    from advisor.services.corrections import get_activity

    rt = open_runtime(ctx)
    _check_id(rt, activity_id)
    try:
        return rt, get_activity(rt.db, rt.athlete_id, activity_id)
    except CorrectionError as error:
        fail(str(error))


@activity_app.command("show")
def show_command(ctx: typer.Context, activity_id: ID, as_json: JSON = False) -> None:
    """The activity in detail: distance, time, pace, climb, steep descent, cadence, HR, load, the file's totals."""
    from advisor.render.activity import activity_detail_json, print_activity
    from advisor.services.activities import activity_json
    from advisor.services.corrections import activity_sources

    rt, activity = _activity(ctx, activity_id)
    sources = activity_sources(rt.db, rt.athlete_id, activity)
    tz = rt.settings.tz
    if as_json:
        from advisor.services.knee import activity_flags

        document = activity_detail_json(activity_json(activity, tz), sources)
        raised = activity_flags(rt.db, rt.athlete_id, rt.settings, activity)
        document["flags"] = [f.model_dump(mode="json") for f in raised]
        typer.echo(json.dumps(document, indent=2))
        return
    from advisor.services.knee import activity_flags

    flags = [f"{f.severity.upper()}: {f.message}" for f in activity_flags(rt.db, rt.athlete_id, rt.settings, activity)]
    print_activity(activity, sources, tz, rt.settings.profile.units, flags=flags)


@activity_app.command("exclude")
def exclude_command(ctx: typer.Context, activity_id: ID) -> None:
    """Exclude an activity (not yours, a broken recording): it then counts nowhere, but stays stored."""
    from advisor.services.corrections import exclude_activity

    rt = open_runtime(ctx)
    _check_id(rt, activity_id)
    try:
        activity = exclude_activity(rt.db, rt.athlete_id, activity_id)
    except CorrectionError as error:
        fail(str(error))
    typer.echo(
        f"Excluded activity {activity.id}: it counts nowhere now. `advisor activity include {activity.id}` undoes it."
    )


@activity_app.command("delete")
def delete_command(ctx: typer.Context, activity_id: ID, yes: Yes = False) -> None:
    """Delete an activity for good (exclude keeps it); importing its file again brings it back."""
    from advisor.services.corrections import delete_activity

    rt, activity = _activity(ctx, activity_id)
    day = activity.start_utc.astimezone(rt.settings.tz).date().isoformat()
    confirmed(f"Delete activity {activity_id} ({activity.sport.replace('_', ' ')} on {day}) for good?", yes)
    try:
        gone, file_too = delete_activity(rt.db, rt.athlete_id, activity_id)
    except CorrectionError as error:
        fail(str(error))
    again = " Importing its file again brings it back." if file_too else ""
    typer.echo(f"Deleted activity {gone.id}.{again}")


@activity_app.command("include")
def include_command(ctx: typer.Context, activity_id: ID) -> None:
    """Count an excluded activity again."""
    from advisor.services.corrections import include_activity

    rt = open_runtime(ctx)
    _check_id(rt, activity_id)
    try:
        activity = include_activity(rt.db, rt.athlete_id, activity_id)
    except CorrectionError as error:
        fail(str(error))
    typer.echo(f"Activity {activity.id} counts again.")


@activity_app.command("set", epilog="Example:\n\n\b\n  advisor activity set 12 --sport cycling")
def set_command(
    ctx: typer.Context,
    activity_id: ID,
    sport: Annotated[str, typer.Option("--sport", help="A FIT sport name: running, cycling, walking, hiking...")],
    sub_sport: Annotated[
        str | None, typer.Option("--sub-sport", help="A FIT sub-sport name: treadmill, trail, road, indoor_cycling...")
    ] = None,
) -> None:
    """Give an activity another sport (a ride the watch recorded as a run); the file's own is kept."""
    from advisor.services.corrections import set_sport

    rt = open_runtime(ctx)
    _check_id(rt, activity_id)
    try:
        activity = set_sport(rt.db, rt.athlete_id, activity_id, sport, sub_sport)
    except CorrectionError as error:
        fail(str(error))
    shown = activity.sport + (f"/{activity.sub_sport}" if activity.sub_sport else "")
    if activity.file_sport is None:
        typer.echo(f"Activity {activity.id} is {shown} again, as its file says.")
    else:
        typer.echo(f"Activity {activity.id} is now {shown} (its file said {activity.file_sport}).")
