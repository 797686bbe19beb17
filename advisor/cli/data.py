"""`advisor data export`: everything stored about the runner (or `--athlete NAME`), as one zip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import Yes, confirmed, deleted_rows, fail, open_runtime

app = typer.Typer(add_completion=False)
data_app = typer.Typer(
    help="Your data as a whole: `advisor data export` writes all of it to one zip.", no_args_is_help=True
)
app.add_typer(data_app, name="data")


@data_app.command("export")
def export_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE.zip", help="Where to write it (default: ./advisor-export-DAY.zip)."),
    ] = None,
) -> None:
    """Export everything advisor stored about you: activities, pain, rehab, assessments, stairs, profile, files."""
    from advisor.services.export import export_data

    rt = open_runtime(ctx)
    today = rt.settings.today()
    destination = out or Path(f"advisor-export-{today.isoformat()}.zip")
    if destination.exists():
        fail(f"{destination} already exists: give another --out, or move it away first")
    if destination.suffix.lower() != ".zip":
        fail(f"--out {destination} should end in .zip (the export is a zip archive)")
    try:
        counts = export_data(rt, destination, rt.settings.inbox_path, today)
    except OSError as error:
        fail(f"cannot write {destination}: {error.strerror or error}; nothing was written")
    listed = ", ".join(f"{n} {what}" for what, n in counts.items())
    typer.echo(f"Exported to {destination}: {listed}.")


@data_app.command("delete")
def delete_command(ctx: typer.Context, yes: Yes = False) -> None:
    """Delete everything stored for you (or --athlete NAME), keeping the profile and config: export it first."""
    from advisor.services.athletes import delete_data

    rt = open_runtime(ctx)
    confirmed(f"Delete everything stored for {rt.athlete_name} (runs, pain, rehab...) for good?", yes)
    counts = delete_data(rt.db, rt.athlete_id)
    typer.echo(f"Deleted {deleted_rows(counts)}. The profile and the config file are as they were.")
