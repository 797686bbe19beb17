"""Where the Garmin sync stands: its `sync_state` row, the remembered refusal of a login, and `advisor garmin
status`. Split from `advisor.services.sync` (the round) so each reads on its own; the round reads and writes the
state through the functions here, and the row itself is the store's (`advisor.store.sync_state`), handed back as a
plain value."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from advisor.config import Settings
from advisor.garmin.model import ensure_private_dir
from advisor.services.context import AthleteContext
from advisor.store.sync_state import UNSET, SyncState, Unset, load_sync_state, save_sync_state

SOURCE = "garmin"
"""`sync_state.source` and `daily_stairs.source` for everything the Garmin sync stores."""
AUTH_MARKER_NAME = "login_needed.json"
TOKEN_FILE_NAME = "garmin_tokens.json"  # what garminconnect writes; see advisor.garmin.connect
MAX_ERROR_CHARS = 2000


# --------------------------------------------------------------------------------------------------------------
# sync_state


def load_state(rt: AthleteContext) -> SyncState:
    """Where the athlete's Garmin sync stands (all blank when it never ran)."""
    return load_sync_state(rt.db, rt.athlete_id, SOURCE)


def save_state(
    rt: AthleteContext,
    *,
    synced_up_to: datetime | Unset | None = UNSET,
    retry_after: datetime | Unset | None = UNSET,
    last_error: str | Unset | None = UNSET,
    last_success_at: datetime | Unset | None = UNSET,
) -> None:
    """Set the fields given, in a transaction of their own; a field not given keeps its value. An error is kept
    to its first `MAX_ERROR_CHARS` characters (a sentence for `garmin status`, not a log)."""
    if isinstance(last_error, str):
        last_error = last_error[:MAX_ERROR_CHARS] or None
    save_sync_state(
        rt.db,
        rt.athlete_id,
        SOURCE,
        synced_up_to=synced_up_to,
        retry_after=retry_after,
        last_error=last_error,
        last_success_at=last_success_at,
    )


# --------------------------------------------------------------------------------------------------------------
# A refused login: remembered next to the tokens, so no round asks Garmin again with the same credential


def _credential_fingerprint(settings: Settings) -> str:
    """Something that changes when the runner logs in again or sets a new key; never the credential itself."""
    if settings.garmin.method == "personal_api":
        try:
            key = settings.garmin.resolved_api_key()
        except Exception:  # an unreadable key file: that too is "the same broken credential"
            key = None
        return "key:" + (hashlib.sha256(key.encode()).hexdigest()[:16] if key else "none")
    path = settings.garmin_token_dir / TOKEN_FILE_NAME
    try:
        st = path.stat()
    except OSError:
        return "tokens:none"
    return f"tokens:{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


def _marker_path(settings: Settings) -> Path:
    return settings.garmin_token_dir / AUTH_MARKER_NAME


def remember_auth_failure(settings: Settings, message: str, at: datetime) -> None:
    """Write the marker next to the tokens: Garmin refused this credential (its fingerprint, never itself)."""
    path = _marker_path(settings)
    ensure_private_dir(path.parent)
    document = {
        "failed_at": at.isoformat(),
        "method": settings.garmin.method,
        "credential": _credential_fingerprint(settings),
        "message": message,
    }
    path.write_text(json.dumps(document))
    path.chmod(0o600)


def auth_refusal(settings: Settings) -> str | None:
    """The stored message when the credential Garmin refused is still the one configured, else None."""
    try:
        document = json.loads(_marker_path(settings).read_text())
    except (OSError, ValueError):
        return None
    if document.get("method") != settings.garmin.method:
        return None
    if document.get("credential") != _credential_fingerprint(settings):
        return None
    return str(document.get("message") or "Garmin rejected the saved login; run `advisor garmin login`")


def forget_auth_failure(settings: Settings) -> None:
    """Remove the marker: the login worked, or a new one was made."""
    _marker_path(settings).unlink(missing_ok=True)


def note_new_login(rt: AthleteContext) -> None:
    """After `advisor garmin login`: forget the refused login, so the next round (and the daemon) tries again."""
    forget_auth_failure(rt.settings)
    state = load_state(rt)
    if state.last_error and "garmin login" in state.last_error:
        save_state(rt, last_error=None)


def garmin_configured(settings: Settings) -> bool:
    """Whether a Garmin sync can run at all (the daemon schedules it only then): a key, or saved tokens."""
    if settings.garmin.method == "personal_api":
        try:
            return bool(settings.garmin.resolved_api_key())
        except Exception:
            return False
    return (settings.garmin_token_dir / TOKEN_FILE_NAME).is_file()


# --------------------------------------------------------------------------------------------------------------
# `advisor garmin status`


@dataclass(frozen=True)
class GarminStatus:
    method: str
    credential_present: bool
    credential_where: str
    last_success_at: datetime | None
    synced_up_to: datetime | None
    last_error: str | None
    retry_after: datetime | None
    login_needed: str | None

    def to_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "method": self.method,
            "credential_present": self.credential_present,
            "credential_where": self.credential_where,
            "last_success_at": iso(self.last_success_at),
            "synced_up_to": iso(self.synced_up_to),
            "last_error": self.last_error,
            "retry_after": iso(self.retry_after),
            "login_needed": self.login_needed,
        }


def garmin_status(rt: AthleteContext) -> GarminStatus:
    """What `advisor garmin status` shows: how Garmin is set up and how far the sync got. No secrets."""
    settings = rt.settings
    state = load_state(rt)
    if settings.garmin.method == "personal_api":
        where = str(settings.garmin.api_key_file) if settings.garmin.api_key_file else "ADVISOR_GARMIN__API_KEY"
        present = garmin_configured(settings)
    else:
        path = settings.garmin_token_dir / TOKEN_FILE_NAME
        where, present = str(path), path.is_file()
    return GarminStatus(
        method=settings.garmin.method,
        credential_present=present,
        credential_where=where,
        last_success_at=state.last_success_at,
        synced_up_to=state.synced_up_to,
        last_error=state.last_error,
        retry_after=state.retry_after,
        login_needed=auth_refusal(settings),
    )


__all__ = [
    "SOURCE",
    "GarminStatus",
    "auth_refusal",
    "forget_auth_failure",
    "garmin_configured",
    "garmin_status",
    "load_state",
    "note_new_login",
    "remember_auth_failure",
    "save_state",
]
