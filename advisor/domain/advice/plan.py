"""The next 7 days as a plan a calendar can hold (issue 22): which days to run and how far at most, which to rest
or cross-train, when to do the rehab routine, and the day the phase can next change — each with its reason.

Why a plan and not only caps: a cap is a number for a week ("at most 35.2 km, at most 8.8 km a run, one rest
day"), but a runner lives by days. Placed on days, the report's own rules are what a physio would write on the
fridge: in Build the runs spread out so no two long runs come back to back, the rest days after them, and never more
in the 7 days than the weekly cap (a ceiling, not a target); in Return a run every other day, the Return week's
distance shared between its runs; in Settle and Paused no running at all.

Pure: a function of one `KneeReport` (nothing else is read, no clock): day 0 is `report.as_of` and its running is
exactly `report.today`; the rules and words are the report's (its caps, `return_to_run`, rehab progress, phase).
Distances are metres inside; the sentences are in the runner's units, each planned run floored to a tenth of a
km or a mile so that what is printed never adds up above a cap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from itertools import combinations, pairwise

from pydantic import BaseModel, ConfigDict

from advisor.domain.advice.plan_items import PlanItem, rehab_items, review_items
from advisor.domain.advice.report import KneeReport
from advisor.domain.risk.aggregates import METRES_PER_MILE, Units, dist

PLAN_DAYS = 7
ONE_DAY = timedelta(days=1)
MIN_RUN_M = 1000.0
"""A run the plan would leave shorter than this is not planned: what is left of a Return week is rested instead."""
PAUSED_WORK = "Non-impact work only within 2/10, as your clinician allows"
READINESS = PlanItem(
    kind="review",
    summary="Readiness check before running",
    reason="Before the first run back: no swelling, the knee bends and straightens fully, 30 minutes of brisk walking "
    "and 10 single-leg squats or step-downs at 2/10 or less. Week 1 can be time instead: 6-8 × 3 min run / 1 min walk.",
)


class PlanDay(BaseModel):
    """One local day of the plan: its running first, then the rehab, then a re-assessment or referral."""

    model_config = ConfigDict(frozen=True)

    day: date
    items: tuple[PlanItem, ...]

    @property
    def running(self) -> PlanItem:
        return self.items[0]


def week_plan(report: KneeReport, units: Units = "km") -> list[PlanDay]:
    """The 7 local days from `report.as_of` (it included), planned from the report's phase, caps and rehab."""
    days = [report.as_of + k * ONE_DAY for k in range(PLAN_DAYS)]
    code = report.phase.code
    if code == "paused":
        running = _paused(report, units)
    elif code == "settle":
        running = _settle(report, units)
    elif code == "return" and report.return_to_run is not None:
        running = _return(report, units)
    else:
        running = _build(report, units)
    rehab = rehab_items(report, days)
    reviews = review_items(report, days, units)
    r = report.return_to_run
    first_run = next((k for k, item in enumerate(running) if item.kind == "run"), None)
    if r is not None and r.week == 0 and r.week_ends is None and r.cause != "break" and first_run is not None:
        reviews[first_run].append(READINESS)  # the first run after Settle or a pause: the check comes first
    return [PlanDay(day=d, items=(running[k], *rehab[k], *reviews[k])) for k, d in enumerate(days)]


# --- the day's running -----------------------------------------------------------------------------------------


def _today(report: KneeReport, units: Units) -> PlanItem:
    """Day 0 is what the report says to do today, word for word."""
    t = report.today
    summary = {
        "rest": "No running" if report.phase.code == "paused" else "Rest day",
        "cross_train": "Cross-train easy",
        "done": "Done: you ran today",
        "run": f"Run up to {dist(t.max_run_m, units)} easy"
        if t.max_run_m
        else "Easy short run, if the knee feels fine",
    }[t.kind]
    return PlanItem(kind=t.kind, summary=summary, reason=t.message, max_run_m=t.max_run_m)


def _paused(report: KneeReport, units: Units) -> list[PlanItem]:
    later = PlanItem(
        kind="rest", summary="No running", reason=f"Running is paused: {report.phase.reason} {PAUSED_WORK}."
    )
    return [_today(report, units), *[later] * (PLAN_DAYS - 1)]


def _settle(report: KneeReport, units: Units) -> list[PlanItem]:
    review = report.phase.review_on
    out = [_today(report, units)]
    for k in range(1, PLAN_DAYS):
        day = report.as_of + k * ONE_DAY
        if review is not None and day >= review:
            reason = (
                f"Settle can end on {review:%a %-d %b} if no new pain comes; until this plan shows your return to "
                "running, no running: cross-train easy (talking in sentences) within 2/10."
            )
        else:
            reason = (
                f"Settle: {report.phase.reason} No running: cross-train easy (talking in sentences) within 2/10, not "
                "in the activity that hurt, or rest."
            )
        out.append(PlanItem(kind="cross_train", summary="Cross-train easy", reason=reason))
    return out


def _return(report: KneeReport, units: Units) -> list[PlanItem]:
    """Runs every other day at most, each within the Return run cap; the Return week's distance left shared between
    its runs (the weeks after it at the same level: moving up raises them, and the plan follows the report)."""
    r = report.return_to_run
    assert r is not None
    first = _today(report, units)
    runs: dict[int, float] = {}
    start = {"run": 0, "done": 2}.get(first.kind, 1)
    positions = list(range(start, PLAN_DAYS, 2))
    if first.kind == "run":
        positions = positions[1:]
    first_run = 0 if first.kind in ("run", "done") else (positions[0] if positions else None)
    week_end = r.week_ends if r.week_ends is not None else _day(report, first_run, PLAN_DAYS - 1)
    blocks: list[tuple[float, list[int]]] = []  # (distance to share, its run days)
    spent = min(first.max_run_m or 0.0, r.left_m) if first.kind == "run" else 0.0
    this_week = [k for k in positions if week_end is None or _day(report, k) <= week_end]
    blocks.append((max(0.0, r.left_m - spent), this_week))
    if week_end is not None:
        later = [k for k in positions if _day(report, k) > week_end]
        blocks.append((r.cap_m, later))
    for budget, days in blocks:
        runs.update(_shared(budget, days, r.next_run_m, units))
    week = f"Return week {r.week + 1}"
    rest = PlanItem(
        kind="rest", summary="Rest day", reason="Rest from running: in the return, run every other day at most."
    )
    out = [first]
    for k in range(1, PLAN_DAYS):
        if k in runs:
            later_week = week_end is not None and _day(report, k) > week_end
            reason = (
                f"{week}: every other day, flat, run-walk is fine, no speed or hills; at most "
                f"{dist(r.next_run_m, units)} a run, {dist(r.left_m, units)} left in the week."
            )
            if later_week:
                reason = (
                    f"Return week {r.week + 2}, if the level holds (a week your knee tolerates moves you up): every "
                    f"other day, at most {dist(r.next_run_m, units)} a run and {dist(r.cap_m, units)} in the week."
                )
            out.append(
                PlanItem(kind="run", summary=f"Run up to {dist(runs[k], units)} easy", reason=reason, max_run_m=runs[k])
            )
        elif k in positions:
            out.append(
                PlanItem(
                    kind="rest",
                    summary="Rest day",
                    reason="This Return week's distance is planned on the other days: rest or cross-train easy.",
                )
            )
        else:
            out.append(rest)
    return out


def _build(report: KneeReport, units: Units) -> list[PlanItem]:
    """The weekly cap shared out in runs of at most the next-run cap, as few as reach it, spread so no two come
    back to back when they can be kept apart (and the day after a long run at most half of it when they cannot),
    with the rest days placed after runs."""
    caps = report.caps
    first = _today(report, units)
    cap, weekly = caps.next_run_m, caps.weekly_distance_m
    rest_days = max(1, caps.rest_days or 1)
    ran_today = first.kind in ("run", "done")
    rests_left = max(0, rest_days - (0 if ran_today else 1))
    slots = PLAN_DAYS - 1 - rests_left
    budget = None
    if weekly is not None:
        budget = max(0.0, weekly - ((first.max_run_m or cap or 0.0) if first.kind == "run" else 0.0))
    if cap is None or budget is None:
        n = min(slots, 3)  # no number to share out: every other day
    else:
        # as few runs as reach the weekly cap, today's counted: a 4-run week stays 4 runs, not 6 smaller ones
        assert weekly is not None
        n = min(slots, math.ceil(weekly / cap - 1e-9) - int(ran_today)) if budget >= MIN_RUN_M else 0
    positions = _spread(n, ran_today)
    runs: dict[int, tuple[float | None, bool]] = {}
    left = budget
    before = first.max_run_m if first.kind == "run" else (cap if ran_today else None)
    for i, k in enumerate(positions):
        limit = cap
        if limit is not None and left is not None:
            limit = min(limit, left / (len(positions) - i))
        halved = False
        previous = before if k == 1 else (runs[k - 1][0] if k - 1 in runs else None)
        long_before = previous is not None and cap is not None and previous > cap / 2
        if limit is not None and previous is not None and long_before and previous / 2 < limit:
            limit, halved = previous / 2, True
        if limit is not None:
            limit = _floor_tenth(limit, units)
            if left is not None:
                left -= limit
        runs[k] = (limit, halved)
    week = (
        f"at most {dist(weekly, units)} in these 7 days — a ceiling, not a target ({caps.weekly_reason})"
        if weekly is not None
        else _lower((caps.weekly_reason or "no weekly cap yet").rstrip("."))
    )
    out = [first]
    rest_at = _rest_days(positions, ran_today, rests_left)
    for k in range(1, PLAN_DAYS):
        if k in runs:
            limit, halved = runs[k]
            if limit is None:
                out.append(
                    PlanItem(
                        kind="run",
                        summary="Easy short run, if the knee feels fine",
                        reason=f"An easy, short run if your knee feels fine; {week}.",
                    )
                )
                continue
            why = (
                "the day after a run, at most half of it: no back-to-back long runs"
                if halved
                else f"longest run at most {dist(cap or limit, units)} ({caps.next_run_reason})"
            )
            out.append(
                PlanItem(
                    kind="run",
                    summary=f"Run up to {dist(limit, units)} easy",
                    reason=f"Up to {dist(limit, units)} easy: {why}; {week}.",
                    max_run_m=limit,
                )
            )
        elif k in rest_at:
            out.append(
                PlanItem(
                    kind="rest",
                    summary="Rest day",
                    reason=f"A full rest day from running ({rest_days} this week), after the run before it.",
                )
            )
        else:
            swap = (
                f" Swap about {caps.cross_train_min:.0f} minutes over the week for the distance you are cutting."
                if caps.cross_train_min
                else ""
            )
            out.append(
                PlanItem(
                    kind="cross_train",
                    summary="Cross-train easy or rest",
                    reason="No run planned: the runs are spread so no two long runs come back to back. "
                    f"Cross-train easy (swimming, the elliptical, easy cycling) or rest.{swap}",
                )
            )
    return out


def _spread(n: int, ran_today: bool) -> list[int]:
    """`n` run days among days 1-6: fewest back-to-back pairs (today's run counted), then the evenest spacing
    around the week, then the earliest."""
    if n <= 0:
        return []
    best: tuple[tuple[int, int, tuple[int, ...]], list[int]] | None = None
    for chosen in combinations(range(1, PLAN_DAYS), min(n, PLAN_DAYS - 1)):
        days = [0, *chosen] if ran_today else list(chosen)
        adjacent = sum(1 for a, b in pairwise(days) if b - a == 1)
        gaps = [b - a for a, b in zip(days, [*days[1:], days[0] + PLAN_DAYS], strict=True)]
        key = (adjacent, -min(gaps), chosen)
        if best is None or key < best[0]:
            best = (key, list(chosen))
    assert best is not None
    return best[1]


def _rest_days(runs: Sequence[int], ran_today: bool, count: int) -> set[int]:
    """The `count` rest days among the days without a run: first those right after a run (a rest after the long
    run), then the earliest."""
    ran = {0, *runs} if ran_today else set(runs)
    free = [k for k in range(1, PLAN_DAYS) if k not in ran]
    ordered = sorted(free, key=lambda k: (k - 1 not in ran, k))
    return set(ordered[:count])


def _shared(budget: float, days: Sequence[int], cap: float, units: Units) -> dict[int, float]:
    """`budget` shared evenly between as many of `days` as get a run of at least MIN_RUN_M, each ≤ `cap`."""
    count = len(days)
    while count and budget / count < MIN_RUN_M:
        count -= 1
    out: dict[int, float] = {}
    left = budget
    for i, k in enumerate(days[:count]):
        share = _floor_tenth(min(cap, left / (count - i)), units)
        out[k] = share
        left -= share
    return out


def _floor_tenth(metres: float, units: Units) -> float:
    """Down to a tenth of the runner's unit (100 m, or 0.1 mi), so the printed distance is never above the cap."""
    step = 100.0 if units == "km" else METRES_PER_MILE / 10
    return round(math.floor(metres / step + 1e-9) * step, 3)


def _lower(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def _day(report: KneeReport, k: int | None, plus: int = 0) -> date | None:
    return None if k is None else report.as_of + (k + plus) * ONE_DAY


__all__ = ["PLAN_DAYS", "PlanDay", "PlanItem", "week_plan"]
