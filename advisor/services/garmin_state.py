"""Where the Garmin sync stands: its `sync_state` row, the remembered refusal of a login, and `advisor garmin
status`. Split from `advisor.services.sync` (the round) so each reads on its own."""

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
from advisor.store.models import SyncState

SOURCE = "garmin"
"""`sync_state.source` and `daily_stairs.source` for everything the Garmin sync stores."""
AUTH_MARKER_NAME = "login_needed.json"
TOKEN_FILE_NAME = "garmin_tokens.json"  # what garminconnect writes; see advisor.garmin.connect
MAX_ERROR_CHARS = 2000


# --------------------------------------------------------------------------------------------------------------
# sync_state


def _state_row(session: Any, athlete_id: int) -> SyncState:
    row = session.get(SyncState, (athlete_id, SOURCE))
    if row is None:
        row = SyncState(athlete_id=athlete_id, source=SOURCE)
        session.add(row)
    return row


def _load_state(rt: AthleteContext) -> SyncState:
    with rt.db.transaction() as session:
        row = session.get(SyncState, (rt.athlete_id, SOURCE))
        if row is None:
            return SyncState(athlete_id=rt.athlete_id, source=SOURCE)
        session.expunge(row)
        return row


_UNSET: Any = object()


def _save_state(
    rt: AthleteContext,
    *,
    synced_up_to: datetime | None = _UNSET,
    retry_after: datetime | None = _UNSET,
    last_error: str | None = _UNSET,
    last_success_at: datetime | None = _UNSET,
) -> None:
    with rt.db.transaction() as session:
        row = _state_row(session, rt.athlete_id)
        if synced_up_to is not _UNSET:
            row.synced_up_to = synced_up_to
        if retry_after is not _UNSET:
            row.retry_after = retry_after
        if last_error is not _UNSET:
            row.last_error = last_error[:MAX_ERROR_CHARS] if last_error else None
        if last_success_at is not _UNSET:
            row.last_success_at = last_success_at


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


def _remember_auth_failure(settings: Settings, message: str, at: datetime) -> None:
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


def _auth_refusal(settings: Settings) -> str | None:
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


def _forget_auth_failure(settings: Settings) -> None:
    _marker_path(settings).unlink(missing_ok=True)


def note_new_login(rt: AthleteContext) -> None:
    """After `advisor garmin login`: forget the refused login, so the next round (and the daemon) tries again."""
    _forget_auth_failure(rt.settings)
    state = _load_state(rt)
    if state.last_error and "garmin login" in state.last_error:
        _save_state(rt, last_error=None)


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
    state = _load_state(rt)
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
        login_needed=_auth_refusal(settings),
    )
