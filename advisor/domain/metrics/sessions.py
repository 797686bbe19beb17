"""Cutting a multisport file's record stream into one stream per session."""

from __future__ import annotations

import math

from advisor.domain.activity import RecordStream, SessionTotals


def split_sessions(records: RecordStream, sessions: list[SessionTotals]) -> list[RecordStream]:
    """One record stream per session (in the order given), cut at the next session's start.

    Why not [start_time, start_time + total_elapsed_time]: devices get start_time wrong. The fēnix 2 multisport
    sample's first session says it started 45 minutes after its first record (its lap and end timestamp agree
    with the records), and that window cuts the leg mid-way and pulls in the next leg's distance counter. The
    starts of the *following* sessions are reliable boundaries, so each session keeps every record from its own
    start (the first one also keeps any records before it) up to the next session's start.
    """
    if len(sessions) <= 1:
        return [records for _ in sessions]
    starts = [s.start_time.timestamp() for s in sessions]
    order = sorted(range(len(sessions)), key=lambda i: starts[i])
    out: list[RecordStream] = [records] * len(sessions)
    for rank, i in enumerate(order):
        lo = starts[i] if rank > 0 else -math.inf
        hi = starts[order[rank + 1]] - 1e-3 if rank + 1 < len(order) else math.inf
        out[i] = records.slice_time(lo, hi)
    return out
