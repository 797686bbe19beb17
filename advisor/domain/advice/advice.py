"""Turn the risk stage's findings and the caps into advice a runner can follow (PRODUCT.md "The advice").

Every item has a stable `code`, one plain sentence, the numbers behind it and its `source` (`items`).
`see_clinician` (`clinician`) always comes first, then the phase and today; while running advice is paused those are
the only items. The list is built so it never contradicts itself:
one sentence per code, no weekly cap that the next-run cap and rest days make unreachable, and the rest days of a
return to running are the days between its runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from advisor.domain.advice.caps import CapsAt
from advisor.domain.advice.clinician import followed_advice, see_clinician
from advisor.domain.advice.items import ADVICE_ORDER, CROSS_TRAINING, WEEK, Advice, advice
from advisor.domain.advice.phases import Phase, PhaseCode, Today
from advisor.domain.advice.rehab import RehabProgress, RehabRoutine
from advisor.domain.advice.returning import COMPLETED_SHARE
from advisor.domain.risk.aggregates import dist, km, m1
from advisor.domain.risk.flags import RiskAssessment
from advisor.domain.risk.model import Number, Profile, RehabSession
from advisor.domain.risk.thresholds import Thresholds

SWAP_STEP_MIN = 5
SWAP_MIN_MIN = 10

__all__ = ["ADVICE_ORDER", "Advice", "Caps", "ReturnToRun", "build_advice", "build_caps", "return_to_run"]


class Caps(BaseModel):
    """Next 7 days' limits. A missing cap is None with the reason in words (never an invented number)."""

    model_config = ConfigDict(frozen=True)

    weekly_distance_m: float | None
    weekly_distance_km: float | None
    weekly_basis: str | None
    """step_up | hold | spike_limit | step_back | pain_threshold | reachable | return_to_run."""
    weekly_reason: str | None
    next_run_m: float | None
    next_run_km: float | None
    next_run_basis: str | None
    """longest_run | single_run_pain_threshold | weekly_cap | return_to_run."""
    next_run_reason: str | None
    rest_days: int | None
    cross_train_min: float | None
    weekly_base_m: float | None = None
    """Build: the base the weekly cap steps up from or holds at (the last 7 days, kept between half and 1.3 × the
    usual week); None in the other phases."""


class ReturnToRun(BaseModel):
    """A graded restart in progress (numbers in metres, plus km)."""

    model_config = ConfigDict(frozen=True)

    cause: str
    """break | red_flag | clearance | settle."""
    start: date
    week: int
    """0-based Return week in progress (0 until the first run; weeks count from it)."""
    level_pct: float
    """The level of the week in progress: 50, 60, 70, 80 or 90 % of the reference (30 % upward after a long one)."""
    reference_m: float
    reference_km: float
    cap_m: float
    cap_km: float
    next_run_m: float
    week_ends: date | None
    """Last day of the Return week in progress (None before the first run)."""
    left_m: float
    """Distance left in the Return week in progress."""
    to_move_up_m: float
    """Two thirds of the week's cap: run at least this, on 2 days or more, to complete the week."""


def build_caps(risk: RiskAssessment, c: CapsAt) -> Caps:
    minutes, _, _ = cross_train(risk, c.weekly_m)
    return Caps(
        weekly_distance_m=c.weekly_m,
        weekly_distance_km=km(c.weekly_m) if c.weekly_m is not None else None,
        weekly_basis=c.weekly_basis,
        weekly_reason=c.weekly_reason,
        next_run_m=c.next_run_m,
        next_run_km=km(c.next_run_m) if c.next_run_m is not None else None,
        next_run_basis=c.next_run_basis,
        next_run_reason=c.next_run_reason,
        rest_days=c.rest_days,
        cross_train_min=minutes,
        weekly_base_m=m1(c.base_m) if c.base_m is not None else None,
    )


def return_to_run(c: CapsAt) -> ReturnToRun | None:
    p = c.programme
    if p is None or c.weekly_m is None or c.next_run_m is None:
        return None
    left = max(0.0, c.weekly_m - p.ran_this_week_m)
    return ReturnToRun(
        cause=p.cause,
        start=p.start,
        week=p.week,
        level_pct=p.level_pct,
        reference_m=m1(p.reference_m),
        reference_km=km(p.reference_m),
        cap_m=c.weekly_m,
        cap_km=km(c.weekly_m),
        next_run_m=c.next_run_m,
        week_ends=p.week_end,
        left_m=m1(left),
        to_move_up_m=m1(c.weekly_m * COMPLETED_SHARE),
    )


def cross_train(risk: RiskAssessment, weekly: float | None) -> tuple[float | None, float, float]:
    """(minutes, distance cut m, pace s/km), PRODUCT.md `cross_train`: only when the weekly cap is below the last 7
    days, the difference swapped for the time it takes at the runner's usual pace (the last 4 weeks'), rounded to
    5 minutes, from 10 minutes (a 1-2 minute swap is noise)."""
    s, t = risk.series, risk.thresholds
    recent = risk.last_7_days(risk.as_of)
    if weekly is None or recent <= weekly:
        return None, 0.0, t.default_pace_s_per_km
    dist = s.total(s.distance_m, risk.as_of, 4 * WEEK)
    moving = s.total(s.run_moving_s, risk.as_of, 4 * WEEK)
    pace = moving / dist * 1000 if dist > 0 and moving > 0 else t.default_pace_s_per_km
    cut = recent - weekly
    minutes = float(round(cut / 1000 * pace / 60 / SWAP_STEP_MIN) * SWAP_STEP_MIN)
    return (minutes if minutes >= SWAP_MIN_MIN else None), cut, pace


# --- everything else -----------------------------------------------------------------------------------------------


def build_advice(
    risk: RiskAssessment,
    c: CapsAt,
    caps: Caps,
    profile: Profile,
    routine: RehabRoutine,
    progress: RehabProgress,
    rehab: Sequence[RehabSession],
    phase: Phase,
    today: Today,
) -> list[Advice]:
    """Advice items in ADVICE_ORDER: the referral, the phase and today first; while running advice is paused only
    those, and in Settle what replaces running."""
    t = risk.thresholds
    out: list[Advice] = []
    clinician = see_clinician(risk, followed_advice(risk, rehab))
    if clinician is not None:
        out.append(clinician)
    numbers: dict[str, Number] = {"phase": phase.code, "since": phase.since.isoformat() if phase.since else None}
    out.append(advice("phase", phase.sentence(), numbers))
    out.append(advice("today", today.message, {"kind": today.kind, "max_run_m": today.max_run_m}))
    if c.paused:
        return [*out, _rehab_advice(routine, progress, False, t, "paused")]
    not_referred = risk.not_improving is not None and not (
        clinician and "pain_not_improving" in clinician.numbers["reasons"]  # type: ignore[operator]
    )
    if c.settle is not None:
        out += _settle_advice(risk, routine, progress, profile, not_referred)
        return sorted(out, key=lambda a: ADVICE_ORDER.index(a.code))
    s = risk.series
    d7 = risk.last_7_days(risk.as_of)
    th = risk.threshold
    rtr = return_to_run(c)
    if rtr is not None:
        out.append(_return_advice(rtr, risk, c))
    else:
        out.append(_weekly_advice(caps, d7, risk, t))
        out.append(_next_run_advice(caps, risk, t))
    if caps.rest_days is not None:
        if rtr is not None:
            msg = f"Run every other day at most: rest the days between runs ({caps.rest_days} this week)."
        else:
            msg = f"Take {caps.rest_days} full rest day{'s' if caps.rest_days != 1 else ''} from running this week."
        out.append(advice("rest_day", msg, {"rest_days": caps.rest_days}))
    minutes, cut, pace = cross_train(risk, caps.weekly_distance_m)
    if minutes is not None:
        out.append(
            advice(
                "cross_train",
                f"Replace the {dist(cut, risk.units)} you're cutting with about {minutes:.0f} minutes of "
                f"{CROSS_TRAINING} — cycling is not automatically knee-safe, so keep it easy with a light gear and "
                "stop if it hurts.",
                {
                    "minutes": minutes,
                    "distance_cut_m": m1(cut),
                    "distance_cut_km": km(cut),
                    "pace_s_per_km": round(pace, 1),
                },
            )
        )
    hill_flags = [f.code for f in risk.flags if f.code in ("downhill_spike", "steep_downhill", "stairs_spike")]
    worst = max(s.window(s.worst_pain, risk.as_of, WEEK), default=-1)
    descent = s.total(s.descent_m, risk.as_of, WEEK)
    over_descent = th.descent_7d_m is not None and descent > 0 and descent >= th.descent_7d_m
    if hill_flags or worst > t.pain_acceptable or over_descent:
        out.append(
            advice(
                "avoid_downhill_stairs",
                "Choose flat routes, walk the steep descents and take the lift instead of stairs where you can.",
                {
                    "worst_pain_7d": worst if worst >= 0 else None,
                    "flags": ",".join(hill_flags) or None,
                    "descent_7d_m": m1(descent),
                    "descent_pain_threshold_m": th.descent_7d_m,
                },
            )
        )
    cadence = next((f for f in risk.flags if f.code == "low_cadence"), None)
    if cadence is not None:
        ev = cadence.evidence
        out.append(
            advice(
                "raise_cadence",
                "Take quicker, shorter steps: "
                f"aim for {ev['target_low_spm']:.0f}-{ev['target_high_spm']:.0f} steps per minute instead of "
                f"{ev['avg_cadence_spm']:.0f} (+{t.cadence_raise_low_pct:g}-{t.cadence_raise_high_pct:g} %), "
                "e.g. with a metronome app on easy runs.",
                {
                    "current_spm": ev["avg_cadence_spm"],
                    "target_low_spm": ev["target_low_spm"],
                    "target_high_spm": ev["target_high_spm"],
                },
            )
        )
    out.append(_rehab_advice(routine, progress, not_referred, t))
    if profile.flat_feet:
        out.append(_footwear(profile))
    return sorted(out, key=lambda a: ADVICE_ORDER.index(a.code))


def _settle_advice(
    risk: RiskAssessment, routine: RehabRoutine, progress: RehabProgress, profile: Profile, change_first: bool
) -> list[Advice]:
    """Settle: cross-training in place of running, daily life that spares the knee, and the routine."""
    s = risk.series
    usual_s = s.total(s.run_moving_s, risk.as_of - timedelta(days=WEEK), 4 * WEEK) / 4  # the usual week's time
    minutes = float(max(0, round(usual_s / 60 / 5) * 5))
    time = f"up to about {minutes:.0f} minutes over the week (your usual running time)" if minutes else "easy"
    items = [
        advice(
            "cross_train",
            f"Cross-train instead of running, {time}: {CROSS_TRAINING}, easy enough to talk in sentences, within "
            "2/10 pain, and not in the activity that hurt.",
            {"minutes": minutes or None, "distance_cut_m": None, "distance_cut_km": None, "pace_s_per_km": None},
        ),
        advice(
            "avoid_downhill_stairs",
            "In daily life: take stairs with the rail (or the lift), no deep squats or kneeling, and break up long "
            "sitting.",
            {"phase": "settle"},
        ),
        _rehab_advice(routine, progress, change_first, risk.thresholds, "settle"),
    ]
    if profile.flat_feet:
        items.append(_footwear(profile))
    return items


def _footwear(profile: Profile) -> Advice:
    message = (
        "Keep running in your orthotics or arch-support shoes — flat feet let the knee roll inward."
        if profile.orthotics
        else "With flat feet, try running shoes with arch support or ask a physio about orthotics, so the knee "
        "doesn't roll inward."
    )
    return advice("footwear", message, {"flat_feet": True, "orthotics": profile.orthotics})


def _return_advice(r: ReturnToRun, risk: RiskAssessment, c: CapsAt) -> Advice:
    u, t = risk.units, risk.thresholds
    why = {
        "break": "after a break",
        "red_flag": "after the red-flag pause",
        "clearance": "now that a clinician has cleared you",
        "settle": "now that the knee has settled",
    }[r.cause]
    level = f"{r.level_pct:g} % of your usual {dist(r.reference_m, u)}"
    if r.week_ends is not None:
        left = f"{dist(r.left_m, u)} left to {r.week_ends:%a %-d %b}"
    else:
        left = "the week starts with your first run"
    sentences = [
        f"Restart gradually {why}: {level} ({left}), every other day, flat, run-walk is fine, no speed or hills.",
        f"To move up: {dist(r.to_move_up_m, u)} or more on 2+ days, and a score after your runs.",
    ]
    p = c.programme
    if r.week == 0 and r.week_ends is None and r.cause != "break":
        sentences.append(
            "Before the first run, check: no swelling, the knee bends and straightens fully, 30 minutes of brisk "
            "walking and 10 single-leg squats or step-downs at 2/10 or less. Week 1 can be time instead: 6-8 × "
            "3 min run / 1 min walk."
        )
    numbers: dict[str, Number] = {
        "week": r.week,
        "level_pct": r.level_pct,
        "cap_m": r.cap_m,
        "cap_km": r.cap_km,
        "next_run_m": r.next_run_m,
        "reference_m": r.reference_m,
        "reference_km": r.reference_km,
        "left_m": r.left_m,
        "week_ends": r.week_ends.isoformat() if r.week_ends else None,
        "cause": r.cause,
        "no_pain_before": p.no_pain_before if p is not None else None,
        "step_pct": t.return_step_pct,
    }
    return advice("return_to_run", " ".join(sentences), numbers)


def _weekly_advice(caps: Caps, d7: float, risk: RiskAssessment, t: Thresholds) -> Advice:
    th = risk.threshold
    numbers: dict[str, Number] = {
        "cap_m": caps.weekly_distance_m,
        "cap_km": caps.weekly_distance_km,
        "basis": caps.weekly_basis,
        "last_7_days_m": m1(d7),
        "last_7_days_km": km(d7),
        "usual_week_m": m1(usual) if (usual := risk.usual_week(risk.as_of)) is not None else None,
        "pain_threshold_7d_m": th.distance_7d_m,
        "tolerated_7d_m": th.tolerated_7d_m,
    }
    if caps.weekly_distance_m is None:
        return advice("cap_weekly_distance", caps.weekly_reason or "", numbers)
    u = risk.units
    msg = f"Next 7 days: at most {dist(caps.weekly_distance_m, u)} — {caps.weekly_reason}."
    if caps.weekly_basis == "step_up" and th.reason and th.distance_7d_m is None:
        msg += " " + th.reason
    return advice("cap_weekly_distance", msg, numbers)


def _next_run_advice(caps: Caps, risk: RiskAssessment, t: Thresholds) -> Advice:
    if caps.next_run_m is None:
        msg = caps.next_run_reason or ""
    else:
        msg = f"Longest run: at most {dist(caps.next_run_m, risk.units)} — {caps.next_run_reason}."
    return advice(
        "cap_next_run", msg, {"cap_m": caps.next_run_m, "cap_km": caps.next_run_km, "basis": caps.next_run_basis}
    )


def _rehab_advice(
    routine: RehabRoutine, progress: RehabProgress, change_first: bool, t: Thresholds, phase: PhaseCode = "build"
) -> Advice:
    """The week's routine at its step — in Paused only the clinician's exercises, or step 1's hip moves and the
    wall sit; in Settle no loaded knee work (PRODUCT.md "The rehab log and progression")."""
    step = routine.steps[progress.step - 1]
    logged = (
        f"({progress.strength_sessions_this_week} of {progress.strength_target} strength sessions logged this week, "
        f"mobility {progress.mobility_days_this_week} of {progress.mobility_target} days)"
    )
    variant: str | None = None
    if phase == "paused":
        variant = "clinician_or_hip_only"
        msg = (
            "Follow your clinician's exercises. Without them, only step 1's hip moves (clamshell, donkey kick, fire "
            "hydrant) and the wall sit, within 2/10 — no loaded knee work and no step-downs until a clearance "
            f"{logged}."
        )
    else:
        msg = (
            f"Rehab step {step.number} ({step.name.lower()}): strength {step.sets} × {step.reps} on "
            f"{progress.strength_target} days this week ({progress.strength_sessions_this_week} logged so far), "
            f"stretches and foam rolling daily ({progress.mobility_days_this_week} of {progress.mobility_target} "
            "days)."
        )
        if phase == "settle" and step.number == len(routine.steps):
            variant = "wall_sit_for_loaded_knee_work"
            msg += " While the knee settles, do step 1's wall sit instead of the squats and step-downs."
    if routine.emphasis is not None:
        msg += " Hip moves and the straight leg raise first, never skipped."
    if change_first:
        msg += (
            f" Your pain hasn't improved in {t.not_improving_weeks} weeks: first do the strength routine at least "
            f"{t.not_improving_strength_sessions} times a week and keep within the caps; if it still hurts, see a "
            "physiotherapist."
        )
    return advice(
        "rehab_routine",
        msg,
        {
            "step": step.number,
            "sets": step.sets,
            "reps": step.reps,
            "band": step.band,
            "strength_sessions_this_week": progress.strength_sessions_this_week,
            "strength_target": progress.strength_target,
            "mobility_days_this_week": progress.mobility_days_this_week,
            "mobility_target": progress.mobility_target,
            "emphasis": "hip_and_quad_strength" if routine.emphasis is not None else None,
            "variant": variant,
        },
    )
