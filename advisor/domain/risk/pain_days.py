"""Pain laid on the series' days, and the 7-day windows the pain-threshold rules read (`advisor.domain.risk.pain`).

Split from `pain` because these facts are what the threshold's inner loops ask for thousands of times per report:
they are counted once per report here and read by day index, so the rules stay short and the report stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Literal

from advisor.domain.risk.aggregates import DailySeries
from advisor.domain.risk.model import PainEntry
from advisor.domain.risk.thresholds import Thresholds

WEEK = 7
WindowStatus = Literal["tolerated", "painful", "unknown"]
Measure = Literal["distance", "single", "descent"]


@dataclass(frozen=True, slots=True)
class PainEvent:
    entry: PainEntry
    judged_day: date
    """The day whose load it judges: the same day for during/after, the day before for a morning score."""
    reason: Literal["score", "morning_rise"]
    baseline: float | None
    """The morning baseline a rise was measured from (None when there was none)."""


@dataclass(slots=True)
class PainDays:
    """Pain laid on the series' days: what the window rules read, built once per report.

    The threshold rules ask about the same windows thousands of times per report (every event × measure walks the
    windows after it, for every day the advice stage looks back at), so the window facts are counted once: prefix
    counts make a window's status O(1), and the tolerated windows seen up to a day are one list per day. All counts
    are whole numbers, so the answers are exactly those of summing each window's slice."""

    series: DailySeries
    events: list[PainEvent]
    worst_run_score: list[int]
    """Highest during/after score entered that day, -1 when none."""
    scored: list[bool]
    run_event: list[bool]
    """A during/after pain event entered (and judged) that day."""
    morning_event: list[bool]
    """A morning pain event entered that day (it judges the day before)."""
    _counts: tuple[list[int], list[int], list[int], list[int]] | None = None
    """Prefix counts (index k: days before k) of run events, morning events, runs and runs on scored days."""
    _open: list[bool] | None = None
    _tolerated: dict[int, list[bool]] = field(default_factory=dict)
    _measures: dict[Measure, list[float | None]] = field(default_factory=dict)
    _iso_weeks: dict[tuple[int, int], int] = field(default_factory=dict)

    def window_status(self, end: date, upto: date, t: Thresholds) -> WindowStatus:
        """Tolerated, painful or unknown: the 7 days ending `end`, seen with what was logged up to `upto`."""
        return self.status_at(self.series.index(end), self.series.index(upto))

    def status_at(self, i_end: int, i_upto: int) -> WindowStatus:
        """`window_status` by day index (the series' origin is 0). A morning entered the day after the window
        judges its last day, so it is read when `upto` has come."""
        i_start = i_end - WEEK + 1
        if i_start < 0:
            return "unknown"
        n = len(self.run_event)
        i_morning_end = min(i_end + 1, i_upto, n - 1)
        if i_end >= n or i_morning_end + 1 < i_start:
            return self._sliced_status(i_start, i_end, i_morning_end)  # outside the series: as the slices say
        run_ev, morning_ev, runs, scored = self._prefix_counts()
        if run_ev[i_end + 1] > run_ev[i_start] or morning_ev[i_morning_end + 1] > morning_ev[i_start + 1]:
            return "painful"
        n_runs = runs[i_end + 1] - runs[i_start]
        n_scored = scored[i_end + 1] - scored[i_start]
        if n_runs == 0 or 2 * n_scored < n_runs or morning_ev[i_morning_end + 1] > morning_ev[i_start]:
            return "unknown"
        return "tolerated"

    def _sliced_status(self, i_start: int, i_end: int, i_morning_end: int) -> WindowStatus:
        s = self.series
        mornings = any(self.morning_event[i_start : i_morning_end + 1])
        if any(self.run_event[i_start : i_end + 1]) or any(self.morning_event[i_start + 1 : i_morning_end + 1]):
            return "painful"
        runs = sum(s.runs[i_start : i_end + 1])
        scored = sum(s.runs[i] for i in range(i_start, i_end + 1) if self.scored[i])
        if runs == 0 or 2 * scored < runs or mornings:
            return "unknown"
        return "tolerated"

    def _prefix_counts(self) -> tuple[list[int], list[int], list[int], list[int]]:
        if self._counts is None:
            runs = self.series.runs
            self._counts = (
                list(accumulate(map(int, self.run_event), initial=0)),
                list(accumulate(map(int, self.morning_event), initial=0)),
                list(accumulate(runs, initial=0)),
                list(accumulate((r if sc else 0 for r, sc in zip(runs, self.scored, strict=True)), initial=0)),
            )
        return self._counts

    def tolerated_upto(self, i_upto: int) -> list[bool]:
        """Whether each window ending at index 0..i_upto is tolerated, seen up to index `i_upto` (one list per
        day asked about; every earlier window is seen with its next morning, the last one without)."""
        found = self._tolerated.get(i_upto)
        if found is None:
            if 0 <= i_upto < len(self.run_event):
                found = [*self._open_tolerated()[:i_upto], self.status_at(i_upto, i_upto) == "tolerated"]
            else:
                found = [self.status_at(i, i_upto) == "tolerated" for i in range(i_upto + 1)]
            self._tolerated[i_upto] = found
        return found

    def _open_tolerated(self) -> list[bool]:
        """`status_at(i, upto) == "tolerated"` for every window of the series and any later `upto`: the morning
        after its last day is read (the series' last day has none). One pass over the prefix counts."""
        if self._open is None:
            run_ev, morning_ev, runs, scored = self._prefix_counts()
            n = len(self.run_event)
            self._open = out = [False] * n
            for i_end in range(WEEK - 1, n):
                i_start = i_end - WEEK + 1
                after_mornings = min(i_end + 2, n)
                if run_ev[i_end + 1] == run_ev[i_start] and morning_ev[after_mornings] == morning_ev[i_start]:
                    n_runs = runs[i_end + 1] - runs[i_start]
                    out[i_end] = n_runs > 0 and 2 * (scored[i_end + 1] - scored[i_start]) >= n_runs
        return self._open

    def measure_at(self, i_end: int, what: Measure) -> float:
        """`window_measure` of the 7 days ending at index `i_end`, computed once per index of the series."""
        if not 0 <= i_end < len(self.run_event):
            return window_measure(self.series, self.series.origin + timedelta(days=i_end), what)
        cache = self._measures.get(what)
        if cache is None:
            cache = self._measures[what] = [None] * len(self.run_event)
        found = cache[i_end]
        if found is None:
            s = self.series
            found = cache[i_end] = window_measure(s, s.origin + timedelta(days=i_end), what)
        return found

    def tolerated_iso_weeks(self, after: date, i_upto: int) -> int:
        """`_tolerated_iso_weeks` by index of `upto`; the events of one ISO week share the answer."""
        i_sunday = self.series.index(after) + 6 - after.weekday() + WEEK  # the end of the first ISO week after
        key = (i_sunday, i_upto)
        found = self._iso_weeks.get(key)
        if found is None:
            found = self._iso_weeks[key] = _tolerated_iso_weeks(self, i_sunday, i_upto)
        return found

    def events_between(self, first: date, last: date) -> list[PainEvent]:
        """Events entered on days first..last."""
        return [e for e in self.events if first <= e.entry.day <= last]


def pain_days(series: DailySeries, entries: Sequence[PainEntry], events: list[PainEvent]) -> PainDays:
    n = len(series.runs)
    pd = PainDays(series, events, [-1] * n, [False] * n, [False] * n, [False] * n)
    for p in entries:
        i = series.index(p.day)
        if 0 <= i < n and p.when != "morning":
            pd.scored[i] = True
            pd.worst_run_score[i] = max(pd.worst_run_score[i], p.score)
    for e in events:
        i = series.index(e.entry.day)
        if 0 <= i < n:
            if e.entry.when == "morning":
                pd.morning_event[i] = True
            else:
                pd.run_event[i] = True
    return pd


def window_measure(series: DailySeries, end: date, what: Measure) -> float:
    """The 7 days ending `end`: their distance, their descent, or their longest run (`single`)."""
    if what == "distance":
        return series.total(series.distance_m, end, WEEK)
    if what == "descent":
        return series.total(series.descent_m, end, WEEK)
    return max(series.window(series.longest_run_m, end, WEEK), default=0.0)


def _tolerated_iso_weeks(pd: PainDays, i_sunday: int, i_upto: int) -> int:
    """The longest run of consecutive tolerated ISO weeks (Monday-Sunday) from the one ending at index `i_sunday`
    (the first wholly after the day asked about) to the last ended by `i_upto`; an empty or unknown week breaks it."""
    tolerated = pd.tolerated_upto(i_upto)
    best = run = 0
    while i_sunday <= i_upto:
        run = run + 1 if i_sunday >= 0 and tolerated[i_sunday] else 0
        best = max(best, run)
        i_sunday += WEEK
    return best
