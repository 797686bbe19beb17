"""Decoding and measuring one activity payload: the half of an import that needs no database.

Split from `importing` so a process-pool worker (`import_pool`) runs exactly the code an in-process import runs,
and sends back a `Prepared` — the decoded file's summary and its runs' metrics, without the record stream, so the
pickle is a few kilobytes whatever the run's length. The statuses and reasons are the ones `importing`'s
docstring lists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from advisor.domain.metrics import HeartRateProfile, RunMetrics, compute_run_metrics, split_sessions
from advisor.domain.metrics.plausibility import FOOT_MAX_MOVING_SPEED_MPS, gate_stream, implausible
from advisor.domain.metrics.run import is_foot_sport
from advisor.ingest.decode import (
    UNKNOWN_SPORT,
    DecodedActivity,
    DecodeError,
    RecordStream,
    SessionTotals,
    TruncatedFileError,
    decode_activity,
)
from advisor.ingest.decode.sports import sport_from_text
from advisor.ingest.strava import ActivityHint

Status = Literal["imported", "duplicate", "skipped", "failed"]
IGNORED_SPORTS = {"transition"}
SUSPECT_FOOT_SPEED_MPS = 5.5
"""A foot activity averaging more than this (3:02 min/km) is looked at again with a bike's limits."""
MAX_BIKE_AVERAGE_MPS = 15.0
"""54 km/h over a whole activity: no bike ride averages that; a motor vehicle does."""
MOTOR_SPORT = "driving"
"""The FIT profile's sport for a motor vehicle."""
ASSUMED_SPORT = "running"
"""What a file that names no sport (and has no export listing to ask) is taken to be: this is a runner's tool."""
DECODE_TIME_LIMIT_S = 300.0
"""The default per-file limit on decoding and measuring (`isolation`; `[imports] decode_time_limit_s`). fitdecode,
the slowest decoder, reads a 24-hour FIT recording in well under a minute on a slow core: five minutes means a
decoder is stuck, not busy."""


@dataclass(frozen=True)
class FileResult:
    name: str
    status: Status
    detail: str = ""
    file_type: str | None = None
    activity_ids: tuple[int, ...] = ()
    incomplete: bool = False
    """A `failed` file whose data simply stops (truncated): it may still be arriving (the inbox waits for it)."""


@dataclass
class Measured:
    session: SessionTotals
    metrics: RunMetrics
    n_records: int
    key: str
    dropped: int = 0
    file_sport: tuple[str, str | None] | None = None
    """The file's own sport when another was inferred from the speed (kept as a correction is)."""
    excluded: bool = False
    """Stored but counted nowhere (a motor vehicle): the runner sees it and can include it."""


@dataclass
class Prepared:
    """Everything about one payload that needs no database: what a pool worker sends back (no record stream,
    so the pickle stays small). `outcome` is the final answer for a file that will not be stored."""

    name: str
    sha256: str
    size: int
    outcome: FileResult | None = None
    decoded: DecodedActivity | None = None
    measured: list[Measured] = field(default_factory=list)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(
    decoder: str, profile: HeartRateProfile, name: str, data: bytes, hint: ActivityHint | None, sha256: str = ""
) -> Prepared:
    """Decode and measure one payload (pure: no database, safe in a worker process).

    Never raises for the file's own faults: a decoder or measurement that raises anything at all (a library bug
    on odd input, a recursion limit, a native panic) makes this file `failed` with one sentence naming the step,
    so a worker always sends back an answer. What no handler can catch (a crash, a hang) is `isolation`'s.
    """
    prepared = Prepared(name, sha256 or digest(data), len(data))
    try:
        decoded = decode_activity(data, name, decoder)
    except DecodeError as error:
        prepared.outcome = FileResult(name, "failed", str(error), incomplete=isinstance(error, TruncatedFileError))
        return prepared
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # not a reason a decoder gave: it gave up (see `gave_up`)
        prepared.outcome = FileResult(name, "failed", gave_up(reader_of(name, data), error))
        return prepared
    if decoded.skip_reason is not None:
        prepared.outcome = FileResult(name, "skipped", decoded.skip_reason, decoded.file_type)
        return prepared
    if decoded.file_type == "activity":
        try:
            _measured(prepared, decoded, hint, profile)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:
            reason = f"its samples could not be measured ({_describe(error)})"
            prepared.outcome = FileResult(name, "failed", reason, "activity")
    decoded.records = RecordStream()  # measured now, never stored: not kept, not sent back from a worker
    prepared.decoded = decoded
    return prepared


def gave_up(reader: str, cause: BaseException | str) -> str:
    """The one sentence for a file whose decoding failed in a way no decoder reported as a reason: an exception
    it raised, or (from `isolation`) what became of the process decoding it."""
    return f"the {reader} crashed on this file ({_describe(cause)})"


def _describe(cause: BaseException | str) -> str:
    if isinstance(cause, str):
        return cause
    text = " ".join(str(cause).split())[:200]
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def reader_of(name: str, data: bytes) -> str:
    """What reads these bytes, in the words of a failure sentence: "FIT decoder", "GPX reader", "TCX reader"."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "FIT decoder"
    lower = name.lower().removesuffix(".gz")
    if lower.endswith(".gpx") or b"<gpx" in data[:4096]:
        return "GPX reader"
    if lower.endswith(".tcx") or b"<TrainingCenterDatabase" in data[:4096]:
        return "TCX reader"
    return "FIT decoder" if lower.endswith(".fit") else "file reader"


def _measured(
    prepared: Prepared, decoded: DecodedActivity, hint: ActivityHint | None, profile: HeartRateProfile
) -> None:
    name = prepared.name
    _apply_hint(decoded, hint)
    measured = _measure(decoded, profile)
    if isinstance(measured, str):
        prepared.outcome = FileResult(name, "failed", f"impossible values: {measured}", "activity")
    elif not measured:
        reason = "activity file without a session or timed records: nothing to measure"
        prepared.outcome = FileResult(name, "skipped", reason, "activity")
    else:
        prepared.measured = measured


def _apply_hint(decoded: DecodedActivity, hint: ActivityHint | None) -> None:
    """Name and, where the file has none, sport from the export's listing; else running, with a note. A listed
    sport wins over inference: `_measure` infers only for sessions the listing did not name."""
    if hint is not None and hint.name:
        decoded.activity_name = hint.name
    listed = sport_from_text(hint.sport_text) if hint is not None else None
    for i, session in enumerate(decoded.sessions):
        if session.sport != UNKNOWN_SPORT:
            continue
        if listed is not None:
            decoded.sessions[i] = replace(session, sport=listed[0], sub_sport=listed[1], listed=True)
            decoded.notes.append(f"sport {listed[0]} from activities.csv ({hint.sport_text})")  # type: ignore[union-attr]
        else:
            decoded.sessions[i] = replace(session, sport=ASSUMED_SPORT, sub_sport=None)
            decoded.notes.append(f"the file names no sport: taken as {ASSUMED_SPORT}")


def _measure(decoded: DecodedActivity, profile: HeartRateProfile) -> list[Measured] | str:
    """Metrics per session; a multisport file gives one activity per leg (transitions are dropped).

    Each leg's stream goes through the plausibility gate first; a leg that is still impossible makes the whole
    file fail (the answer is then the reason, a string): half a file stored would be a run with a missing leg.
    """
    sessions = list(decoded.sessions)
    records = decoded.records
    if not sessions and len(records):
        start = datetime.fromtimestamp(records.time_s[0], UTC)
        sessions = [SessionTotals(sport="generic", sub_sport=None, start_time=start)]
    sessions.sort(key=lambda s: s.start_time)
    measured = []
    for session, stream in zip(sessions, split_sessions(records, sessions), strict=True):
        if session.sport in IGNORED_SPORTS:
            continue
        item, problem = _measured_as(session, stream, profile)
        inferred = _inferred(session, stream, profile, item, problem is not None)
        if inferred is not None:
            item, note = inferred
            decoded.notes.append(note)
        elif problem is not None:
            return problem
        measured.append(item)
    return measured


def _measured_as(
    session: SessionTotals, stream: RecordStream, profile: HeartRateProfile
) -> tuple[Measured, str | None]:
    """The stream gated and measured as the session's sport, and why that cannot be real (None when it can)."""
    gated = gate_stream(stream, session.sport, session.sub_sport, session)
    metrics = compute_run_metrics(gated.records, session.sport, profile, session)
    problem = implausible(metrics, session, session.sport, session.sub_sport, gated.records, gated.dropped)
    key = str(int(session.start_time.timestamp()))
    return Measured(session, metrics, len(gated.records), key, gated.dropped), problem


def _inferred(
    session: SessionTotals, stream: RecordStream, profile: HeartRateProfile, on_foot: Measured, impossible: bool
) -> tuple[Measured, str] | None:
    """PRODUCT.md "Sport is inferred": an activity on foot — named so by the file, or taken as running because it
    names none — whose speed rules that out is measured again as what it must be: averaging 7-15 m/s, cycling
    (PRODUCT.md's rule; issue 21 also asked for "no running cadence", but at 7 m/s nobody runs whatever the
    cadence says); faster than any bike, a motor vehicle, stored excluded.
    Looked at only when the foot reading was impossible, dropped samples too fast for a foot, or is a fast pace;
    never for a sport an export's listing named. None when the sport stands."""
    if session.listed or not is_foot_sport(session.sport, session.sub_sport):
        return None
    m = on_foot.metrics
    if not (
        impossible or on_foot.dropped or m.distance_m / (m.moving_s or m.elapsed_s or 1.0) > SUSPECT_FOOT_SPEED_MPS
    ):
        return None
    item, problem = _measured_as(replace(session, sport="cycling", sub_sport=None), stream, profile)
    moving = item.metrics.moving_s or item.metrics.elapsed_s
    speed = item.metrics.distance_m / moving if moving > 0 else 0.0
    own_time = session.total_timer_time_s or session.total_elapsed_time_s
    if session.total_distance_m and own_time:  # the device's own totals judge a glitch, not the stream alone
        speed = min(speed, session.total_distance_m / own_time)
    kmh = f"{speed * 3.6:.0f} km/h on average"
    if speed > MAX_BIKE_AVERAGE_MPS:
        sport, excluded = MOTOR_SPORT, True
        note = f"{kmh}, faster than any bike: taken as a motor vehicle, excluded (`advisor activity include` counts it)"
    elif speed > FOOT_MAX_MOVING_SPEED_MPS:
        sport, excluded = "cycling", False
        note = f"{kmh}, faster than anyone runs: taken as cycling (`advisor activity set --sport` corrects it)"
    else:
        return None
    if sport != "cycling":  # measured again with that sport's limits
        item, problem = _measured_as(replace(session, sport=sport, sub_sport=None), stream, profile)
    if problem is not None:
        return None
    return replace(item, file_sport=(session.sport, session.sub_sport), excluded=excluded), note
