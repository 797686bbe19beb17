"""The next 7 days' caps, as of any day: the phase decides which rules give them (PRODUCT.md "The advice").

`caps_at(risk, day)` is a pure function of what was known at the end of `day`, so the same code gives this week's
caps and the cap that was issued on an earlier Monday (which `pain_not_improving` checks the runner kept to). In
order: Paused (no caps), Settle (no running: `settle`), Return (`returning`: levels of the reference week, runs
every other day), else Build (`build`: the lowest of the weekly cap's rules). Caps are floored to whole metres so a
cap derived from 0.9 × the threshold never ends a float crumb above it.
"""

from __future__ import annotations

from datetime import date

from advisor.domain.advice.build import CapsAt, build_caps
from advisor.domain.advice.items import spoken_list
from advisor.domain.advice.returning import RUNS_A_WEEK, programme_at, run_cap
from advisor.domain.advice.rounding import floor_m
from advisor.domain.advice.settle import settle_on, settle_reason
from advisor.domain.risk.flags import RiskAssessment
from advisor.domain.risk.model import SIGN_WORDS

WEEK = 7


def _paused(reason: str) -> CapsAt:
    return CapsAt(True, None, None, reason, None, None, reason, None, None)


def caps_at(risk: RiskAssessment, day: date) -> CapsAt:
    """Weekly and next-run caps and rest days for the 7 days after `day`, from what was known at its end."""
    t = risk.thresholds
    red = risk.red_flags_at(day)
    if red.paused(day):
        if red.status == "awaiting_clearance":
            return _paused(
                "Running advice is paused until your clinician clears you to run (`advisor pain assessed --cleared`)."
            )
        words = spoken_list([SIGN_WORDS[s] for s in red.signs])
        if red.urgent(day) or red.needs_clinician:
            return _paused(f"Running advice is paused until a clinician has looked at the knee: you reported {words}.")
        return _paused(
            "Running advice is paused until a clinician has looked at the knee, or you log a check with none of the "
            f"signs: you reported {words}."
        )
    episode = settle_on(risk, day)
    if episode is not None:
        reason = f"No running while the knee settles: {settle_reason(episode, t)}"
        return CapsAt(False, None, "settle", reason, None, "settle", None, None, None, settle=episode)
    threshold = risk.threshold_at(day)
    limit = t.threshold_factor * threshold.distance_7d_m if threshold.distance_7d_m is not None else None
    programme = programme_at(risk, day, lambda earlier: caps_at(risk, earlier).weekly_m)
    if programme is not None:
        level = programme.cap_m if limit is None else min(programme.cap_m, limit)
        runs = run_cap(risk, day, level)
        # the week's cap is its level, never more than 4 runs of the run cap (every other day): always reachable
        cap = floor_m(min(level, RUNS_A_WEEK * runs))
        rest = WEEK - RUNS_A_WEEK
        return CapsAt(False, cap, "return_to_run", None, runs, "return_to_run", None, rest, programme)
    return build_caps(risk, day)
