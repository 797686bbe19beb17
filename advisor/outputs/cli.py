"""The `advisor` command: a thin layer over `advisor.usecases`, which a user could import and call directly.

Exit codes: 0 success, 1 when some input failed (the rest was still done), 2 on usage or configuration errors.
Errors are one sentence on standard error, never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from advisor.config import ConfigError, load_settings
from advisor.outputs.cli_help import RootGroup
from advisor.store.db import StoreError
from advisor.usecases.runtime import Runtime, ensure_home

app = typer.Typer(
    cls=RootGroup,
    name="advisor",
    help="Knee-aware training load advisor for runners. Guidance, not a diagnosis.",
    epilog="Every command takes --config FILE, before or after its name. Exit codes: 0 ok, 1 some input failed "
    "(the rest was done), 2 usage or configuration error.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"advisor: {message}", err=True)
    raise typer.Exit(code)


def runtime(ctx: typer.Context) -> Runtime:
    """The settings and database for this command, loaded once; configuration errors end the command (exit 2)."""
    if not isinstance(ctx.obj, Runtime):
        config_path = ctx.obj.get("config") if isinstance(ctx.obj, dict) else None
        try:
            settings = load_settings(config_path)
            ensure_home(settings.home)
        except ConfigError as error:
            fail(str(error))
        ctx.obj = Runtime(settings)
        ctx.call_on_close(ctx.obj.close)
    return ctx.obj


def open_runtime(ctx: typer.Context) -> Runtime:
    """Like `runtime`, with the database opened (and migrated) now, so store errors are reported up front."""
    rt = runtime(ctx)
    try:
        _ = rt.athlete_id
    except StoreError as error:
        fail(str(error))
    return rt


def _print_version(value: bool) -> None:
    if value:
        from advisor import __version__

        typer.echo(f"advisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", metavar="FILE", help="TOML config file (default: $ADVISOR_CONFIG, then $ADVISOR_HOME)."
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    ctx.obj = {"config": config}


IMPORT_EPILOG = """Examples:

  advisor import ~/Downloads/garmin-export.zip
  advisor import ~/watch/ACTIVITY/*.fit
  advisor import runs/ --json > import.json

Exit codes: 0 nothing failed, 1 some file failed (the others are imported), 2 usage or configuration error."""


@app.command("import", epilog=IMPORT_EPILOG)
def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="FIT files, folders, .fit.gz or .zip archives.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: all cores for 40+ files; 1: in-process)."),
    ] = None,
) -> None:
    """Import runs from FIT files, folders (recursive) and Garmin .zip exports."""
    from dataclasses import replace

    from advisor.outputs.progress import import_with_progress

    rt = open_runtime(ctx)
    try:
        import_ctx = replace(rt.import_context("file"), jobs=jobs or 0)  # 0: every core, for 40 files or more
        summary = import_with_progress(import_ctx, paths, as_json=as_json)
    except StoreError as error:
        fail(f"{error}. Files finished before this are stored; run the same command again to finish the job.", 1)
    if as_json:
        document = {
            "files": [
                {
                    "name": r.name,
                    "status": r.status,
                    "detail": r.detail,
                    "file_type": r.file_type,
                    "activity_ids": list(r.activity_ids),
                }
                for r in summary.results
            ],
            "summary": {s: summary.count(s) for s in ("imported", "duplicate", "skipped", "failed")},
        }
        typer.echo(json.dumps(document, indent=2))
    raise typer.Exit(1 if summary.any_failed else 0)


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} expects a date as YYYY-MM-DD, got {value!r}")


def _register_subcommands() -> None:
    """Commands that live in their own modules (each adds itself to `app`), so `advisor --help` lists them all."""
    import advisor.outputs.cli_activity
    import advisor.outputs.cli_daemon
    import advisor.outputs.cli_doctor
    import advisor.outputs.cli_garmin
    import advisor.outputs.cli_knee
    import advisor.outputs.cli_rehab  # noqa: F401


def main() -> None:
    _register_subcommands()
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("advisor: interrupted; everything finished before this point is stored.", err=True)
        sys.exit(130)
    except StoreError as error:
        typer.echo(f"advisor: {error}; nothing half-written was stored.", err=True)
        sys.exit(1)
