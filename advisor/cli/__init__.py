"""The `advisor` command: a thin layer over `advisor.services`, which a user could import and call directly.

Exit codes: 0 success, 1 when some input failed (the rest was still done), 2 on usage or configuration errors.
Errors are one sentence on standard error, never a traceback.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from advisor.cli.common import fail, runtime
from advisor.cli.help import move_config_first, plain_metavars
from advisor.errors import StoreError

if TYPE_CHECKING:
    from advisor.ingest.measuring import FileResult

LAZY_SUBCOMMANDS: dict[str, str] = {
    "activities": "advisor.cli.activity",
    "activity": "advisor.cli.activity",
    "status": "advisor.cli.knee",
    "pain": "advisor.cli.knee",
    "stairs": "advisor.cli.knee",
    "routine": "advisor.cli.rehab",
    "rehab": "advisor.cli.rehab",
    "sync": "advisor.cli.garmin",
    "garmin": "advisor.cli.garmin",
    "summary": "advisor.cli.daemon",
    "report": "advisor.cli.report",
    "daemon": "advisor.cli.daemon",
    "notify": "advisor.cli.notify",
    "worker": "advisor.cli.worker",
    "doctor": "advisor.cli.doctor",
    "serve": "advisor.cli.serve",
    "calendar": "advisor.cli.calendar",
    "athlete": "advisor.cli.athlete",
    "profile": "advisor.cli.profile",
    "data": "advisor.cli.data",
    "team": "advisor.cli.team",
}
"""Every top-level command but the root's own `import`, and the module whose Typer app holds it, in the order the
root's help lists them: Click's `lazy_subcommands` ("Lazily Loading Subcommands" in Click's documentation).
A name must be here to be found without importing every module; a test checks each module's commands are."""


class RootGroup(TyperGroup):
    """`advisor`'s group: Click's documented lazy group, plus `--config` anywhere and plain metavars (`cli.help`).

    Building a command means importing its module and having Typer inspect every signature in it, so a command's
    module is loaded only when the command is run, completed or listed: `advisor status` loads `advisor.cli.knee`
    alone, `advisor --help` all of them (their first sentences are the listing).
    """

    lazy_subcommands: ClassVar[Mapping[str, str]] = LAZY_SUBCOMMANDS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._built: dict[str, Mapping[str, TyperCommand | TyperGroup]] = {}

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        args = move_config_first(list(args) if args is not None else sys.argv[1:])
        return super().main(args, *rest, **kwargs)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy_subcommands]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        module = self.lazy_subcommands.get(cmd_name)
        command = super().get_command(ctx, cmd_name) if module is None else self._commands_of(module).get(cmd_name)
        if command is not None:
            plain_metavars(command, ctx)
        return command

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:
        """As Click's, but with each command's first sentence whole (wrapped, not cut at the terminal's width):
        the root's listing is the one overview of what `advisor` does."""
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=sys.maxsize)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        """As Typer's, which suggests a name for a typo ("Did you mean 'status'?") from the commands registered
        on the group: so a name that is not one of ours first registers every lazy command."""
        if args and args[0] not in self.commands and args[0] not in self.lazy_subcommands:
            for name in self.lazy_subcommands:
                self.add_command(self.get_command(ctx, name), name)
        return super().resolve_command(ctx, args)

    def _commands_of(self, module: str) -> Mapping[str, TyperCommand | TyperGroup]:
        """The commands of `module`'s Typer app, built once per run. The app is mounted with `add_typer` on an
        app with plain help, as on the root, since Typer gives what it mounts the mounting app's markup mode."""
        if module not in self._built:
            mount = typer.Typer(rich_markup_mode=None, add_completion=False)
            mount.add_typer(importlib.import_module(module).app)
            self._built[module] = typer.main.get_command(mount).commands  # type: ignore[attr-defined]
        return self._built[module]


app = typer.Typer(
    cls=RootGroup,
    name="advisor",
    help="Knee-aware training load advisor for runners. Guidance, not a diagnosis.",
    epilog="Every command takes --config FILE and --athlete NAME, before or after its name. Exit codes: 0 ok, "
    "1 some input failed (the rest was done), 2 usage or configuration error.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain Click help: Rich's panels cost `--help` the import of rich.markdown and more
    context_settings={"max_content_width": 120},  # the terminal's width up to 120 columns (Click stops at 80)
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

\b
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
        typer.Option("--jobs", "-j", min=1, metavar="N", help="Worker processes that decode (default: one per core)."),
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


def cli_app() -> typer.Typer:
    """The whole command tree (what tests invoke in-process); each command's module is imported on first use."""
    return app


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("advisor: interrupted; everything finished before this point is stored.", err=True)
        sys.exit(130)
    except StoreError as error:
        typer.echo(f"advisor: {error}; nothing half-written was stored.", err=True)
        sys.exit(1)
