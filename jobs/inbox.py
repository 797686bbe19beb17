"""The inbox job: import every activity file (FIT, GPX, TCX, plain or `.gz`) and `.zip` dropped into the inbox
folder, then file it away.

The inbox is where a watch mounts or a synced folder lands (`inbox.path`, default `ADVISOR_HOME/inbox`). Each file
goes through the same import pipeline as `advisor import`, one at a time, so one bad file never blocks the others:
it is decoded in a worker process (`advisor.ingest.isolation`), so even a file that crashes or hangs its decoder
is filed under `failed/` with that reason, and the scan goes on.

What happens to a file afterwards, and why:
- stored, already stored (`duplicate`) or recognised and not needed (`skipped`): moved to `processed/`, keeping its
  folder below the inbox, so the next scan does not read it again — it is moved, never deleted;
- `failed` (or a `.zip` with any failed member): moved to `failed/` with `NAME.reason.txt` beside it, where the
  runner can see it and the reason; the members that did import are stored, and importing the archive again later
  is harmless (they come back as duplicates);
- still being written: left alone for the next scan, because a half-copied file would otherwise be filed as
  failed. A file is imported only once it has settled: its size and mtime are the same as the previous scan saw
  them (at least `RESCAN_MIN_SECONDS` earlier), or it has not been modified for `SETTLE_SECONDS`. A copy can stall
  for longer than that (a slow USB mount, a sync client waiting for the network), so a file that then fails as
  *truncated* while younger than `TRUNCATED_GRACE_SECONDS` also stays in the inbox: the rest is probably on its way,
  and the next scan tries again. Only an old truncated file is filed as failed;
- in a clinic's inbox, `inbox/NAME/` is the athlete NAME's (their daemon job scans it); the default athlete's scan
  leaves those folders alone;
- the database is unreachable: the exception propagates and every file stays where it is — nothing leaves the inbox
  unless its content was stored or the reason it could not be is written next to it.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from advisor.bootstrap import Runtime
from advisor.ingest.files import IMPORT_SUFFIXES, looks_like_activity
from advisor.services.importing import FileResult, ImportContext, decoding_pool, import_paths

__all__ = [
    "FAILED_DIR",
    "NOTHING_NEW",
    "PROCESSED_DIR",
    "SETTLE_SECONDS",
    "InboxReport",
    "scan_inbox",
    "scan_inbox_report",
]

log = logging.getLogger(__name__)

PROCESSED_DIR = "processed"
FAILED_DIR = "failed"
SETTLE_SECONDS = 30.0
"""A file modified more recently than this is assumed to be still arriving (copy, sync, USB mount), unless the
previous scan already saw it exactly as it is now."""
RESCAN_MIN_SECONDS = 5.0
"""Two looks at a file closer together than this prove nothing about a stalled copy."""
TRUNCATED_GRACE_SECONDS = 300.0
"""A truncated file younger than this may still be arriving: it stays in the inbox for the next scan."""
SUFFIXES = tuple(sorted(IMPORT_SUFFIXES, key=len, reverse=True))
"""What `advisor import` reads in folders, longest first so `run.fit.gz` splits as `run` + `.fit.gz`."""
REASON_SUFFIX = ".reason.txt"
MAX_NAME_BYTES = 255
"""NAME_MAX on Linux, macOS and Windows file systems."""
NOTHING_NEW = "The inbox has no new files."


@dataclass
class InboxReport:
    """What one scan did, file by file (paths relative to the inbox)."""

    processed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    unmovable: list[str] = field(default_factory=list)
    imported_runs: int = 0

    def sentence(self) -> str:
        """One sentence for the log and for `daemon --once`."""
        if not (self.processed or self.failed or self.waiting or self.unmovable):
            return NOTHING_NEW
        parts: list[str] = []
        if self.processed:
            n = len(self.processed)
            runs = f", {self.imported_runs} new activit{'y' if self.imported_runs == 1 else 'ies'}"
            parts.append(f"{n} file{'s' * (n != 1)} imported from the inbox{runs}")
        if self.failed:
            n = len(self.failed)
            parts.append(f"{n} file{'s' * (n != 1)} failed (see {FAILED_DIR}/ for the reasons)")
        if self.waiting:
            n = len(self.waiting)
            parts.append(f"{n} file{'s' * (n != 1)} still being written, left for the next scan")
        if self.unmovable:
            n = len(self.unmovable)
            parts.append(f"{n} file{'s' * (n != 1)} could not be moved out of the inbox")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


_OBSERVED: dict[Path, dict[Path, tuple[tuple[int, int], float]]] = {}
"""Per inbox: each waiting file's (size, mtime_ns) and when a scan first saw it so. In memory: the daemon scans in one
process; a `daemon --once` from cron starts afresh and relies on `SETTLE_SECONDS` alone."""


def _is_candidate(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and looks_like_activity(name)


def _candidates(inbox: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """FIT files and archives anywhere below the inbox, except the processed/ and failed/ folders, dot-files, the
    top-level folders in `skip` (other athletes' inboxes inside the default athlete's), and anything that leads out
    of the inbox through a symlink: whoever can drop files into a shared inbox must not make the daemon read, import
    and then move a file from elsewhere on the machine."""
    found: list[Path] = []
    home = inbox.resolve()
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if rel.parts[0] in (PROCESSED_DIR, FAILED_DIR, *skip) or any(p.startswith(".") for p in rel.parts):
            continue
        if not (path.is_file() and _is_candidate(path)):
            continue
        if path.is_symlink() or not path.resolve().is_relative_to(home):
            log.warning("Leaving %s in the inbox: it is a link to a file outside the inbox.", rel)
            continue
        found.append(path)
    return found


def _settled(path: Path, now: float, seen: dict[Path, tuple[tuple[int, int], float]]) -> bool:
    """True when the file is the same as a scan at least RESCAN_MIN_SECONDS ago saw it, or has not been modified
    for SETTLE_SECONDS; `seen` remembers what this scan saw for the next one."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    key = (stat.st_size, stat.st_mtime_ns)
    previous = seen.get(path)
    if previous is None or previous[0] != key:
        seen[path] = (key, now)
        seen_twice = False
    else:
        seen_twice = now - previous[1] >= RESCAN_MIN_SECONDS
    return seen_twice or now - stat.st_mtime >= SETTLE_SECONDS


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def _split_name(name: str) -> tuple[str, str]:
    lower = name.lower()
    for suffix in SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)], name[-len(suffix) :]
    return name, ""


def _free_target(folder: Path, name: str) -> Path:
    """`folder/name`, or `name (2)`, `name (3)`... when a file of that name was filed before (never overwrite)."""
    target = folder / name
    stem, suffix = _split_name(name)
    n = 2
    while target.exists() or reason_path(target).exists():
        target = folder / f"{stem} ({n}){suffix}"
        n += 1
    return target


def reason_path(filed: Path) -> Path:
    """`NAME.reason.txt` beside a filed file, its name shortened to fit the file system's 255 bytes: a 251-character
    name plus the suffix could not be written, so the file never left the inbox and failed again every scan."""
    room = MAX_NAME_BYTES - len(REASON_SUFFIX.encode())
    raw = filed.name.encode()
    name = filed.name if len(raw) <= room else raw[: room - len("…".encode())].decode(errors="ignore") + "…"
    return filed.with_name(f"{name}{REASON_SUFFIX}")


def _move(path: Path, inbox: Path, folder: str) -> Path:
    rel = path.relative_to(inbox)
    destination_dir = inbox / folder / rel.parent
    destination_dir.mkdir(parents=True, exist_ok=True)
    target = _free_target(destination_dir, rel.name)
    shutil.move(str(path), str(target))
    return target


def _reason_text(path: Path, results: list[FileResult]) -> str:
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    lines = [f"{path.name} could not be imported (inbox scan at {stamp}).", ""]
    if not results:
        lines.append("It holds no activity file.")
    for r in results:
        if r.status == "failed":
            lines.append(f"failed: {r.name}: {r.detail}")
    stored = [r for r in results if r.status != "failed"]
    if stored:
        lines += ["", "These parts were stored (importing the file again is harmless):"]
        lines += [f"{r.status}: {r.name}" + (f" ({r.detail})" if r.detail else "") for r in stored]
    lines += ["", "Fix or replace the file and drop it into the inbox again, or run `advisor import` on it."]
    return "\n".join(lines) + "\n"


def _other_athletes_folders(rt: Runtime) -> frozenset[str]:
    """Another athlete's inbox is `inbox/NAME/`, inside the default athlete's: those folders are theirs to scan."""
    if not rt.is_default_athlete:
        return frozenset()
    from advisor.services.athletes import athlete_folder_names

    return frozenset(athlete_folder_names(rt.db, rt.config))


def scan_inbox_report(rt: Runtime) -> InboxReport:
    """Scan the inbox once and say what happened to each file (see the module docstring)."""
    inbox = rt.settings.inbox_path
    inbox.mkdir(parents=True, exist_ok=True)
    report = InboxReport()
    now = time.time()
    files = _candidates(inbox, _other_athletes_folders(rt))
    if not files:
        return report
    seen = _OBSERVED.setdefault(inbox.resolve(), {})
    for gone in set(seen) - set(files):
        del seen[gone]
    ctx = rt.import_context("inbox")
    with decoding_pool(ctx) as pool:
        _import_each(replace(ctx, decoding=pool), inbox, files, now, seen, report)
    return report


def _import_each(
    ctx: ImportContext,
    inbox: Path,
    files: list[Path],
    now: float,
    seen: dict[Path, tuple[tuple[int, int], float]],
    report: InboxReport,
) -> None:
    """Import each settled file and file it away (see the module docstring), one worker pool for the scan."""
    for path in files:
        rel = str(path.relative_to(inbox))
        if not _settled(path, now, seen):
            report.waiting.append(rel)
            log.info("Leaving %s in the inbox: it is still being written.", rel)
            continue
        results = import_paths(ctx, [path]).results
        failed = not results or any(r.status == "failed" for r in results)
        cut_short = failed and results and all(r.incomplete for r in results if r.status == "failed")
        if cut_short and _age(path, now) < TRUNCATED_GRACE_SECONDS:
            report.waiting.append(rel)
            log.info("Leaving %s in the inbox: it ends early and is recent, so the rest may still come.", rel)
            continue
        seen.pop(path, None)
        try:
            if failed:
                target = _move(path, inbox, FAILED_DIR)
                reason_path(target).write_text(_reason_text(path, results))
            else:
                target = _move(path, inbox, PROCESSED_DIR)
        except OSError as error:
            report.unmovable.append(rel)
            log.warning("Could not move %s out of the inbox: %s.", rel, error.strerror or error)
            continue
        if failed:
            report.failed.append(rel)
            reasons = "; ".join(r.detail for r in results if r.status == "failed") or "it holds no activity file"
            log.warning("Could not import %s from the inbox (%s); moved it to %s.", rel, reasons, target)
        else:
            report.processed.append(rel)
            new = sum(len(r.activity_ids) for r in results if r.status == "imported")
            report.imported_runs += new
            statuses = ", ".join(sorted({r.status for r in results}))
            log.info("Imported %s from the inbox (%s); moved it to %s.", rel, statuses, target)


def scan_inbox(rt: Runtime) -> str:
    """Import what is in the inbox and file it away; returns one sentence saying what happened."""
    return scan_inbox_report(rt).sentence()
