"""`advisor notify test` and `advisor notify status`: the phone notifications at the terminal.

Thin on purpose: `advisor.services.notify` finds and sends them (the daemon does, after every scan); this module
says what happened. Exit codes: 0 ok; 1 no service took the test message; 2 no URL set up, or a configuration error.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from advisor.cli.common import fail, open_runtime, runtime
from advisor.errors import ConfigError

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

NOTIFY_EPILOG = (
    """Examples:

\b
  ADVISOR_NOTIFY__URLS='ntfys://ntfy.sh/my-hard-to-guess-topic' advisor notify test
  advisor notify test --athlete ana     # the URLs in $ADVISOR_HOME/notify/ana
  advisor notify status

The daemon sends a nudge after each new run, a morning prompt, and at once a red flag or a change of phase, each """
    """event once. Exit codes: 0 ok, 1 no service took the test message, 2 no notification URL set up or a """
    """configuration error."""
)

notify_app = typer.Typer(
    help="Notifications on your phone through Apprise (ntfy, Telegram, Signal, email): test them, see what was sent.",
    epilog=NOTIFY_EPILOG,
    no_args_is_help=True,
)
app.add_typer(notify_app, name="notify")


@notify_app.command("test", epilog=NOTIFY_EPILOG)
def test_command(ctx: typer.Context) -> None:
    """Send one test message to every URL set up; say which services took it and which did not."""
    from advisor.services.notify import send_test

    rt = runtime(ctx)
    try:
        deliveries = send_test(rt)
    except ConfigError as error:
        fail(str(error))
    for d in deliveries:
        if d.ok:
            typer.echo(f"Sent to {d.service} ({d.where}).")
        else:
            typer.echo(f"Not sent to {d.service} ({d.where}): {d.error}", err=True)
    if not any(d.ok for d in deliveries):
        fail("no service took the test message; check the URLs and that the services are up", 1)


@notify_app.command("status")
def status_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="How many of the newest events.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Whether notifications are set up, what waits to be sent again, and the newest events told."""
    from advisor.services.notify import notify_state, recent_notifications

    rt = open_runtime(ctx)
    try:
        state = notify_state(rt)
        events = recent_notifications(rt, limit)
    except ConfigError as error:
        fail(str(error))
    if as_json:
        document = {
            "configured": state.configured,
            "events": [
                {
                    "event": e.event_key,
                    "kind": e.kind,
                    "state": e.state,
                    "attempts": e.attempts,
                    "last_error": e.last_error,
                    "created_at": e.created_at.isoformat(),
                    "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                    "message": e.message,
                }
                for e in events
            ],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    tz = rt.settings.tz
    for line in state.lines(tz):
        typer.echo(line)
    for e in events:
        when = (e.sent_at or e.created_at).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        typer.echo(f"{when}  {e.state.replace('_', ' '):<8}  {e.message}")
