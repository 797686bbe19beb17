"""The `advisor` command: a thin layer over `advisor.services`, which a user could import and call directly.

Exit codes: 0 success, 1 when some input failed (the rest was still done), 2 on usage or configuration errors.
Errors are one sentence on standard error, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from advisor.cli.common import fail, runtime
from advisor.cli.help import RootGroup
from advisor.errors import StoreError

if TYPE_CHECKING:
    from advisor.ingest.measuring import FileResult

app = typer.Typer(
    cls=RootGroup,
    name="advisor",
    help="Knee-aware training load advisor for runners. Guidance, not a diagnosis.",
    epilog="Every command takes --config FILE and --athlete NAME, before or after its name. Exit codes: 0 ok, "
    "1 some input failed (the rest was done), 2 usage or configuration error.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
    athlete: Annotated[
        str | None,
        typer.Option(
            "--athlete",
            metavar="NAME",
            envvar="ADVISOR_ATHLETE",
            show_envvar=False,
            help="The athlete this command is for (default: $ADVISOR_ATHLETE, then the config's default athlete).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    ctx.obj = {"config": config, "athlete": athlete}


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
        typer.Option("--jobs", "-j", min=1, help="Worker processes that decode (default: one per core)."),
    ] = None,
) -> None:
    """Import runs from FIT files, folders (recursive) and Garmin .zip exports."""
    from dataclasses import replace

    from advisor.cli.progress import import_with_progress

    rt = runtime(ctx)  # the database opens on the first file stored, while the first files decode
    finished: list[FileResult] = []
    import_ctx = replace(rt.import_context("file"), jobs=jobs or 0)  # 0: one worker per core (and per file)
    try:
        summary = import_with_progress(import_ctx, paths, as_json=as_json, on_result=finished.append)
    except StoreError as error:
        if not rt.is_open:  # a configuration problem: one sentence, exit 2, whatever the output format
            fail(str(error))
        if as_json:  # stopped mid-way (a full disk): a script still gets every finished file, and the reason
            typer.echo(json.dumps(_import_document(finished, error=str(error)), indent=2))
            raise typer.Exit(1) from None
        fail(f"{error}. Files finished before this are stored; run the same command again to finish the job.", 1)
    if as_json:
        typer.echo(json.dumps(_import_document(summary.results), indent=2))
    raise typer.Exit(1 if summary.any_failed else 0)


def _import_document(results: list[FileResult], error: str | None = None) -> dict[str, object]:
    """`advisor import --json`: every file's status, the counts, and `error` when the import stopped early."""
    document: dict[str, object] = {
        "files": [
            {
                "name": r.name,
                "status": r.status,
                "detail": r.detail,
                "file_type": r.file_type,
                "activity_ids": list(r.activity_ids),
            }
            for r in results
        ],
        "summary": {s: sum(r.status == s for r in results) for s in ("imported", "duplicate", "skipped", "failed")},
    }
    if error is not None:
        document["error"] = error
    return document


COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "import": (),
    "activities": ("activity",),
    "activity": ("activity",),
    "status": ("knee",),
    "pain": ("knee",),
    "stairs": ("knee",),
    "routine": ("rehab",),
    "rehab": ("rehab",),
    "sync": ("garmin",),
    "garmin": ("garmin",),
    "summary": ("daemon",),
    "daemon": ("daemon",),
    "doctor": ("doctor",),
    "serve": ("serve",),
    "athlete": ("athlete",),
    "team": ("team",),
}
"""The module of `advisor.cli` that holds each top-level command (`import` is the root's own), so running one
command imports and builds only its module; a test checks this against the whole tree."""
MODULES = ("activity", "knee", "rehab", "garmin", "daemon", "doctor", "serve", "athlete", "team")
"""Every command module, in the order the root's help lists their commands."""


def _register_subcommands(modules: tuple[str, ...] = MODULES) -> None:
    """Each command group lives in its own module with its own Typer app; they are added to the root here, the
    one place that knows them all, so no module imports the root back. `modules` is all of them, or only the
    module of the command being run (see `command_modules`)."""
    import importlib

    registered: tuple[str, ...] = getattr(app, "_advisor_registered", ())
    if set(modules) <= set(registered):
        return
    wanted = MODULES if modules == MODULES else tuple(m for m in MODULES if m in {*registered, *modules})
    app.registered_groups = []
    for name in wanted:
        app.add_typer(importlib.import_module(f"advisor.cli.{name}").app)
    app._advisor_registered = wanted  # type: ignore[attr-defined]


def _root_help_only(args: list[str]) -> bool:
    """`advisor`, `advisor --help` (with `--config`/`--athlete` or not): the root's help and nothing else."""
    rest, i = [], 0
    while i < len(args):
        if args[i] in ("--config", "--athlete"):
            i += 2
            continue
        if not args[i].startswith(("--config=", "--athlete=")):
            rest.append(args[i])
        i += 1
    return rest in ([], ["--help"])


def _signature_free(function: Any) -> Any:
    """A function with `function`'s name and docstring and no parameters: what a listing needs of a command."""

    def listed() -> None:  # pragma: no cover - never run: only its name and docstring are read
        raise AssertionError("a listed command is never invoked")

    listed.__name__, listed.__qualname__, listed.__doc__ = function.__name__, function.__qualname__, function.__doc__
    return listed


def _listing(typer_app: typer.Typer, *, keep_callback: bool = False) -> typer.Typer:
    """A copy of `typer_app` whose commands and groups have the same names and help but no options, so Typer
    builds the root's help without inspecting every command's signature (half of `advisor --help`'s own time).
    A test checks the help it gives is the whole tree's, character for character."""
    import copy

    listed = copy.copy(typer_app)
    listed.registered_commands = []
    for command in typer_app.registered_commands:
        command = copy.copy(command)
        command.callback = _signature_free(command.callback)
        listed.registered_commands.append(command)
    listed.registered_groups = []
    for group in typer_app.registered_groups:
        group = copy.copy(group)
        if group.typer_instance is not None:
            group.typer_instance = _listing(group.typer_instance)
        if callable(group.callback):
            group.callback = _signature_free(group.callback)
        listed.registered_groups.append(group)
    if typer_app.registered_callback is not None and not keep_callback:
        callback = copy.copy(typer_app.registered_callback)
        if callable(callback.callback):
            callback.callback = _signature_free(callback.callback)
        listed.registered_callback = callback
    return listed


def command_modules(args: list[str]) -> tuple[str, ...]:
    """The command modules `advisor ARGS...` needs: only its command's, when the line names a known command after
    nothing but `--config`/`--athlete`; every module for anything else (help, completion, a typo to correct)."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return MODULES
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--config", "--athlete"):
            i += 2
        elif arg.startswith(("--config=", "--athlete=")):
            i += 1
        elif arg in COMMAND_MODULES:
            return COMMAND_MODULES[arg]
        else:
            return MODULES
    return MODULES


def cli_app() -> typer.Typer:
    """The whole command tree, every group registered (what tests invoke in-process)."""
    _register_subcommands()
    return app


def main() -> None:
    _register_subcommands(command_modules(sys.argv[1:]))
    try:
        if _root_help_only(sys.argv[1:]):
            _listing(app, keep_callback=True)()
        else:
            app()
    except KeyboardInterrupt:
        typer.echo("advisor: interrupted; everything finished before this point is stored.", err=True)
        sys.exit(130)
    except StoreError as error:
        typer.echo(f"advisor: {error}; nothing half-written was stored.", err=True)
        sys.exit(1)
