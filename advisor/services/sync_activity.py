"""One Garmin activity of a sync round: download its ORIGINAL file, import it through the same pipeline as
`advisor import`, and move the round's mark past it. Split from `advisor.services.sync` (the round)."""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from advisor.garmin import (
    GarminActivity,
    GarminBadDownload,
    GarminSource,
    GarminUnavailable,
)
from advisor.ingest.files import SourceError, Unreadable, discover
from advisor.services.context import AthleteContext
from advisor.services.garmin_state import _state_row
from advisor.services.importing import FileResult, ImportContext, Status, import_payload
from advisor.store.models import Activity, SourceFile

if TYPE_CHECKING:
    from advisor.services.sync import SyncReport

ORIGIN = "garmin"
"""`source_files.origin` of a Garmin download."""


@dataclass(frozen=True)
class ActivityOutcome:
    """What happened to one Garmin activity in this round."""

    garmin_activity_id: int
    start_utc: datetime
    status: Status
    detail: str
    activity_ids: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "garmin_activity_id": self.garmin_activity_id,
            "start_utc": self.start_utc.isoformat(),
            "status": self.status,
            "detail": self.detail,
            "activity_ids": list(self.activity_ids),
        }


def _sync_one(
    ctx: ImportContext, source: GarminSource, activity: GarminActivity, report: SyncReport
) -> ActivityOutcome:
    """One activity through download, unzip and import; a non-retryable problem is a `failed` outcome.

    Retryable problems (429, auth, network, 5xx) propagate and stop the round before the mark moves.
    """
    aid = activity.activity_id
    try:
        report.downloads += 1
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
    with ctx.db.transaction() as session:
        ids = session.scalars(
            select(Activity.id)
            .join(SourceFile, SourceFile.id == Activity.source_file_id)
            .where(SourceFile.athlete_id == ctx.athlete_id, SourceFile.sha256 == sha)
            .order_by(Activity.id)
        ).all()
    return replace(result, activity_ids=tuple(ids))


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


def _finish_activity(rt: AthleteContext, activity_id: int, outcome: ActivityOutcome, mark: datetime) -> None:
    """In one transaction: link a duplicate's stored run to its Garmin id, and move the mark past it."""
    with rt.db.transaction() as session:
        if outcome.status == "duplicate" and outcome.activity_ids:
            session.execute(
                update(Activity)
                .where(
                    Activity.athlete_id == rt.athlete_id,
                    Activity.id.in_(outcome.activity_ids),
                    Activity.garmin_activity_id.is_(None),
                )
                .values(garmin_activity_id=activity_id)
            )
        _state_row(session, rt.athlete_id).synced_up_to = mark
