"""What every command shares: one-sentence failures, the runtime (settings and database) and date options."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from advisor.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from advisor.bootstrap import Runtime


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"advisor: {message}", err=True)
    raise typer.Exit(code)


def runtime(ctx: typer.Context) -> Runtime:
    """The settings, database and athlete (`--athlete`) for this command, loaded once; configuration errors and an
    unknown athlete end the command (exit 2)."""
    from advisor.bootstrap import Runtime, ensure_home
    from advisor.config import load_settings

    if not isinstance(ctx.obj, Runtime):
        options = ctx.obj if isinstance(ctx.obj, dict) else {}
        try:
            settings = load_settings(options.get("config"))
            ensure_home(settings.home)
            rt = Runtime.for_athlete(settings, options.get("athlete") or None)
        except (ConfigError, StoreError) as error:
            fail(str(error))
        ctx.obj = rt
        ctx.call_on_close(rt.close)
    return ctx.obj


def open_runtime(ctx: typer.Context) -> Runtime:
    """Like `runtime`, with the database opened (and migrated) now, so store errors are reported up front."""
    rt = runtime(ctx)
    try:
        _ = rt.athlete_id
    except StoreError as error:
        fail(str(error))
    return rt


EARLIEST_DATE = date(1900, 1, 1)
"""No date option goes further back. The engine looks 200-odd days behind a date and the weekly chart 12 weeks, so
a date in year 1 would leave the calendar (an OverflowError deep in a report); no watch recorded a run before
1900, so nothing real is refused."""


DATE_HELP = "YYYY-MM-DD, yesterday or -N (days ago); default today."
SINCE_HELP = "Only from this date on (YYYY-MM-DD, yesterday or -N days ago)."
DAYS_AGO = re.compile(r"^-(\d{1,5})$")


def parse_date(value: str, option: str, today: date) -> date:
    """A date as typed: `YYYY-MM-DD`, `today`, `yesterday`, or `-N` for N days ago (the runner's today, in their
    time zone), so logging last night's pain is `--date yesterday`, not a calendar lookup."""
    word = value.strip().lower()
    ago = DAYS_AGO.match(word)
    if word in ("today", "yesterday"):
        return today - timedelta(days=0 if word == "today" else 1)
    if ago:
        days = int(ago[1])
        if days > (today - EARLIEST_DATE).days:
            fail(f"{option} {value} goes back before {EARLIEST_DATE.isoformat()}; give a date from then on")
        return today - timedelta(days=days)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail(f"{option} expects a date: YYYY-MM-DD, today, yesterday or -N (N days ago), got {value!r}")
    if day < EARLIEST_DATE:
        fail(f"{option} {day.isoformat()} is before {EARLIEST_DATE.isoformat()}; give a date from then on")
    return day


def known_id(rt: Runtime, value: int, missing: str) -> int:
    """`value`, when a row of the database could have it; otherwise the command ends with `missing`, the sentence
    an id that is not there gets (exit 2).

    An id beyond the largest key the database holds (2^31 - 1 on PostgreSQL, 2^63 - 1 on SQLite), or below 1,
    cannot exist; sent to the database it would be an "integer out of range" or an OverflowError instead.
    """
    if not 1 <= value <= rt.largest_id:
        fail(missing)
    return value


Yes = Annotated[bool, typer.Option("--yes", help="Do it without asking (for scripts).")]


def confirmed(question: str, yes: bool) -> None:
    """Go on only when the runner says so (`--yes` says it for a script); without a terminal to ask on, the command
    says how to confirm instead of deleting anything (exit 2); a "no" ends it with nothing changed."""
    import sys

    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{question.rstrip('?')}: add --yes to confirm (nothing was changed)")
    if not typer.confirm(question, default=False):
        typer.echo("Nothing was changed.")
        raise typer.Exit(1)


def delete_entry(
    ctx: typer.Context, entry_id: int, noun: str, listing: str, delete: Callable[[Any, int, int], None]
) -> None:
    """`pain delete ID`, `rehab delete ID`: one of the runner's log entries removed, or one sentence why not."""
    from advisor.errors import InputError

    rt = open_runtime(ctx)
    known_id(rt, entry_id, f"there is no {noun} with id {entry_id} (see `{listing}`)")
    try:
        delete(rt.db, rt.athlete_id, entry_id)
    except InputError as error:
        fail(str(error))
    typer.echo(f"Deleted {noun} {entry_id}.")


def deleted_rows(counts: dict[str, int]) -> str:
    """`12 activities, 3 pain entries`: what a delete removed, in words, the empty tables left out."""
    words = {
        "activities": "activities",
        "source_files": "file records",
        "daily_stairs": "stair days",
        "pain_entries": "pain entries",
        "clinician_assessments": "assessments",
        "rehab_sessions": "rehab sessions",
        "outbox": "weekly mails",
    }
    said = [f"{n} {words[table]}" for table, n in counts.items() if n and table in words]
    return ", ".join(said) or "nothing was stored"
