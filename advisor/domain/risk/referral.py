"""When to see a clinician (PRODUCT.md "Referral"): red flags and their assessment, pain that is not improving, and
new pain.

A red flag is kept however old it is until a clinician's assessment follows it: these rules read the whole pain
log and assessment log, not the report's window. A clearance ends the pause and starts `return_to_run`; "not
cleared" keeps running advice paused until a clearance is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from advisor.domain.risk.model import NEEDS_CLINICIAN, SIGN_WORDS, Assessment, Flag, PainEntry
from advisor.domain.risk.pain import PainEvent
from advisor.domain.risk.sources import make_flag
from advisor.domain.risk.thresholds import Thresholds

WEEK = 7
RedFlagStatus = Literal["none", "open", "awaiting_clearance"]


@dataclass(frozen=True, slots=True)
class RedFlagState:
    """Where the runner stands with red flags and a clinician's word on a day."""

    status: RedFlagStatus
    reports: tuple[PainEntry, ...]
    """The red-flag reports of the current episode (open or awaiting clearance), oldest first."""
    flag_day: date | None
    """The day the latest episode began: its first red-flag report, or a "not cleared" assessment that came with no
    red flag open (open, waiting, or the episode last cleared)."""
    pause_end: date | None
    """First day after the urgent pause of the latest report (its day + red_flag_days), while one is open."""
    cleared_on: date | None
    """Day of the clearance that ended the latest episode, when it was cleared."""
    not_cleared_on: date | None = None
    """Day of the "not cleared" assessment the runner is waiting on (status awaiting_clearance)."""
    checked_on: date | None = None
    """Day of the runner's check with none of the signs, logged after the latest report's urgent days while the
    episode is open and holds no locking or giving way: running restarts from it (status open)."""

    @property
    def signs(self) -> list[str]:
        return sorted({s for p in self.reports for s in p.red_flags})

    @property
    def needs_clinician(self) -> bool:
        """Locking or giving way in the episode: no check of the runner's own ends its pause, only an assessment."""
        return any(s in NEEDS_CLINICIAN for s in self.signs)

    def same_day_signs(self, day: date) -> list[str]:
        """The same-day signs among the reports still urgent on `day`: "get seen today (urgent care)"."""
        if not self.urgent(day):
            return []
        assert self.pause_end is not None
        urgent_for = self.pause_end - self.reports[-1].day  # `red_flag_days`, from each report's own date
        return sorted({s for p in self.reports for s in p.same_day_signs if p.day + urgent_for > day})

    @property
    def reported_since_not_cleared(self) -> tuple[PainEntry, ...]:
        """Reports made while the "not cleared" assessment is open: they join its episode ("swollen again")."""
        if self.not_cleared_on is None:
            return ()
        return tuple(p for p in self.reports if p.day >= self.not_cleared_on)

    def urgent(self, day: date) -> bool:
        """A red-flag report is urgent for `red_flag_days` from its own date, whatever the assessment says."""
        return bool(self.reports) and self.pause_end is not None and day < self.pause_end

    def paused(self, day: date) -> bool:
        """Running advice is paused (PRODUCT.md phase 1): an open report in its urgent days; after them, until the
        runner logs a check with none of the signs (locking or giving way: until an assessment); or a clinician
        has not cleared the runner, whatever is reported after that."""
        if self.status == "awaiting_clearance":
            return True
        return self.status == "open" and (self.urgent(day) or self.checked_on is None)


def red_flag_state(
    entries: Sequence[PainEntry], assessments: Sequence[Assessment], day: date, t: Thresholds
) -> RedFlagState:
    """Replay red-flag reports and assessments up to `day` (a report and an assessment on one day: the assessment
    follows the report).

    A report while a "not cleared" assessment is open joins that episode: it stays waiting for a clearance (it was
    forgotten before, and 14 days after swelling again a not-cleared runner was told to restart). A "not cleared"
    assessment with no red flag open pauses running too: the clinician said not to run. A clearance ends whatever
    is open. A check with none of the signs counts only after the latest report's urgent days, and never for an
    episode with locking or giving way; a new report in the episode needs a new check.
    """
    timeline: list[tuple[date, int, PainEntry | Assessment]] = [
        (p.day, 0, p) for p in entries if (p.red_flags or p.no_red_flags) and p.day <= day
    ]
    timeline += [(a.day, 1, a) for a in assessments if a.day <= day]
    timeline.sort(key=lambda item: (item[0], item[1], item[2].id))
    status: RedFlagStatus = "none"
    reports: list[PainEntry] = []
    flag_day: date | None = None
    cleared_on: date | None = None
    not_cleared_on: date | None = None
    checked_on: date | None = None
    urgent_days = timedelta(days=t.red_flag_days)
    for _, kind, item in timeline:
        if kind == 0:
            assert isinstance(item, PainEntry)
            if item.no_red_flags:
                if (
                    status == "open"
                    and checked_on is None
                    and item.day >= reports[-1].day + urgent_days
                    and not any(s in NEEDS_CLINICIAN for p in reports for s in p.red_flags)
                ):
                    checked_on = item.day
                continue
            checked_on = None
            if status == "none":
                reports, flag_day, cleared_on = [], item.day, None
                status = "open"
            reports.append(item)  # open, or joining the episode a clinician has not cleared
        else:
            assert isinstance(item, Assessment)
            if item.cleared:
                if status != "none":
                    status, cleared_on, not_cleared_on, checked_on = "none", item.day, None, None
                continue  # a clearance with nothing open changes nothing but the log
            if status == "none":
                reports, flag_day, cleared_on = [], item.day, None
            if status != "awaiting_clearance":
                not_cleared_on = item.day
            status = "awaiting_clearance"
    pause_end = reports[-1].day + urgent_days if status != "none" and reports else None
    return RedFlagState(
        status,
        tuple(reports) if status != "none" else (),
        flag_day,
        pause_end,
        cleared_on,
        not_cleared_on,
        checked_on if status == "open" else None,
    )


def red_flag(state: RedFlagState, day: date, t: Thresholds) -> Flag | None:
    """`red_flag` while a report has no clearance after it, however old (a "not cleared" assessment keeps it up)."""
    if state.status == "none" or not state.reports:
        return None
    last = state.reports[-1]
    words = ", ".join(SIGN_WORDS[s] for s in state.signs)
    same_day = state.same_day_signs(day)
    if same_day:
        msg = (
            f"You reported {', '.join(SIGN_WORDS[s] for s in same_day)} on {last.day.isoformat()} — get seen today "
            "(urgent care)."
        )
    elif state.status == "awaiting_clearance":
        assert state.not_cleared_on is not None
        msg = (
            f"You reported {words} on {last.day.isoformat()}, and your clinician has not cleared you "
            f"(assessed {state.not_cleared_on.isoformat()}) — no running until they do."
        )
    elif state.urgent(day):
        msg = f"You reported {words} on {last.day.isoformat()} — have the knee assessed before running again."
    elif state.paused(day):
        msg = (
            f"You reported {words} on {last.day.isoformat()} and no clinician's assessment has been logged since — "
            "get it assessed; no running until "
            + ("a clinician has." if state.needs_clinician else "you log a check with none of the signs.")
        )
    else:
        msg = (
            f"You reported {words} on {last.day.isoformat()} and no clinician's assessment has been logged since — "
            "get it assessed; restart running only gradually."
        )
    return make_flag(
        "red_flag",
        "high",
        msg,
        {
            "signs": ",".join(state.signs),
            "reports": len(state.reports),
            "first_report_day": state.reports[0].day.isoformat(),
            "last_report_day": last.day.isoformat(),
            "days_since": (day - last.day).days,
            "pause_days": t.red_flag_days,
            "not_cleared_on": state.not_cleared_on.isoformat() if state.not_cleared_on else None,
            "checked_on": state.checked_on.isoformat() if state.checked_on else None,
            "same_day": bool(same_day),
            **{s: True for s in state.signs},
        },
    )


# --- pain not improving --------------------------------------------------------------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class NotImproving:
    """The pattern behind `pain_not_improving`: the ISO weeks (Mondays) looked at and their worst scores."""

    weeks: tuple[date, ...]
    worst: tuple[int, ...]
    event_weeks_recent: int
    """ISO weeks with a pain event among the last `refer_window_weeks` (ending with the last of `weeks`)."""


def not_improving(
    events: Sequence[PainEvent], entries: Sequence[PainEntry], day: date, t: Thresholds
) -> NotImproving | None:
    """A pain event in each of the last `not_improving_weeks` ISO weeks, the latest week's worst score ≥ the first's.

    The weeks end with the one containing `day` when it already has an event; otherwise with the last complete
    week, so the answer does not flicker on a Monday before any pain is logged.
    """
    n = t.not_improving_weeks
    event_mondays = {monday(e.entry.day) for e in events if e.entry.day <= day}
    this = monday(day)
    last = this if this in event_mondays else this - timedelta(days=WEEK)
    weeks = tuple(last - timedelta(days=WEEK * k) for k in range(n - 1, -1, -1))
    if not all(w in event_mondays for w in weeks):
        return None
    worst = tuple(
        max((p.score for p in entries if w <= p.day <= min(w + timedelta(days=WEEK - 1), day)), default=0)
        for w in weeks
    )
    if worst[-1] < worst[0]:
        return None
    window = {last - timedelta(days=WEEK * k) for k in range(t.refer_window_weeks)}
    return NotImproving(weeks, worst, len(window & event_mondays))


def pain_not_improving_flag(pattern: NotImproving | None, t: Thresholds) -> Flag | None:
    if pattern is None:
        return None
    n = len(pattern.weeks)
    return make_flag(
        "pain_not_improving",
        "high",
        (
            f"Your knee has hurt in each of the last {n} weeks and is no better (worst {pattern.worst[0]}/10 in the "
            f"week of {pattern.weeks[0].isoformat()}, {pattern.worst[-1]}/10 in the latest)."
        ),
        {
            "weeks": n,
            "first_week": pattern.weeks[0].isoformat(),
            "latest_week": pattern.weeks[-1].isoformat(),
            **{f"worst_score_week_{i + 1}": w for i, w in enumerate(pattern.worst)},
            "weeks_with_pain_of_last_6": pattern.event_weeks_recent,
        },
    )


def settled(event: PainEvent, events: Sequence[PainEvent], day: date, t: Thresholds) -> bool:
    """PRODUCT.md "The pain threshold": an event is not settled when its score is `not_settled_score` or more, or
    when the next morning's score is also a pain event (the morning after the run for a during/after score, the
    morning after for a morning score). A next morning not yet logged by `day` counts as settled."""
    if event.entry.score >= t.not_settled_score:
        return False
    next_morning = event.entry.day + timedelta(days=1)  # the run's day + 1, or the morning's own day + 1
    return not any(e.entry.when == "morning" and e.entry.day == next_morning and e.entry.day <= day for e in events)


NewPain = Literal["refer", "watch"]


def new_pain(
    events: Sequence[PainEvent], assessments: Sequence[Assessment], day: date, t: Thresholds
) -> NewPain | None:
    """The first pain event of the runner's whole history, in its first `new_pain_days` days: "refer" (get it
    checked before building a programme on it) when it was not settled, `not_settled_score` or more, or followed by
    a second event within those days — until a clearance is logged after it; "watch" (if it comes back or is not
    settled by tomorrow morning, get it checked: not a referral) when it was settled and milder."""
    known = [e for e in events if e.entry.day <= day]
    if not known:
        return None
    first = min(known, key=lambda e: (e.entry.day, e.entry.id))
    if first.entry.day <= day - timedelta(days=t.new_pain_days):
        return None
    if any(a.cleared and first.entry.day <= a.day <= day for a in assessments):
        return None  # a clearance answers every referral reason dated before it
    second = any(e is not first and e.entry.day <= first.entry.day + timedelta(days=t.new_pain_days) for e in known)
    if second or not settled(first, known, day, t):
        return "refer"
    return "watch"
