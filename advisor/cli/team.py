"""`advisor team status`: a coach's or a clinic's list of every athlete in the database, the ones to call first at
the top (a red flag or a referral, then a high flag, then the rest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import fail, open_runtime, parse_date
from advisor.cli.report import Weeks
from advisor.errors import ConfigError, InputError, StoreError

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

team_app = typer.Typer(help="Every athlete at once: a coach's or a clinic's Monday list.", no_args_is_help=True)
app.add_typer(team_app, name="team")

TEAM_EPILOG = """Examples:

\b
  advisor team status
  advisor team status --as-of 2026-03-02 --json
  advisor team report --out-dir reports/

Exit codes: 0 ok, 2 usage or configuration error."""


@team_app.command("status", epilog=TEAM_EPILOG)
def status_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD or -N for every athlete (default: each one's own today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
) -> None:
    """One line per athlete: worst flags, referral, the last 7 days against the weekly cap, last pain, last sync."""
    from advisor.services.team import team_document, team_status

    rt = open_runtime(ctx)
    day = parse_date(as_of, "--as-of", rt.settings.today()) if as_of else None
    try:
        status = team_status(rt.db, rt.config, day)
    except (ConfigError, InputError, StoreError) as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(team_document(status), indent=2))
        return
    from advisor.render.team import print_team

    print_team(status)


TEAM_REPORT_EPILOG = """Examples:

\b
  advisor team report --out-dir reports/
  advisor team report --out-dir reports/ --format html --weeks 8

One file per athlete, NAME-DAY.pdf: DAY is the report's last day (each athlete's own today, or --as-of).
Exit codes: 0 written, 2 usage or configuration error (a file that already exists: then nothing is written)."""


@team_app.command("report", epilog=TEAM_REPORT_EPILOG)
def report_command(
    ctx: typer.Context,
    out_dir: Annotated[Path, typer.Option("--out-dir", metavar="DIR", help="The folder to write them to.")],
    weeks: Weeks = 12,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD or -N for every athlete (default: each one's own today).")
    ] = None,
    kind: Annotated[str, typer.Option("--format", metavar="pdf|html", help="PDF (default) or HTML.")] = "pdf",
) -> None:
    """Each athlete's page for their clinician (as `advisor report`), one file per athlete in DIR."""
    from advisor.cli.report import write_team_reports

    rt = open_runtime(ctx)
    day = parse_date(as_of, "--as-of", rt.settings.today()) if as_of else None
    for path in write_team_reports(rt, out_dir, weeks, day, kind):
        typer.echo(f"Wrote {path}")
