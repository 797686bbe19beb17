"""Running an import with a Rich progress bar on a terminal, plain lines when piped, nothing extra for --json."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from advisor.render.text import printable
from advisor.services.importing import FileResult, ImportContext, ImportSummary, import_paths

STYLE = {"imported": "green", "duplicate": "cyan", "skipped": "yellow", "failed": "red"}


def import_with_progress(
    ctx: ImportContext,
    paths: Iterable[Path],
    as_json: bool,
    on_result: Callable[[FileResult], None] = lambda result: None,
) -> ImportSummary:
    """Import `paths`, showing each result as it comes; `on_result` also hears of each (the caller keeps the
    finished files when the import stops early)."""
    if as_json:
        return import_paths(ctx, paths, on_result=on_result)
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(highlight=False)
    if not console.is_terminal:

        def print_line(result: FileResult) -> None:
            on_result(result)
            print(_line(result), flush=True)

        summary = import_paths(ctx, paths, on_result=print_line)
        print(summary.line())
        return summary
    counts = {s: 0 for s in STYLE}
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[files]}"),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Importing", total=None, counts="", files="")
        weights: list[int] = []
        done = 0

        def on_total(sizes: list[int]) -> None:
            """The bar and its time left go by bytes (a 30 MB ride takes longer than a 30 kB walk), with one
            byte each for what has no size, so every file still moves it."""
            weights.extend(max(size, 1) for size in sizes)
            progress.update(task, total=sum(weights), files=f"0/{len(weights)}")

        def show(result: FileResult) -> None:
            nonlocal done
            on_result(result)
            counts[result.status] += 1
            if result.status in ("failed", "skipped"):
                progress.console.print(f"[{STYLE[result.status]}]{escape(_line(result))}[/]", markup=True)
            text = " ".join(f"[{STYLE[s]}]{n} {s}[/]" for s, n in counts.items() if n)
            step = weights[done] if done < len(weights) else 1
            done += 1
            progress.update(task, advance=step, counts=text, files=f"{done}/{len(weights)}")

        summary = import_paths(ctx, paths, on_total=on_total, on_result=show)
    console.print(summary.line())
    return summary


def _line(result: FileResult) -> str:
    """One file's line; its name (a zip member's, a stranger's) and the reason printed without control characters."""
    detail = f": {result.detail}" if result.detail else ""
    return printable(f"{result.status:<9} {result.name}{detail}")
