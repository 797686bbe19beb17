"""The phase the knee is in (PRODUCT.md "The advice"): Paused, Settle, Return or Build — exactly one on any day,
with its reason, what moves the runner on, and since when; and `today`, what to do today.

Why phases: a physio does not read a report as a list of rules but as "where is this knee now, and what moves it
on". Every report names its phase first (after any referral), so the caps below it read as a consequence of it.
Pure: a function of the assessment and the caps already computed for the day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from advisor.domain.advice.caps import CapsAt
from advisor.domain.advice.items import spoken_list
from advisor.domain.advice.settle import settle_reason
from advisor.domain.risk.aggregates import dist
from advisor.domain.risk.flags import RiskAssessment
from advisor.domain.risk.model import SIGN_WORDS

WEEK = 7
PhaseCode = Literal["paused", "settle", "return", "build"]
PHASE_NAMES: dict[str, str] = {"paused": "Paused", "settle": "Settle", "return": "Return", "build": "Build"}


class Phase(BaseModel):
    """The one phase that holds on the report's day."""

    model_config = ConfigDict(frozen=True)

    code: PhaseCode
    reason: str
    """Why the runner is in it, in one sentence."""
    exit: str | None
    """What moves them on (None in Build: there is nothing to leave)."""
    since: date | None
    """The day it began (None in Build when no episode came before it)."""
    review_on: date | None = None
    """The day the phase can end on its own, for the runner to look again (a calendar's re-assessment): in Settle
    the day it ends if no new pain comes, while a red flag is urgent the day its 14 days end (a check with none of
    the signs can then restart running); None when only the runner's log or a clinician can end it, and in Return
    (whose week ends are `ReturnToRun.week_ends`) and Build. The same date `exit` says in words."""

    @property
    def name(self) -> str:
        return PHASE_NAMES[self.code]

    def words(self) -> str:
        """Its reason and what moves the runner on, as the sentences under the phase's name."""
        return self.reason[0].upper() + self.reason[1:] + (f" {self.exit}" if self.exit else "")

    def sentence(self) -> str:
        exit = f" {self.exit}" if self.exit else ""
        return f"{self.name}: {self.reason}{exit}"


class Today(BaseModel):
    """What to do today."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["rest", "cross_train", "run", "done"]
    message: str
    max_run_m: float | None = None


def phase_of(risk: RiskAssessment, c: CapsAt) -> Phase:
    """The phase on `risk.as_of`, given that day's caps (which already decided Paused, Settle and Return)."""
    red = risk.red_flags
    if c.paused:
        if red.status == "awaiting_clearance":
            assert red.not_cleared_on is not None
            if red.reports:
                words = _signs(red.signs)
                reason = f"you reported {words} (last on {red.reports[-1].day:%-d %b}) and are not cleared yet."
            else:
                reason = f"your clinician did not clear you to run on {red.not_cleared_on:%-d %b}."
            return Phase(
                code="paused",
                reason=reason,
                exit="Running advice resumes when a clinician clears you (`advisor pain assessed --cleared`).",
                since=red.flag_day,
            )
        assert red.pause_end is not None
        same_day = red.same_day_signs(risk.as_of)
        if same_day:
            reason = f"you reported {_signs(same_day)} on {red.reports[-1].day:%-d %b}: get seen today (urgent care)."
        else:
            reason = f"you reported {_signs(red.signs)} on {red.reports[-1].day:%-d %b}."
        review_on = None
        if red.needs_clinician:
            exit = (
                "Have the knee assessed: after locking or giving way, only a clinician's assessment restarts running."
            )
        elif red.urgent(risk.as_of):
            review_on = red.pause_end
            exit = (
                f"Have the knee assessed; with no assessment, a graded return can start from {red.pause_end:%-d %b} "
                "(14 days after the report) once you log a check with none of the signs (`--no-red-flags`)."
            )
        else:
            exit = (
                "Have the knee assessed; a graded return starts once a clinician clears you or you log a check with "
                "none of the signs (`advisor pain log --score N --no-red-flags`)."
            )
        return Phase(code="paused", reason=reason, exit=exit, since=red.flag_day, review_on=review_on)
    if c.settle is not None:
        e = c.settle
        quiet = e.latest + timedelta(days=WEEK)
        return Phase(
            code="settle",
            reason=settle_reason(e, risk.thresholds),
            exit=(
                "No running until two mornings in a row at 2/10 or less are logged, or until "
                f"{quiet:%-d %b} if no new pain comes (log your mornings with `advisor pain log --when morning`)."
            ),
            since=e.start,
            review_on=quiet,
        )
    p = c.programme
    if p is not None:
        why = {
            "break": "a break from running (no run in 14 days)",
            "red_flag": "the red-flag pause",
            "clearance": "a clinician's clearance",
            "settle": "the knee settling after a flare",
        }[p.cause]
        return Phase(
            code="return",
            reason=f"a graded restart after {why}, week {p.week + 1}.",
            exit=f"Tolerated weeks move you up a level, back to your usual {dist(p.reference_m, risk.units)}.",
            since=p.start,
        )
    return Phase(
        code="build",
        reason="no flare, pause or restart in progress: build gradually within the caps.",
        exit=None,
        since=None,
    )


def today_of(risk: RiskAssessment, c: CapsAt, phase: Phase) -> Today:
    """Rest, cross-train, or "up to X km easy" today, placed from the runs of the last 7 days and the phase's
    rules (every other day in Return; the day after pain or after the week's longest run)."""
    day = risk.as_of
    s = risk.series
    if phase.code == "paused":
        return Today(
            kind="rest", message="No running today: non-impact work only within 2/10, as your clinician allows."
        )
    if phase.code == "settle":
        return Today(
            kind="cross_train",
            message="No running today: cross-train easy (talking in sentences) within 2/10, or rest.",
        )
    if s.runs[s.index(day)] > 0:
        return Today(kind="done", message="Done for today: you have run.")
    yesterday = day - timedelta(days=1)
    i_y = s.index(yesterday)
    ran_yesterday = i_y >= 0 and s.runs[i_y] > 0
    if risk.pain_days.events_between(yesterday, day):  # pain logged yesterday or this morning
        return Today(kind="cross_train", message="No running today, the day after pain: cross-train easy or rest.")
    if phase.code == "return" and ran_yesterday:
        return Today(kind="rest", message="Rest from running today: in the return, run every other day at most.")
    cap = c.next_run_m
    if cap is None:
        return Today(kind="run", message="An easy, short run today if your knee feels fine.")
    if ran_yesterday:
        longest_7 = max(s.window(s.longest_run_m, day, WEEK), default=0.0)
        if longest_7 > 0 and s.longest_run_m[i_y] >= longest_7:
            half = min(cap, longest_7 / 2)
            return Today(
                kind="run",
                message=f"Up to {dist(half, risk.units)} easy today — half of yesterday's long run, no back-to-back "
                "long runs — or rest.",
                max_run_m=float(int(half)),
            )
    return Today(kind="run", message=f"Up to {dist(cap, risk.units)} easy today, or rest.", max_run_m=cap)


def _signs(signs: list[str]) -> str:
    return spoken_list([SIGN_WORDS[s] for s in signs])


__all__ = ["PHASE_NAMES", "Phase", "PhaseCode", "Today", "phase_of", "today_of"]
