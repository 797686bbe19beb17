"""`advisor garmin login`, `advisor garmin status` and `advisor sync`: Garmin Connect at the terminal.

Exit codes follow `advisor.cli`: 0 ok; 1 when some activity failed or the round stopped on a Garmin
error (rate limit, outage: it is left for the next round); 2 on usage or configuration errors, including "not
logged in" (the user has to act before anything can work).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from advisor.cli.common import fail, open_runtime, parse_date, runtime
from advisor.errors import ConfigError

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

garmin_app = typer.Typer(help="Connect to Garmin Connect and see how the sync is doing.", no_args_is_help=True)
app.add_typer(garmin_app, name="garmin")

NO_TERMINAL = (
    "`advisor garmin login` asks for your Garmin email, password and MFA code: run it in a terminal "
    "(nothing could be read from standard input)"
)


@garmin_app.command("login")
def login_command(
    ctx: typer.Context,
    email: Annotated[str | None, typer.Option("--email", help="Garmin account email (asked when omitted).")] = None,
) -> None:
    """Log in once: email, password (never shown, never stored) and the MFA code if Garmin asks; keeps tokens."""
    from advisor.garmin import (
        GarminAuthError,
        GarminError,
        GarminRateLimited,
        login_interactive,
    )
    from advisor.services.sync import note_new_login

    rt = runtime(ctx)
    settings = rt.settings
    if settings.garmin.method == "personal_api":
        from advisor.garmin.personal import KEY_HINT

        typer.echo(
            "garmin.method is personal_api: no login is needed. Garmin's Personal API uses a key instead of your "
            f"password: {KEY_HINT}. Never put the key in the TOML file. Then run `advisor sync`."
        )
        return
    token_dir = settings.garmin_token_dir
    try:
        if email is None:
            email = typer.prompt("Garmin email")
        password = typer.prompt("Garmin password", hide_input=True)
    except typer.Abort:
        fail(NO_TERMINAL)

    def prompt_mfa() -> str:
        return str(typer.prompt("Garmin sent you a security code (MFA); enter it")).strip()

    try:
        path = login_interactive(email.strip(), password, prompt_mfa, token_dir, base_url=settings.garmin.base_url)
    except typer.Abort:
        fail(NO_TERMINAL)
    except GarminRateLimited as error:
        fail(f"Garmin is limiting login attempts; wait a while before trying again ({error})", 1)
    except GarminAuthError as error:
        fail(f"{error}; nothing was saved", 1)
    except GarminError as error:
        fail(f"login did not complete: {error}; nothing was saved", 1)
    note_new_login(open_runtime(ctx))
    typer.echo(f"Logged in to Garmin Connect. Tokens saved to {path} (readable only by you); your password was not")
    typer.echo("stored. Run `advisor sync` now, or let `advisor daemon` sync on its schedule.")


@garmin_app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """How Garmin is set up (method, saved login or key) and how far the sync got. Never shows a secret."""
    from advisor.services.sync import garmin_status

    rt = open_runtime(ctx)
    status = garmin_status(rt)
    if as_json:
        typer.echo(json.dumps(status.to_json(), indent=2))
        return
    tz = rt.settings.tz

    def shown(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if value else "never"

    if status.method == "personal_api":
        present = "configured" if status.credential_present else "missing"
        credential = f"API key:       {present} ({status.credential_where})"
    else:
        credential = f"saved login:   {'yes' if status.credential_present else 'no'} ({status.credential_where})"
    lines = [
        f"method:        {status.method}",
        credential,
        f"last sync:     {shown(status.last_success_at)}",
        f"synced up to:  {shown(status.synced_up_to)}",
        f"last error:    {status.last_error or 'none'}",
    ]
    if status.retry_after is not None:
        lines.append(f"retry after:   {shown(status.retry_after)}")
    if status.login_needed:
        lines.append(f"login needed:  {status.login_needed}")
    elif status.method == "garminconnect" and not status.credential_present:
        lines.append("login needed:  run `advisor garmin login`")
    for line in lines:
        typer.echo(line)


SYNC_EPILOG = (
    """Examples:

\b
  advisor garmin login && advisor sync
  advisor sync --since 2026-01-01
  advisor sync --json

Exit codes: 0 ok, 1 an activity failed or the round stopped early (rate limit, network), """
    """2 log in again (`advisor garmin login`) or fix the configuration."""
)


@app.command("sync", epilog=SYNC_EPILOG)
def sync_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="Look again from this date (YYYY-MM-DD or -N) instead of the mark.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Fetch new activities (ORIGINAL FIT) and daily floors from Garmin Connect; each run is stored once."""
    from advisor.services.sync import ActivityOutcome, sync_garmin

    rt = open_runtime(ctx)
    since_date = parse_date(since, "--since", rt.settings.today()) if since else None

    def live(outcome: ActivityOutcome) -> None:
        when = outcome.start_utc.astimezone(rt.settings.tz).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{outcome.status:<9} Garmin {outcome.garmin_activity_id}  {when}  {outcome.detail}")

    try:
        report = sync_garmin(rt, since=since_date, on_activity=None if as_json else live)
    except ConfigError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    elif report.stopped is None:
        typer.echo(report.outcome)
    else:
        typer.echo(f"advisor: {report.outcome}", err=True)
    raise typer.Exit(report.exit_code)
