"""`advisor report`: the one page for the runner's clinician, written to an HTML or PDF file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from advisor.cli.common import fail, open_runtime, parse_date
from advisor.errors import ConfigError, InputError

if TYPE_CHECKING:
    from advisor.bootstrap import Runtime

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

MAX_WEEKS = 52
"""advisor.services.visit_report's, repeated so that `--help` imports no service."""
REPORT_EPILOG = """Examples:

\b
  advisor report --out knee-report.pdf
  advisor report --weeks 8 --out visit.html
  advisor --athlete ana report --as-of 2026-03-01 --out ana.pdf

The format is the file's: .pdf or .html. An existing file is never replaced.
Exit codes: 0 written, 2 usage or configuration error (another suffix, an existing file, a future --as-of);
nothing is written then."""


Weeks = Annotated[int, typer.Option("--weeks", min=1, max=MAX_WEEKS, metavar="N", help="Weeks to cover, 1-52.")]
"""`--weeks`, for one runner's report and a clinic's."""


@app.command("report", epilog=REPORT_EPILOG)
def report_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", metavar="FILE.html|FILE.pdf", help="Where to write it; .pdf or .html.")],
    weeks: Weeks = 12,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The report's last day (YYYY-MM-DD or -N; default today).")
    ] = None,
) -> None:
    """One page for your clinician: weekly distance against the caps with pain, phases, red flags, adherence, notes."""
    from advisor.services.visit_report import report_format, write_visit_report

    try:
        report_format(out)
    except InputError as error:
        fail(str(error))
    if out.exists():
        fail(f"{out} already exists: give another --out, or move it away first")
    rt = open_runtime(ctx)
    day = parse_date(as_of, "--as-of", rt.settings.today()) if as_of else None
    try:
        view = write_visit_report(rt, out, weeks, day)
    except (InputError, ConfigError) as error:
        fail(str(error))
    except OSError as error:
        fail(f"cannot write {out}: {error.strerror or error}; nothing was written")
    weeks_said = f"{len(view.weeks)} week{'s' if len(view.weeks) != 1 else ''}"
    typer.echo(f"Wrote the report of {weeks_said} to {view.as_of.isoformat()} to {out}.")


def write_team_reports(rt: Runtime, out_dir: Path, weeks: int, as_of: date | None, kind: str) -> Iterator[Path]:
    """`advisor team report`: every athlete's report in `out_dir` as `NAME-DAY.pdf` (or `.html`), DAY the report's
    last day (`as_of`, else each athlete's own today); each file's path once it is written. Nothing is written when
    one of the files already exists or `as_of` is after an athlete's today."""
    from advisor.bootstrap import Runtime
    from advisor.services.athletes import list_athletes
    from advisor.services.visit_report import write_visit_report

    if kind not in ("pdf", "html"):
        fail(f"--format must be pdf or html, got {kind!r}")
    planned: list[tuple[Runtime, Path]] = []
    for info in list_athletes(rt.db, rt.config):
        each = Runtime.serving(rt.config, info, rt.db)
        today = each.settings.today()
        if as_of is not None and as_of > today:
            fail(f"--as-of {as_of.isoformat()} is in the future for {info.name} (their today is {today.isoformat()})")
        planned.append((each, out_dir / f"{info.name}-{(as_of or today).isoformat()}.{kind}"))
    existing = [path for _, path in planned if path.exists()]
    if existing:
        fail(f"{existing[0]} already exists: give another --out-dir, or move the old reports away first")
    for each, path in planned:
        try:
            write_visit_report(each, path, weeks, as_of)
        except InputError as error:
            fail(f"{each.athlete_name}: {error}")
        except ConfigError as error:
            fail(str(error))
        except OSError as error:
            fail(f"cannot write {path}: {error.strerror or error}; the reports listed before it are written")
        yield path
