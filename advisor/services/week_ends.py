"""The chart's week ends: what the engine says at the end of each chart week, kept under a digest of its inputs.

A report is a pure function of the engine, the settings, the day and the history cut for that day
(`assess_athlete(settings, day, span.at(day))`). The weekly chart takes a few numbers from the report of 13 days —
each week's last day, and the day before the first week — and twelve of those days were last week's chart's too.
So each day's numbers are kept (advisor.store.week_ends) under a SHA-256 of all four inputs: the engine's
fingerprint, the settings' fingerprint, the day, and every field of every row the cut is made of (the runs, the
pain log, the stairs rows, the assessments, the rehab sessions). Kept numbers are used only under the same digest,
so they are what the engine would say now; a late-logged score, an excluded run or a new release gives another
digest and the day is assessed again.

The digest is the round's hot path (13 days of a 200-day history per athlete, every week), so each row is encoded
once per span, not once per day, and not by `repr`: `marshal` (format 2, which has no back-references and so
depends on nothing but the values) of the row's class and field values, one column at a time, so the loops run in
C. A value `marshal` takes as it is (exact `int`, `float`, `str`, `bool`, None) is written with its type, a date as
("date", its ordinal), any other (an instant, a tuple) as its `repr` in bytes: no two kinds of value look alike, so
distinct rows give distinct bytes. Each row's bytes are hashed once, and a day's digest is made of its rows' digests.
tests/test_week_ends.py holds the kept numbers to fresh assessments through such changes, and the digest to every
field of every row.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from functools import cache
from itertools import chain, repeat
from operator import attrgetter, is_, methodcaller
from typing import TYPE_CHECKING

from pydantic import TypeAdapter

from advisor.domain.advice.report import KneeReport
from advisor.services.current import report_key
from advisor.services.knee import assess_athlete
from advisor.store.week_ends import read_week_ends, save_week_ends

if TYPE_CHECKING:
    from advisor.services.context import AthleteContext
    from advisor.store.history import DayInputs, HistorySpan

__all__ = ["RowDigests", "WeekEnd", "encodings", "input_digest", "week_ends"]


@dataclass(frozen=True)
class WeekEnd:
    """The numbers a chart takes from the report of one day."""

    weekly_cap_km: float | None
    """The weekly cap given that day, for the 7 days after it (the next chart week's cap)."""
    next_run_cap_km: float | None
    threshold_km: float | None
    """The 7-day pain threshold known at the end of that day."""
    week: str
    """The ISO week the day ends (or cuts), and its aggregate:"""
    week_start: date
    distance_km: float


_JSON = TypeAdapter(WeekEnd)


def of_report(report: KneeReport) -> WeekEnd:
    """The numbers of `report` a chart takes, in `WeekEnd`'s field order."""
    caps, week = report.caps, report.weeks[-1]
    threshold = report.pain_threshold.distance_7d_km
    return WeekEnd(caps.weekly_distance_km, caps.next_run_km, threshold, week.week, week.start, week.distance_km)


def week_ends(
    rt: AthleteContext, span: HistorySpan, days: Sequence[date], assessed: dict[date, KneeReport] | None = None
) -> dict[date, WeekEnd]:
    """Each of `days`' numbers: kept ones whose inputs are unchanged, the rest assessed (and kept), in one read and
    at most one write. `assessed` collects the whole reports of the days assessed here, for a caller that needs
    one of them whole (the mail's last week) and must not assess it twice."""
    rows, prefix = encodings(span), _prefix(rt)
    digests = {day: input_digest(rt, day, span.inputs(day), rows, prefix) for day in days}
    kept = read_week_ends(rt.db, rt.athlete_id, days)
    found: dict[date, WeekEnd] = {}
    fresh: dict[date, tuple[str, str]] = {}
    for day in days:
        digest = digests[day]
        if day in kept and kept[day][0] == digest:
            found[day] = _JSON.validate_json(kept[day][1])
            continue
        report = assess_athlete(rt.settings, day, span.at(day))
        if assessed is not None:
            assessed[day] = report
        found[day] = of_report(report)
        fresh[day] = (digest, _JSON.dump_json(found[day]).decode())
    save_week_ends(rt.db, rt.athlete_id, fresh)
    return found


def input_digest(
    rt: AthleteContext, day: date, inputs: DayInputs, rows: RowDigests | None = None, prefix: bytes | None = None
) -> str:
    """SHA-256 of everything `assess_athlete(rt.settings, day, span.at(day))` reads: the engine, the settings, the
    day and `span.inputs(day)`, the rows the day's history is made of, as each part's count of rows and their
    digests. `rows`: the digest of every row of the span the inputs were cut from, made once for all its days
    (`encodings`); `prefix`: `_prefix(rt)`, the same for every day, made once by a caller that digests several."""
    digest = hashlib.sha256(prefix if prefix is not None else _prefix(rt))
    digest.update(day.isoformat().encode())
    if rows is None:
        rows = RowDigests(inputs)
    for part in inputs:
        digest.update(b"\x1d%d\x1e" % len(part))
        digest.update(rows.joined(part))
    return digest.hexdigest()


def _prefix(rt: AthleteContext) -> bytes:
    """The digest's start: the engine's and the settings' fingerprints, which do not depend on the day (the day
    `report_key` also holds is digested by `input_digest` itself)."""
    key = report_key(rt.settings, date.min)
    return f"{key.engine}\0{key.settings}\0".encode()


def encodings(span: HistorySpan) -> RowDigests:
    """Every row of `span` (the rows `span.inputs(day)` returns) hashed, as `input_digest` joins them."""
    return RowDigests((span.runs, span.pain, span.stair_rows, span.assessments, span.rehab))


class RowDigests:
    """The SHA-256 of each row of some lists, each row hashed once, found by the row's identity: the lists hold the
    rows, so no identity is reused while they live. A day's part of a span is most often a run of consecutive rows
    of the span's list (a window of the runs, the pain log up to the day), whose digests are then one slice."""

    def __init__(self, parts: Sequence[Sequence[object]]) -> None:
        self._rows = list(chain.from_iterable(parts))
        self._at = dict(zip(map(id, self._rows), range(len(self._rows)), strict=True))
        encoded = chain.from_iterable(map(_encoded, parts))
        self._joined = b"".join(map(methodcaller("digest"), map(hashlib.sha256, encoded)))

    def joined(self, rows: Sequence[object]) -> bytes:
        """The digests of `rows` (rows of these lists), in their order, joined."""
        if not rows:
            return b""
        first, joined = self._at[id(rows[0])], self._joined
        run = self._rows[first : first + len(rows)]
        if len(run) == len(rows) and all(map(is_, run, rows)):  # the very rows, not equal ones: 0.0 == -0.0 == False
            return joined[first * _SIZE : (first + len(rows)) * _SIZE]
        return b"".join(joined[i * _SIZE : (i + 1) * _SIZE] for i in map(self._at.__getitem__, map(id, rows)))


_SIZE = hashlib.sha256().digest_size
_PLAIN = frozenset({int, float, str, bool, type(None)})
"""The types `marshal` writes as they are, tagged with their type (a subclass is not one of them)."""
_DATE = "date"


def _encoded(rows: Sequence[object]) -> list[bytes]:
    """Each of `rows` as bytes that say every field of it: `marshal` format 2 of (its class, its field values). A
    value is itself if `_PLAIN`, a date ("date", its ordinal), anything else its `repr` as bytes (`_value`).
    Column by column, when the rows are of one class (and tuples, of one length): what the round's 500 rows per
    athlete cost is the loops, and these run in C."""
    if not rows:
        return []
    kinds = set(map(type, rows))
    kind = next(iter(kinds))
    if len(kinds) > 1 or (kind is tuple and len(set(map(len, rows))) > 1):  # never so in a span; each row alone
        return [b for row in rows for b in _encoded([row])]
    if kind is tuple:
        columns: list[Sequence[object]] = list(zip(*rows, strict=True))  # type: ignore[arg-type]
    elif is_dataclass(kind):
        columns = [list(map(get, rows)) for get in _getters(kind)]
    else:
        return [marshal.dumps((b"repr", repr(row)), 2) for row in rows]
    for i, column in enumerate(columns):
        types = set(map(type, column))
        if types == {date}:
            columns[i] = list(zip(repeat(_DATE, len(column)), map(date.toordinal, column), strict=True))  # type: ignore[arg-type]
        elif not types <= _PLAIN:
            columns[i] = list(map(_value, column))
    values = zip(repeat(f"{kind.__module__}.{kind.__qualname__}", len(rows)), *columns, strict=True)
    return list(map(marshal.dumps, values, repeat(2)))


def _value(value: object) -> object:
    """A value as `_encoded` writes it: one type's values never look like another's."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    return (_DATE, value.toordinal()) if kind is date else repr(value).encode()  # type: ignore[attr-defined]


@cache
def _getters(kind: type) -> tuple[attrgetter[object], ...]:
    """One getter per field of the dataclass `kind`, every field (those derived from others too)."""
    return tuple(attrgetter(f.name) for f in fields(kind))
