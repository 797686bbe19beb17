"""Phase 2, Settle (PRODUCT.md "The advice"): no running until the knee has settled after a flare.

Why a phase of its own: a 5/10 flare, or a knee still 3/10 the morning after, used to move the caps by 10 %, and pain
after cycling with no runs at all gave "restart this week". A physio stops running then, and restarts only once the
knee has calmed: two mornings in a row at 2/10 or less, or a week with no new pain.

Settle holds from the day a pain event is *known* not to be settled — its score is `not_settled_score` or more (known
that day), or the next morning is a pain event too (known that morning) — or from a pain event whose judged day and
the 6 days before it hold no run (pain the running load does not explain). It ends on the second of two consecutive
morning scores ≤ `pain_acceptable` logged after the latest pain event, or 7 days after the latest pain event; a
pain event during Settle starts it again. The day it ends, Return begins (`caps.programme_at`).

The replay is causal (day by day, reading only entries dated up to each day), so the state it gives for an earlier
day is what was known on that day.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from advisor.domain.risk.flags import RiskAssessment
from advisor.domain.risk.pain import PainEvent, morning_scores
from advisor.domain.risk.referral import settled
from advisor.domain.risk.thresholds import Thresholds

WEEK = 7
ONE_DAY = timedelta(days=1)
SettleWhy = Literal["not_settled", "without_running"]


@dataclass(frozen=True, slots=True)
class SettleEpisode:
    """One Settle episode: when it began, why, and when it ended (None while still open on the last day replayed)."""

    start: date
    """The day it was known: the first day of Settle."""
    began: date
    """The day the trouble began (the triggering event's judged day): Return's reference is read from before it."""
    trigger: PainEvent
    why: SettleWhy
    latest: date
    """The day of the latest pain event of the episode, as far as it was replayed."""
    end: date | None
    """The first day out of Settle (Return starts then), or None while open."""

    def open_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def without_running(risk: RiskAssessment, event: PainEvent) -> bool:
    """The event's judged day and the 6 days before it hold no run (pain the running load does not explain)."""
    s = risk.series
    i = s.index(event.judged_day)
    return i >= 0 and sum(s.window(s.runs, event.judged_day, WEEK)) == 0


def settle_reason(episode: SettleEpisode, t: Thresholds) -> str:
    """Why the runner is in Settle, in their words (one sentence, lower case: it follows a label)."""
    e = episode.trigger.entry
    if episode.why == "without_running":
        return f"it hurt ({e.score}/10 on {e.day:%-d %b}) without running, so the running load does not explain it."
    if e.score >= t.not_settled_score:
        return f"it hurt {e.score}/10 ({e.when}) on {e.day:%-d %b}."
    return f"it still hurt the morning after the {e.score}/10 ({e.when}) on {e.day:%-d %b}."


def settle_episodes(risk: RiskAssessment) -> list[SettleEpisode]:
    """Every Settle episode up to `risk.as_of`, oldest first (cached on the assessment: caps for past days ask)."""
    cached = risk.memo.get("settle")
    if cached is None:
        cached = risk.memo["settle"] = _replay(risk)
    return cached  # type: ignore[return-value]


def settle_on(risk: RiskAssessment, day: date) -> SettleEpisode | None:
    """The Settle episode open on `day`, if any."""
    return next((e for e in settle_episodes(risk) if e.open_on(day)), None)


@dataclass(slots=True)
class _Open:
    """The episode being replayed: its latest pain event and the run of calm mornings since."""

    start: date
    began: date
    trigger: PainEvent
    why: SettleWhy
    latest: date
    calm: int = 0
    last_calm: date | None = None

    def closed(self, end: date | None) -> SettleEpisode:
        return SettleEpisode(self.start, self.began, self.trigger, self.why, self.latest, end)


def _replay(risk: RiskAssessment) -> list[SettleEpisode]:
    t = risk.thresholds
    origin = risk.series.origin  # the report's window: older pain has no say in today's phase
    by_day: dict[date, list[PainEvent]] = {}
    for e in risk.events:
        if origin <= e.entry.day <= risk.as_of:
            by_day.setdefault(e.entry.day, []).append(e)
    if not by_day:
        return []
    mornings = morning_scores(risk.pain)
    event_days = sorted(by_day)
    episodes: list[SettleEpisode] = []
    current: _Open | None = None
    day = event_days[0]
    while day <= risk.as_of:
        today = by_day.get(day, [])
        if current is not None:
            if today:
                current.latest, current.calm = day, 0
            elif 0 <= mornings.get(day, -1) <= t.pain_acceptable:
                current.calm = current.calm + 1 if current.last_calm == day - ONE_DAY else 1
                current.last_calm = day
                if current.calm >= 2:  # the second calm morning: Settle is over that day, Return begins
                    episodes.append(current.closed(day))
                    current = None
            if current is not None and (day - current.latest).days >= WEEK:
                episodes.append(current.closed(day))
                current = None
        if current is None:
            trigger = _trigger(risk, by_day, day)
            if trigger is not None:
                event, why = trigger
                current = _Open(day, event.judged_day, event, why, day)
        day += ONE_DAY
        if current is None:  # nothing open: jump to the next day that can start an episode (an event, or its
            # next morning), instead of walking ten years of quiet days one by one; bisect, not a scan of them all
            k = bisect_left(event_days, day - ONE_DAY)
            if k == len(event_days):
                break
            day = max(day, event_days[k])
    if current is not None:
        episodes.append(current.closed(None))
    return episodes


def _trigger(
    risk: RiskAssessment, by_day: dict[date, list[PainEvent]], day: date
) -> tuple[PainEvent, SettleWhy] | None:
    """A pain event known on `day` to start Settle: entered today and not settled (a high score, or a morning event
    that is the next morning of an earlier event), or entered today without running."""
    t = risk.thresholds
    for event in by_day.get(day, []):
        if event.entry.score >= t.not_settled_score:
            return event, "not_settled"
        if without_running(risk, event):
            return event, "without_running"
    for event in by_day.get(day - timedelta(days=1), []):  # its next morning is today: known not settled today
        if not settled(event, by_day.get(day, []), day, t):  # (`settled` reads only that next morning's events)
            return event, "not_settled"
    return None


__all__ = ["SettleEpisode", "settle_episodes", "settle_on", "settle_reason", "without_running"]
