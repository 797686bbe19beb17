"""`advisor calendar url|reset`: the secret URL of the next 7 days' plan as a calendar feed (advisor.services.calendar),
which `advisor serve` answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from advisor.cli.common import open_runtime

if TYPE_CHECKING:
    from advisor.config import Settings

app = typer.Typer(add_completion=False)
calendar_app = typer.Typer(
    help="The next 7 days' plan in your phone's calendar: `advisor calendar url` gives the address to subscribe to.",
    no_args_is_help=True,
)
app.add_typer(calendar_app, name="calendar")

CALENDAR_EPILOG = """Examples:

\b
  advisor calendar url                  # subscribe to it in your calendar app
  advisor calendar reset                # a new URL; the old one stops working at once
  advisor calendar url --athlete ana    # a clinic's athlete

Exit codes: 0 ok, 2 configuration error."""


@calendar_app.command("url", epilog=CALENDAR_EPILOG)
def url_command(ctx: typer.Context) -> None:
    """Print the secret URL of your plan's calendar feed (made the first time); `advisor serve` answers it."""
    from advisor.services.calendar import calendar_url

    rt = open_runtime(ctx)
    typer.echo(calendar_url(rt.db, rt.settings, rt.athlete_id, datetime.now(UTC)))
    _notes(rt.settings)


@calendar_app.command("reset", epilog=CALENDAR_EPILOG)
def reset_command(ctx: typer.Context) -> None:
    """Make a new secret URL and print it: the old one stops working at once (use it when the URL leaked)."""
    from advisor.services.calendar import reset_calendar_url

    rt = open_runtime(ctx)
    typer.echo(reset_calendar_url(rt.db, rt.settings, rt.athlete_id, datetime.now(UTC)))
    typer.echo("The old URL no longer works: subscribe to this one instead.", err=True)
    _notes(rt.settings)


def _notes(settings: Settings) -> None:
    """What to know beside the URL, on standard error so `$(advisor calendar url)` is the URL alone."""
    from advisor.services.calendar import unreachable_note

    note = unreachable_note(settings)
    if note:
        typer.echo(note, err=True)
    typer.echo("Keep it secret: anyone with it can read your plan. `advisor calendar reset` makes a new one.", err=True)
