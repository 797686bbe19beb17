"""What a Garmin sync round reports: one `ActivityOutcome` per activity, and the round's `SyncReport` with the
sentences people and logs read.

Why a module of its own: the round (`sync`) fills the report and the per-activity step (`sync_activity`) makes
the outcomes, so both import these values from here and neither imports the other's: `sync` → `sync_activity` →
this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from advisor.ingest.measuring import Status

Stopped = Literal["rate_limited", "auth", "unavailable", "busy"]


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


@dataclass
class SyncReport:
    """The result of one round: counts, what stopped it (if anything), and one sentence for people and logs."""

    imported: int = 0
    duplicate: int = 0
    skipped: int = 0
    failed: int = 0
    floors_days: int = 0
    downloads: int = 0
    outcome: str = ""
    stopped: Stopped | None = None
    error: str | None = None
    next_try: datetime | None = None
    since: date | None = None
    until: date | None = None
    synced_up_to: datetime | None = None
    activities: list[ActivityOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the round finished and nothing failed."""
        return self.stopped is None and self.failed == 0

    @property
    def exit_code(self) -> int:
        """`advisor sync`'s exit code: 2 when the user must act (log in / configure), 1 on a failure, else 0."""
        if self.stopped == "auth":
            return 2
        return 0 if self.ok else 1

    def line(self) -> str:
        """The one sentence the daemon records for this run (`jobs.garmin.garmin_round` calls this)."""
        return self.outcome

    def add(self, outcome: ActivityOutcome) -> None:
        self.activities.append(outcome)
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)

    def progress(self, lead: str) -> str:
        """How far the round got before it stopped ('' when it stopped before any activity)."""
        return f"{lead}{self._counts()}" if self.activities else ""

    def success_sentence(self) -> str:
        """The outcome of a round that finished: the counts, and the reason of each failed activity."""
        text = f"Garmin sync done: {self._counts()}; floors for {_plural(self.floors_days, 'day')}"
        failed = [a for a in self.activities if a.status == "failed"]
        if failed:
            text += " (" + "; ".join(a.detail for a in failed) + ")"
        return text + "."

    def _counts(self) -> str:
        parts = [f"{self.imported} new {'activity' if self.imported == 1 else 'activities'}"]
        if self.duplicate:
            parts.append(f"{self.duplicate} already stored")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.failed:
            parts.append(f"{self.failed} failed")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "ok": self.ok,
            "stopped": self.stopped,
            "error": self.error,
            "next_try": self.next_try.isoformat() if self.next_try else None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "synced_up_to": self.synced_up_to.isoformat() if self.synced_up_to else None,
            "summary": {
                "imported": self.imported,
                "duplicate": self.duplicate,
                "skipped": self.skipped,
                "failed": self.failed,
                "floors_days": self.floors_days,
                "downloads": self.downloads,
            },
            "activities": [a.to_json() for a in self.activities],
        }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


__all__ = ["ActivityOutcome", "Stopped", "SyncReport"]
