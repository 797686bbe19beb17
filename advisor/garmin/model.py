"""What a Garmin source gives the rest of the advisor, independent of how it talks to Garmin.

One small interface (`GarminSource`) with two implementations, chosen by `garmin.method`:
`garminconnect` (the unofficial library, email/password/MFA login, tokens on disk) and `personal_api`
(Garmin's official read-only Personal API, an API key). Sync code depends only on this module and `errors`.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

from advisor.garmin.errors import GarminBadDownload, GarminUnavailable
from advisor.private import ensure_private_dir as ensure_private_dir  # the token folder: 0700, like ADVISOR_HOME


@dataclass(frozen=True)
class GarminActivity:
    """One entry of Garmin's activity list: enough to decide whether to download it, not the data itself."""

    activity_id: int
    start_utc: datetime
    type_key: str
    name: str | None = None
    start_local: datetime | None = None  # naive, the watch's local wall clock, as Garmin lists it


@dataclass(frozen=True)
class DailyFloors:
    """Garmin's all-day totals for one local day. None means Garmin has no value, not zero."""

    day: date
    floors_up: float | None
    floors_down: float | None
    steps: int | None


@runtime_checkable
class GarminSource(Protocol):
    """The Garmin side of `advisor sync`. Every method raises only `advisor.garmin.errors` types.

    One instance serves one thread (requests are paced and retried in sequence). The garminconnect method
    rewrites its token file when Garmin rotates the refresh token, so two processes must not sync at once.
    """

    def list_activities(self, since: date, until: date) -> Iterator[GarminActivity]:
        """Activities whose local start day is in [since, until], oldest first, each id once."""
        ...

    def download_original(self, activity_id: int) -> bytes:
        """The ORIGINAL download exactly as Garmin serves it (normally a zip holding one .fit)."""
        ...

    def daily_floors(self, since: date, until: date) -> Iterator[DailyFloors]:
        """One entry per day in [since, until] for which Garmin answered, in day order."""
        ...

    def close(self) -> None:
        """Release HTTP sessions."""
        ...


def parse_activity(raw: Mapping[str, Any]) -> GarminActivity:
    """Read one activitylist-service entry (the shape both the library and the Personal API return).

    `startTimeGMT` is "YYYY-MM-DD HH:MM:SS" in UTC; `startTimeLocal` the same in the watch's zone.
    """
    try:
        activity_id = int(raw["activityId"])
        start_utc = _parse_garmin_time(raw["startTimeGMT"]).replace(tzinfo=UTC)
    except (KeyError, TypeError, ValueError) as error:
        raise GarminUnavailable(
            f"Garmin's activity list has an entry we cannot read ({error!r})", retryable=False
        ) from error
    local = raw.get("startTimeLocal")
    type_info = raw.get("activityType")
    type_key = type_info.get("typeKey") if isinstance(type_info, Mapping) else None
    name = raw.get("activityName")
    return GarminActivity(
        activity_id=activity_id,
        start_utc=start_utc,
        type_key=str(type_key or "unknown"),
        name=str(name) if name is not None else None,
        start_local=_parse_garmin_time(local) if isinstance(local, str) else None,
    )


def _parse_garmin_time(value: str) -> datetime:
    # Garmin writes "2024-05-01 07:03:11" in lists and "2024-05-01T07:03:11.0" elsewhere.
    return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=None, microsecond=0)


FIT_MAGIC = b".FIT"


def check_original_download(activity_id: int, data: bytes) -> bytes:
    """Refuse a download that cannot be imported, so the bad one is recorded with its id and sync goes on.

    Garmin's ORIGINAL download is a zip (normally one `<id>_ACTIVITY.fit`); a bare FIT file is accepted too.
    Only the container is checked here (a readable zip with CRC-valid members, or a FIT header): whether
    the FIT inside decodes is the import pipeline's job, which reports it the same way as for a local file.
    """
    if not data:
        raise GarminBadDownload(activity_id, "the download was empty")
    if len(data) >= 12 and data[8:12] == FIT_MAGIC:
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if not members:
                raise GarminBadDownload(activity_id, "the download is an empty zip")
            broken = archive.testzip()
    except GarminBadDownload:
        raise
    except zipfile.BadZipFile as error:
        raise GarminBadDownload(activity_id, f"the download is not a valid zip ({error})") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, zlib.error) as error:
        raise GarminBadDownload(activity_id, f"the download zip cannot be read ({error})") from None
    if broken is not None:
        raise GarminBadDownload(activity_id, f"the download zip member {broken!r} is corrupt")
    return data


def in_range(activities: Iterable[GarminActivity], since: date, until: date) -> Iterator[GarminActivity]:
    """Oldest first, only those whose local (else UTC) start day is in [since, until].

    Both APIs filter by date loosely and page newest-first by default; sorting the whole listing here gives
    sync a stable order to advance its "synced up to" mark along.
    """
    for activity in sorted(activities, key=lambda a: (a.start_utc, a.activity_id)):
        day = (activity.start_local or activity.start_utc).date()
        if since <= day <= until:
            yield activity
