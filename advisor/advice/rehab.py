"""The rehab routine, loaded from `rehab.toml` beside this module (data, not code: wording changes need no code).

Loaded once with tomllib through importlib.resources, so it works from a wheel or a zip as well as a checkout, and
validated into frozen models so a typo in the TOML fails loudly at the first `assess` rather than rendering blanks.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict

from advisor.risk.model import Sex


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
    emphasis: Emphasis | None = None


class _RehabFile(_Frozen):
    title: str
    summary: str
    strength: StrengthBlock
    stretches: StretchBlock
    foam_rolling: FoamRollingBlock
    emphasis: dict[str, Emphasis] = {}


@lru_cache(maxsize=1)
def _load() -> _RehabFile:
    raw = files("advisor.advice").joinpath("rehab.toml").read_bytes()
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
        emphasis=data.emphasis.get(sex),
    )
