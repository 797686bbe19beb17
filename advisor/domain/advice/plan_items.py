"""What a day of the plan holds (advisor.domain.advice.plan): the item itself, and the items beside the running —
the rehab routine's sessions and the dates the report gives for looking again.

Kept apart from the running rules so each module reads as one thing; pure, a function of the report alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from advisor.domain.advice.items import spoken_list
from advisor.domain.advice.report import KneeReport
from advisor.domain.risk.aggregates import Units, dist

PlanKind = Literal["run", "rest", "cross_train", "done", "strength", "mobility", "review", "referral"]
RUNNING_KINDS = ("run", "rest", "cross_train", "done")


class PlanItem(BaseModel):
    """One thing planned on a day: a short title (a calendar's summary) and the one-line reason behind it."""

    model_config = ConfigDict(frozen=True)

    kind: PlanKind
    summary: str
    reason: str
    max_run_m: float | None = None
    """A run's ceiling in metres (None for anything else, or a run the report gives no number for)."""

    @property
    def slot(self) -> str:
        """What the item is, for an identity that stays the same on its day: the day's running (a run, a rest or a
        cross-training day are one slot, so a run that becomes a rest day after a new run is the same thing
        changed), the strength session, the mobility, the re-assessment, the referral."""
        return "run" if self.kind in RUNNING_KINDS else self.kind


def rehab_items(report: KneeReport, days: Sequence[date]) -> list[list[PlanItem]]:
    """The strength sessions left this ISO week (3 a week, every other day, the next week's from its Monday) and
    the daily mobility; while Paused, the clinician's exercises on those days and no more."""
    progress, routine = report.rehab_progress, report.rehab
    step = routine.steps[progress.step - 1]
    logged = f"{progress.strength_sessions_this_week} of {progress.strength_target} logged this week"
    code = report.phase.code
    if code == "paused":
        strength = PlanItem(
            kind="strength",
            summary="Rehab: your clinician's exercises",
            reason="While paused: follow your clinician's exercises. Without them, only step 1's hip moves "
            "(clamshell, donkey kick, fire hydrant) and the wall sit, within 2/10 — no loaded knee work and no "
            "step-downs until a clearance.",
        )
    else:
        summary = f"Strength: step {step.number}"
        reason = f"Rehab step {step.number} ({step.name.lower()}): strength {step.sets} × {step.reps}, within 2/10"
        if code == "settle" and step.number == len(routine.steps):
            summary += ", wall sit for squats"
            reason += "; while the knee settles, step 1's wall sit instead of the squats and step-downs"
        if routine.emphasis is not None:
            reason += "; hip moves and the straight leg raise first, never skipped"
        strength = PlanItem(kind="strength", summary=summary, reason=f"{reason} ({logged}).")
    out: list[list[PlanItem]] = [[] for _ in days]
    left = max(0, progress.strength_target - progress.strength_sessions_this_week)
    this_week = [k for k, d in enumerate(days) if d.isocalendar()[:2] == days[0].isocalendar()[:2]]
    room = len(this_week)
    sessions = min(left, (room + 1) // 2)
    start = 0 if 2 * sessions - 1 >= room else 1  # today only when the week needs it
    planned = [this_week[start + 2 * i] for i in range(sessions)]
    next_week = [k for k in range(len(days)) if k not in this_week]
    if next_week:
        begin = next_week[0] + (1 if next_week[0] - 1 in planned else 0)
        planned += list(range(begin, len(days), 2))[: progress.strength_target]
    for k in planned:
        out[k].append(strength)
    if code != "paused":
        stretches = spoken_list([i.name.split(" (")[0].lower() for i in routine.stretches.items])
        mobility = PlanItem(
            kind="mobility",
            summary="Mobility: stretches and foam rolling",
            reason=f"Every day: {stretches}, and foam rolling ({progress.mobility_days_this_week} of "
            f"{progress.mobility_target} days logged this week).",
        )
        for items in out:
            items.append(mobility)
    return out


def review_items(report: KneeReport, days: Sequence[date], units: Units) -> list[list[PlanItem]]:
    """The day the phase can end on its own (Settle's quiet week, a red flag's 14 days), a Return week's last day,
    and today an open referral."""
    out: list[list[PlanItem]] = [[] for _ in days]
    phase, r = report.phase, report.return_to_run
    index = {d: k for k, d in enumerate(days)}
    if phase.review_on in index:
        if phase.code == "settle":
            reason = (
                "Settle ends today if no new pain has come since the flare: log your morning score. A graded "
                "return follows; before its first run, check no swelling, full bend and straighten, and 10 "
                "single-leg squats at 2/10 or less."
            )
        else:
            reason = (
                "The red flag's 14 urgent days end: if the signs are gone, log a check with none of them (the pain "
                'form\'s "None of these", or `advisor pain log --score N --no-red-flags`) to start a graded return; '
                "have the knee assessed either way."
            )
        out[index[phase.review_on]].append(PlanItem(kind="review", summary="Re-assessment", reason=reason))
    if phase.code == "return" and r is not None and r.week_ends in index:
        out[index[r.week_ends]].append(
            PlanItem(
                kind="review",
                summary=f"Return week {r.week + 1} ends",
                reason=f"The last day of Return week {r.week + 1}: {dist(r.to_move_up_m, units)} or more on 2 days or "
                "more, with a score after your runs, moves you up a level.",
            )
        )
    clinician = next((a for a in report.advice if a.code == "see_clinician"), None)
    if clinician is not None:
        urgent = bool(clinician.numbers.get("urgent"))
        out[0].append(
            PlanItem(
                kind="referral",
                summary="See a clinician now" if urgent else "Get the knee assessed",
                reason=clinician.message,
            )
        )
    return out


__all__ = ["RUNNING_KINDS", "PlanItem", "PlanKind", "rehab_items", "review_items"]
