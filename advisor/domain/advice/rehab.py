"""The rehab routine, loaded from `rehab.toml` beside this module (data, not code: wording changes need no code).

Loaded once with tomllib through importlib.resources, so it works from a wheel or a zip as well as a checkout, and
validated into frozen models so a typo in the TOML fails loudly at the first `assess` rather than rendering blanks.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict

from advisor.domain.risk.model import RehabSession, Sex
from advisor.domain.risk.pain import PainEvent
from advisor.domain.risk.thresholds import Thresholds


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RehabItem(_Frozen):
    """One move, stretch or foam-rolling area, with how to do it and why it helps the knee."""

    id: str
    name: str
    steps: tuple[str, ...]
    why: str
    targets: str | None = None
    hold_s: tuple[int, ...] | None = None
    """For holds: seconds at the top (straight leg raise: 3-4 s)."""


class StrengthBlock(_Frozen):
    sets: int
    reps: int
    days_per_week: int
    equipment: str
    why: str
    moves: tuple[RehabItem, ...]


class StretchBlock(_Frozen):
    frequency: str
    hold_s: int
    repeats: int
    why: str
    items: tuple[RehabItem, ...]


class FoamRollingBlock(_Frozen):
    frequency: str
    why: str
    areas: tuple[RehabItem, ...]


class ProgressionStep(_Frozen):
    """One step of the routine's progression, with the moves it adds."""

    number: int
    name: str
    sets: int
    reps: int
    band: bool
    summary: str
    why: str
    moves: tuple[RehabItem, ...]


class Emphasis(_Frozen):
    moves: tuple[str, ...]
    text: str


class RehabRoutine(_Frozen):
    """The week's routine. `emphasis` is set for a profile the routine shifts for (female: hip and quad strength);
    it changes which moves are highlighted and the wording, never the thresholds."""

    title: str
    summary: str
    strength: StrengthBlock
    stretches: StretchBlock
    foam_rolling: FoamRollingBlock
    steps: tuple[ProgressionStep, ...]
    emphasis: Emphasis | None = None


class _RehabFile(_Frozen):
    title: str
    summary: str
    strength: StrengthBlock
    stretches: StretchBlock
    foam_rolling: FoamRollingBlock
    steps: tuple[ProgressionStep, ...]
    emphasis: dict[str, Emphasis] = {}


@lru_cache(maxsize=1)
def _load() -> _RehabFile:
    raw = files("advisor.domain.advice").joinpath("rehab.toml").read_bytes()
    return _RehabFile.model_validate(tomllib.loads(raw.decode("utf-8")))


def rehab_routine(sex: Sex = "unspecified") -> RehabRoutine:
    """The routine for this runner; women get the hip-and-quad emphasis (PRODUCT.md "The advice")."""
    data = _load()
    return RehabRoutine(
        title=data.title,
        summary=data.summary,
        strength=data.strength,
        stretches=data.stretches,
        foam_rolling=data.foam_rolling,
        steps=data.steps,
        emphasis=data.emphasis.get(sex),
    )


class RehabProgress(_Frozen):
    """This ISO week's rehab sessions against the targets, and the progression step the log has earned."""

    step: int
    step_name: str
    strength_sessions_this_week: int
    mobility_days_this_week: int
    strength_target: int
    mobility_target: int
    qualifying_weeks_in_a_row: int
    last_change: str | None
    """Why the step last changed, in words (None when it never has)."""


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def rehab_progress(
    sessions: Sequence[RehabSession],
    events: Sequence[PainEvent],
    as_of: date,
    t: Thresholds,
    red_flag_reports: Sequence[date] = (),
    clearances: Sequence[date] = (),
) -> RehabProgress:
    """Replay the log week by week (ISO weeks) from the first session: two consecutive qualifying weeks (≥ target
    strength sessions, no pain event) earn the next step; a pain event ≥ rest_days_pain_score or rehab pain above
    rehab_pain_limit drops one step (in the week it happens, also the current one). A red-flag report drops the
    progression to step 1, and the clearance after it resumes one step below where it stood."""
    done = [r for r in sessions if r.day <= as_of]
    steps = _load().steps
    step, streak, change = 1, 0, None
    stood: int | None = None  # the step before a red flag dropped it, until a clearance
    this = _monday(as_of)
    if done:
        # The sessions and the pain events of each ISO week (in their given order), sorted out once rather than
        # scanned again for every week of the log.
        sessions_in: dict[date, list[RehabSession]] = {}
        for r in done:
            sessions_in.setdefault(_monday(r.day), []).append(r)
        events_in: dict[date, list[PainEvent]] = {}
        for e in events:
            if e.entry.day <= as_of:
                events_in.setdefault(_monday(e.entry.day), []).append(e)
        week = _monday(min(r.day for r in done))
        while week <= this:
            end = week + timedelta(days=6)
            last = min(end, as_of)
            marks = sorted(
                [(d, 0) for d in red_flag_reports if week <= d <= last]
                + [(d, 1) for d in clearances if week <= d <= last]
            )
            for d, kind in marks:
                if kind == 0 and stood is None:
                    stood, step, streak = step, 1, 0
                    change = f"down to step 1 after the red flag reported {d.isoformat()}"
                elif kind == 1 and stood is not None:
                    step, stood = max(step, stood - 1, 1), None
                    change = f"step {step} after the clearance on {d.isoformat()}, one below where it stood"
            if marks:
                week += timedelta(days=7)
                continue
            in_week = sessions_in.get(week, [])
            pain = events_in.get(week, [])
            drop = [e for e in pain if e.entry.score >= t.rest_days_pain_score]
            sore = [r for r in in_week if r.pain is not None and r.pain > t.rehab_pain_limit]
            if drop or sore:
                if step > 1:
                    step -= 1
                    change = f"down to step {step} in the week of {week.isoformat()}: " + (
                        f"pain {drop[0].entry.score}/10" if drop else f"{sore[0].pain}/10 during the routine"
                    )
                streak = 0
            elif end <= as_of:
                strength = sum(1 for r in in_week if r.strength)
                if strength >= t.rehab_strength_target and not pain:
                    streak += 1
                    if streak == 2 and step < len(steps):
                        step += 1
                        streak = 0
                        change = f"up to step {step} after two qualifying weeks ending {end.isoformat()}"
                else:
                    streak = 0
            week += timedelta(days=7)
    current = [r for r in done if r.day >= this]
    return RehabProgress(
        step=step,
        step_name=steps[step - 1].name,
        strength_sessions_this_week=sum(1 for r in current if r.strength),
        mobility_days_this_week=len({r.day for r in current if r.mobility}),
        strength_target=t.rehab_strength_target,
        mobility_target=t.rehab_mobility_target,
        qualifying_weeks_in_a_row=streak,
        last_change=change,
    )
