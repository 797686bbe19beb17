"""One Garmin activity of a sync round: download its ORIGINAL file, import it through the same pipeline as
`advisor import`, and move the round's mark past it. Split from `advisor.services.sync` (the round), which calls
`download_and_import` and then `link_and_mark` for each activity; this module does not import the round back."""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from advisor.garmin import (
    GarminActivity,
    GarminBadDownload,
    GarminSource,
    GarminUnavailable,
)
from advisor.ingest.files import SourceError, Unreadable, discover
from advisor.ingest.measuring import FileResult
from advisor.services.context import AthleteContext
from advisor.services.garmin_state import SOURCE
from advisor.services.import_context import ImportContext
from advisor.services.importing import import_payload
from advisor.services.sync_report import ActivityOutcome
from advisor.store.imports import activity_ids_from_file
from advisor.store.sync_state import link_and_mark as store_link_and_mark

ORIGIN = "garmin"
"""`source_files.origin` of a Garmin download."""


def download_and_import(ctx: ImportContext, source: GarminSource, activity: GarminActivity) -> ActivityOutcome:
    """One activity through download, unzip and import; a non-retryable problem is a `failed` outcome.

    Retryable problems (429, auth, network, 5xx) propagate and stop the round before the mark moves. The caller
    counts the download before calling (`SyncReport.downloads`): a download that raises was still asked for.
    """
    aid = activity.activity_id
    try:
        data = source.download_original(aid)
    except GarminBadDownload as error:
        return ActivityOutcome(aid, activity.start_utc, "failed", str(error))
    except GarminUnavailable as error:
        if error.status is not None and 400 <= error.status < 500:
            # e.g. 410 Gone or 400 for this one id: asking again cannot help, so do not let it block the rest
            return ActivityOutcome(aid, activity.start_utc, "failed", f"Garmin activity {aid}: {error}")
        raise
    results = _import_download(ctx, aid, data)
    return _combine(activity, [(_with_stored_ids(ctx, r, sha), sha) for r, sha in results])


def _with_stored_ids(ctx: ImportContext, result: FileResult, sha: str | None) -> FileResult:
    """A same-bytes duplicate names no activity; find the runs stored from those bytes, so they can be linked."""
    if result.status != "duplicate" or result.activity_ids or sha is None:
        return result
    return replace(result, activity_ids=activity_ids_from_file(ctx.db, ctx.athlete_id, sha))


def _import_download(ctx: ImportContext, activity_id: int, data: bytes) -> list[tuple[FileResult, str | None]]:
    """Unzip Garmin's ORIGINAL download with the `advisor import` guards and import each FIT inside.

    Goes through `advisor.ingest.files.discover` (the same limits on member size, compression ratio, nesting
    and total size as a local zip) via a private temporary file, rather than a second copy of those checks.
    Returns each result with the sha-256 of the payload imported (None when nothing could be read).
    """
    label = f"garmin:{activity_id}"
    results: list[tuple[FileResult, str | None]] = []
    with tempfile.TemporaryDirectory(prefix="advisor-garmin-") as tmp, ExitStack() as stack:
        path = Path(tmp) / f"{activity_id}.download"
        path.write_bytes(data)
        prefix = str(path)
        for candidate in discover([path], stack, ctx.limits):
            name = label + candidate.label.removeprefix(prefix)
            if isinstance(candidate, Unreadable):
                results.append((FileResult(name, "failed", candidate.reason), None))
                continue
            try:
                payload = candidate.read()
            except SourceError as error:
                results.append((FileResult(name, "failed", str(error)), None))
                continue
            sha = hashlib.sha256(payload).hexdigest()
            results.append((import_payload(ctx, name, payload, garmin_activity_id=activity_id), sha))
    return results


def _combine(activity: GarminActivity, results: list[tuple[FileResult, str | None]]) -> ActivityOutcome:
    aid, start = activity.activity_id, activity.start_utc
    if not results:
        return ActivityOutcome(aid, start, "failed", f"Garmin activity {aid}: the download holds no FIT file")
    failed = [r for r, _ in results if r.status == "failed"]
    if failed:
        reasons = "; ".join(r.detail for r in failed)
        return ActivityOutcome(aid, start, "failed", f"Garmin activity {aid}: {reasons}")
    ids = tuple(i for r, _ in results for i in r.activity_ids)
    for status in ("imported", "duplicate", "skipped"):
        chosen = [r for r, _ in results if r.status == status]
        if chosen:
            detail = "; ".join(r.detail for r in chosen)
            return ActivityOutcome(aid, start, status, detail, ids)  # type: ignore[arg-type]
    raise AssertionError("unreachable: every FileResult has one of the four statuses")


def link_and_mark(rt: AthleteContext, activity_id: int, outcome: ActivityOutcome, mark: datetime) -> None:
    """In one transaction: link a duplicate's stored run to its Garmin id, and move the mark past it."""
    linked = outcome.activity_ids if outcome.status == "duplicate" else ()
    store_link_and_mark(
        rt.db, rt.athlete_id, SOURCE, garmin_activity_id=activity_id, activity_ids=linked, synced_up_to=mark
    )


__all__ = ["ORIGIN", "download_and_import", "link_and_mark"]
