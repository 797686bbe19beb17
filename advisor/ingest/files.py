"""Finding activity payloads in what the user points at: files, folders, `.gz`, and `.zip` archives.

Activity files are FIT, GPX and TCX, plain or gzipped (`ACTIVITY_SUFFIXES`). In a folder, any other file (`.txt`,
`.csv`, `.kml`, images) is listed as skipped ("not an activity file") rather than tried as FIT, and a folder with no
activity file at all says so; dot-files (sync tools' temporaries, `.DS_Store`) are passed over silently.

Garmin's bulk export is a zip holding zips holding FIT files, and its single-activity download is a zip holding one
FIT file, so archives are opened recursively (to `max_nesting` levels). Every size read from an archive is checked
against limits before and while it is decompressed, so a zip bomb or an oversized member fails on its own with a
clear reason instead of filling memory or disk; the other files still import.

`discover` lists every candidate first (cheap: a folder walk and the archives' directories), so the import can show
a progress bar with a total; each `Candidate.read()` then reads one payload at a time, so memory does not grow
with the number of files. A Strava export's `activities.csv` (in the archive, or beside an unpacked `activities/`
folder) gives each candidate an `ActivityHint`: the activity's name and Strava type (`advisor.ingest.strava`).
"""

from __future__ import annotations

import gzip
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from advisor.ingest.strava import CSV_NAME, ActivityHint, normalise, read_activities_csv

ACTIVITY_SUFFIXES = (".fit", ".fit.gz", ".gpx", ".gpx.gz", ".tcx", ".tcx.gz")
IMPORT_SUFFIXES = (*ACTIVITY_SUFFIXES, ".zip")
"""Every name `advisor import` reads inside folders and archives."""
NOT_AN_ACTIVITY = "not an activity file"
NO_ACTIVITY_FILES = "no activity files found"
CHUNK = 1 << 20


class SourceError(Exception):
    """One candidate cannot be read; the message is the user-facing reason."""


class IncompleteSourceError(SourceError):
    """The compressed data ends early: cut short, or still being copied (the inbox waits before failing it)."""


@dataclass(frozen=True)
class Limits:
    max_member_bytes: int = 64 << 20
    max_total_bytes: int = 8 << 30
    max_compression_ratio: int = 200
    max_nesting: int = 3


@dataclass(frozen=True)
class Candidate:
    """One thing that may be a FIT file; `read()` returns its bytes or raises `SourceError`."""

    label: str
    read: Callable[[], bytes]
    hint: ActivityHint | None = None
    size: int = 0
    """Its size as stored (a file's, or a zip member's uncompressed size), for a progress bar's time left."""


@dataclass(frozen=True)
class Skipped:
    """A file that is not ours (a folder's `.txt`), or a folder with nothing to import: listed, never decoded."""

    label: str
    reason: str


@dataclass(frozen=True)
class Unreadable:
    """A path or archive member that failed before it could be read as a FIT file."""

    label: str
    reason: str


Found = Candidate | Skipped | Unreadable


def looks_like_activity(name: str) -> bool:
    """True for the names `advisor import` reads in folders and archives (activity files and `.zip`)."""
    return name.lower().endswith(IMPORT_SUFFIXES)


def discover(paths: Iterable[Path], stack: ExitStack, limits: Limits = Limits()) -> list[Found]:
    """Every candidate under `paths`, in a stable order; archives stay open in `stack` until it closes.

    A path the user names explicitly is tried whatever its name (the decoder sniffs the format); inside folders
    only activity files and `.zip` are read and other files are listed as skipped; inside archives other members
    are passed over (Garmin's export holds thousands of JSON files, Strava's its photos).
    """
    budget = _Budget(limits.max_total_bytes)
    hints = _FolderHints()
    found: list[Found] = []
    for path in paths:
        if path.is_dir():
            before = sum(1 for f in found if not isinstance(f, Skipped))
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if not child.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if looks_like_activity(child.name):
                    found.extend(_from_file(child, stack, limits, budget, hints.hint(child)))
                else:
                    found.append(Skipped(str(child), NOT_AN_ACTIVITY))
            if sum(1 for f in found if not isinstance(f, Skipped)) == before:
                found.append(Skipped(str(path), NO_ACTIVITY_FILES))
        elif path.is_file():
            found.extend(_from_file(path, stack, limits, budget, hints.hint(path)))
        elif path.exists():
            found.append(Unreadable(str(path), "not a regular file"))
        else:
            found.append(Unreadable(str(path), "no such file or folder"))
    return found


class _Budget:
    """Total bytes all archive members may decompress to in one run: the last line against nested bombs."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, size: int, label: str) -> None:
        self.left -= size
        if self.left < 0:
            raise SourceError(f"{label}: archives expand to more than the configured total limit")


class _FolderHints:
    """Strava listings found beside unpacked exports: `X/activities.csv` describes `X/activities/NAME`."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, dict[str, ActivityHint]] = {}

    def hint(self, path: Path) -> ActivityHint | None:
        for root in (path.parent.parent, path.parent):
            listing = self._listing(root)
            hint = listing.get(normalise(str(path.relative_to(root)))) if listing else None
            if hint is not None:
                return hint
        return None

    def _listing(self, folder: Path) -> dict[str, ActivityHint]:
        if folder not in self._by_folder:
            csv_path = folder / CSV_NAME
            try:
                self._by_folder[folder] = (
                    read_activities_csv(_read_limited_path(csv_path)) if csv_path.is_file() else {}
                )
            except OSError:
                self._by_folder[folder] = {}
        return self._by_folder[folder]


def _read_limited_path(path: Path, limit: int = 64 << 20) -> bytes:
    with path.open("rb") as stream:
        return stream.read(limit)


def _from_file(
    path: Path, stack: ExitStack, limits: Limits, budget: _Budget, hint: ActivityHint | None = None
) -> list[Found]:
    label = str(path)
    if path.name.lower().endswith(".zip") or _is_zip_file(path):
        try:
            archive = stack.enter_context(zipfile.ZipFile(path))
        except (zipfile.BadZipFile, OSError) as error:
            return [Unreadable(label, f"not a readable zip archive ({_short(error)})")]
        return _from_archive(archive, label, stack, limits, budget, depth=1)
    size = _size(path)
    if path.name.lower().endswith(".gz"):
        return [Candidate(label, lambda: _gunzip_file(path, limits.max_member_bytes), hint, size)]
    return [Candidate(label, lambda: _read_file(path, limits.max_member_bytes), hint, size)]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it says why


def _from_archive(
    archive: zipfile.ZipFile,
    label: str,
    stack: ExitStack,
    limits: Limits,
    budget: _Budget,
    depth: int,
) -> list[Found]:
    found: list[Found] = []
    members = sorted((m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename)
    listings = _archive_listings(archive, members, limits)
    for member in members:
        name = member.filename
        member_label = f"{label}!{name}"
        if not looks_like_activity(name):
            continue
        problem = _member_problem(member, limits)
        if problem:
            found.append(Unreadable(member_label, problem))
            continue
        if name.lower().endswith(".zip"):
            if depth >= limits.max_nesting:
                found.append(Unreadable(member_label, f"archive nested deeper than {limits.max_nesting} levels"))
                continue
            try:
                budget.take(member.file_size, member_label)
                inner = stack.enter_context(_spooled_member(archive, member, limits))
                nested = stack.enter_context(zipfile.ZipFile(inner))
            except (zipfile.BadZipFile, OSError, SourceError, EOFError) as error:
                found.append(Unreadable(member_label, _reason(error, "not a readable zip archive")))
                continue
            found.extend(_from_archive(nested, member_label, stack, limits, budget, depth + 1))
            continue
        try:
            budget.take(member.file_size, member_label)
        except SourceError as error:
            found.append(Unreadable(member_label, str(error).split(": ", 1)[-1]))
            continue
        reader = _member_reader(archive, member, limits)
        found.append(Candidate(member_label, reader, _archive_hint(listings, name), member.file_size))
    return found


def _archive_listings(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits
) -> dict[str, dict[str, ActivityHint]]:
    """Folder prefix inside the archive ('' for the root) -> that folder's Strava listing."""
    listings: dict[str, dict[str, ActivityHint]] = {}
    for member in members:
        folder, _, base = member.filename.replace("\\", "/").rpartition("/")
        if base.lower() != CSV_NAME or _member_problem(member, limits):
            continue
        try:
            with archive.open(member) as stream:
                listings[folder.lower()] = read_activities_csv(_read_limited(stream, limits.max_member_bytes))
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, SourceError):
            continue  # no names then; the activities still import
    return listings


def _archive_hint(listings: dict[str, dict[str, ActivityHint]], member_name: str) -> ActivityHint | None:
    """The listing row for an archive member: `P/activities.csv` describes `P/activities/NAME` (and `P/NAME`)."""
    if not listings:
        return None
    parts = normalise(member_name).split("/")
    for cut in (len(parts) - 2, len(parts) - 1):
        if cut < 0:
            continue
        listing = listings.get("/".join(parts[:cut]))
        if listing:
            hint = listing.get("/".join(parts[cut:]))
            if hint is not None:
                return hint
    return None


def _member_problem(member: zipfile.ZipInfo, limits: Limits) -> str | None:
    if member.flag_bits & 0x1:
        return "encrypted archive member"
    if member.file_size > limits.max_member_bytes:
        return f"member too large ({member.file_size >> 20} MiB, limit {limits.max_member_bytes >> 20} MiB)"
    if member.compress_size and member.file_size / member.compress_size > limits.max_compression_ratio:
        return "suspicious compression ratio (possible zip bomb)"
    return None


def _member_reader(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            with archive.open(member) as stream:
                data = _read_limited(stream, limits.max_member_bytes)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
            raise SourceError(_reason(error, "damaged archive member")) from None
        if member.filename.lower().endswith(".gz"):
            return _gunzip_bytes(data, limits.max_member_bytes)
        return data

    return read


class _spooled_member:
    """A nested archive copied to a temporary file, so zipfile can seek in it without holding it in memory."""

    def __init__(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits) -> None:
        self.archive, self.member, self.limits = archive, member, limits
        self.file: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        self.file = tempfile.TemporaryFile()
        with self.archive.open(self.member) as stream:
            copied = 0
            while chunk := stream.read(CHUNK):
                copied += len(chunk)
                if copied > self.limits.max_member_bytes:
                    raise SourceError("archive member larger than it claims (possible zip bomb)")
                self.file.write(chunk)
        self.file.seek(0)
        return self.file

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise SourceError(f"larger than the {limit >> 20} MiB limit for one file")
    return data


def _read_file(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as stream:
            return _read_limited(stream, limit)
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None


def _gunzip_file(path: Path, limit: int) -> bytes:
    try:
        with gzip.open(path, "rb") as stream:
            return _read_limited(stream, limit)
    except EOFError as error:
        raise IncompleteSourceError(_reason(error, "truncated gzip file")) from None
    except (OSError, gzip.BadGzipFile) as error:
        raise SourceError(_reason(error, "not a readable gzip file")) from None


def _gunzip_bytes(data: bytes, limit: int) -> bytes:
    import io

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return _read_limited(stream, limit)
    except EOFError as error:
        raise IncompleteSourceError(_reason(error, "truncated gzip file")) from None
    except OSError as error:
        raise SourceError(_reason(error, "not a readable gzip file")) from None


def _is_zip_file(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _reason(error: BaseException, prefix: str) -> str:
    if isinstance(error, SourceError):
        return str(error)
    return f"{prefix} ({_short(error)})"


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
