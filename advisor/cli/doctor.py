"""`advisor doctor`: the effective configuration with where each value came from, and what is ready."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from advisor.cli.common import fail

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

DOCTOR_EPILOG = """Examples:

\b
  advisor doctor
  ADVISOR_HOME=/tmp/try advisor doctor --json

Exit codes: 0 the data directory and database work, 1 one of them does not, 2 the configuration is invalid."""


@app.command("doctor", epilog=DOCTOR_EPILOG)
def doctor_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """Show the configuration in effect (and where each value came from), the data directory, the database,
    and whether the weekly email and Garmin are ready. Secrets are never shown."""
    from advisor.config import ConfigError, load_settings
    from advisor.services.doctor import diagnose

    config_path = ctx.obj.get("config") if isinstance(ctx.obj, dict) else None
    try:
        report = diagnose(load_settings(config_path), config_path)
    except ConfigError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        raise typer.Exit(0 if report.healthy else 1)
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"config file: {report.config_file or 'none (defaults and environment only)'}", overflow="fold")
    table = Table("setting", "value", "from", title="Configuration", title_justify="left")
    for value in report.values:
        table.add_row(value.key, value.value, value.source)
    for column in table.columns:
        column.overflow = "fold"
    console.print(table)
    for check in report.checks:
        mark = "[green]ok[/green]     " if check.ready else "[yellow]not ready[/yellow]"
        console.print(f"{mark} {check.name}: {check.detail}", overflow="fold", markup=True, highlight=False)
    raise typer.Exit(0 if report.healthy else 1)
