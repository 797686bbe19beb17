"""`advisor worker`: a worker of the clinic's job queue (PostgreSQL), as many as wanted, on any machine.

Thin on purpose: the queue and its tasks are `jobs.queue`, the worker `jobs.queue_worker`. Procrastinate is
imported only when the command runs, so `advisor --help` and the single runner's commands never load it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from advisor.cli.common import fail, runtime
from advisor.cli.daemon import configure_logging, uses_queue

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

WORKER_EPILOG = """Examples:

\b
  advisor worker                      # until SIGTERM or Ctrl-C
  advisor worker --concurrency 4      # four tasks at a time
  systemctl start advisor-worker@1 advisor-worker@2

Any number of workers may run on one database, on any machine; a task of a worker that dies (kill -9, power cut)
runs again on another. Exit codes: 0 stopped by SIGTERM/SIGINT, 2 configuration error (not PostgreSQL)."""


@app.command("worker", epilog=WORKER_EPILOG)
def worker_command(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Tasks this worker runs at once.")] = 1,
    stalled_after: Annotated[
        float,
        typer.Option(
            "--stalled-after",
            min=1.0,
            metavar="SECONDS",
            help="A worker silent this long is dead: its tasks run again on another one.",
        ),
    ] = 30.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debugging detail too.")] = False,
) -> None:
    """Run the job queue's tasks (PostgreSQL): Garmin sync, inbox, weekly summary, per athlete."""
    from advisor.config import ConfigError
    from advisor.errors import StoreError

    settings = runtime(ctx).config
    if not uses_queue(settings.database_url):
        fail(
            "`advisor worker` needs a PostgreSQL database (database.url); on SQLite `advisor daemon` does every job "
            "itself"
        )
    configure_logging(verbose)
    from jobs.queue_worker import WorkerOptions, run_worker

    try:
        code = run_worker(settings, WorkerOptions(concurrency=concurrency, stalled_after_s=stalled_after))
    except (StoreError, ConfigError) as error:
        fail(str(error))
    raise typer.Exit(code)
