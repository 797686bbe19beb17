"""The advice items every report is made of: a stable `code`, one plain sentence, the numbers, and the `source`;
and the order they are shown in. Shared by the advice (`advice.py`) and the referral (`clinician.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from advisor.domain.risk.model import Number
from advisor.domain.risk.sources import ADVICE_SOURCES

WEEK = 7
ADVICE_ORDER = (
    "see_clinician",
    "phase",
    "today",
    "return_to_run",
    "cap_weekly_distance",
    "cap_next_run",
    "rest_day",
    "cross_train",
    "avoid_downhill_stairs",
    "raise_cadence",
    "rehab_routine",
    "footwear",
)
"""Every advice code, in the order they are shown."""
CROSS_TRAINING = "swimming, deep-water running, the elliptical, or easy high-cadence cycling"


class Advice(BaseModel):
    """One piece of advice: stable code, a plain sentence, the numbers it came from, and where the rule comes from."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    numbers: dict[str, Number]
    source: str


def spoken_list(words: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c": a list as a sentence says it."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def advice(code: str, message: str, numbers: dict[str, Number]) -> Advice:
    return Advice(code=code, message=message, numbers=numbers, source=ADVICE_SOURCES[code])
