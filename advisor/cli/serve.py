"""`advisor serve`: the week at a glance and a pain log for the phone (advisor.web), until SIGTERM or Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from advisor.cli.common import fail, open_runtime

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

SERVE_EPILOG = """Examples:

\b
  advisor serve                                   # http://127.0.0.1:8765/, this machine only
  ADVISOR_SERVE__PASSWORD=... advisor serve --host 0.0.0.0   # the phone on the home network

Exit codes: 0 stopped by SIGTERM or Ctrl-C, 2 configuration error (another address without a password, a port
in use)."""


@app.command("serve", epilog=SERVE_EPILOG)
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default serve.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=0, max=65535, help="Port (default serve.port, 8765; 0: any free one)."),
    ] = None,
) -> None:
    """Serve this week's report, the activities, the pain log and the rehab checklist as a local web page."""
    from advisor.config import ConfigError
    from advisor.web.server import serve_forever

    rt = open_runtime(ctx)  # the database is opened (and migrated) now, so a bad URL ends the start
    settings = rt.settings
    try:
        serve_forever(
            settings, host or settings.serve.host, port if port is not None else settings.serve.port, runtime=rt
        )
    except ConfigError as error:
        fail(str(error))
