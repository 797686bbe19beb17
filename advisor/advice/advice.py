"""Turn the risk stage's findings into caps and advice (PRODUCT.md "The advice").

Caps are rounded *down* to whole metres so that a cap derived from the pain threshold never ends up a float crumb
above `threshold_factor` × the threshold. Every advice item has a stable `code`, one plain sentence and the numbers
behind it; the list is ordered so `see_clinician` always comes first, and a red flag pauses all running advice.
"""

from __future__ import annotations

import math
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from advisor.advice.rehab import RehabRoutine
from advisor.risk.aggregates import km, m1
from advisor.risk.flags import RiskAssessment
from advisor.risk.model import Number, Profile, Thresholds
from advisor.risk.pain import PainEvent, is_new_pain
from advisor.risk.spikes import next_run_baseline

WEEK = 7
ADVICE_ORDER = (
    "see_clinician",
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
    """One piece of advice: stable code, a plain sentence, and the numbers it came from."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    numbers: dict[str, Number]


class Caps(BaseModel):
    """Next 7 days' limits. A missing cap is None with the reason in words (never an invented number)."""

    model_config = ConfigDict(frozen=True)

    weekly_distance_m: float | None
    weekly_distance_km: float | None
    weekly_basis: str | None
    """step_up | tolerated_level | pain_threshold | step_back."""
    weekly_reason: str | None
    next_run_m: float | None
    next_run_km: float | None
    next_run_basis: str | None
    """longest_run | single_run_pain_threshold | weekly_cap."""
    next_run_reason: str | None
    rest_days: int | None
    cross_train_min: float | None


def _floor_m(x: float) -> float:
    return float(math.floor(x + 1e-9))


def _recent_events(risk: RiskAssessment) -> list[PainEvent]:
    first = risk.as_of - timedelta(days=WEEK - 1)
    return [e for e in risk.events if first <= e.entry.day <= risk.as_of]


def paused_reason(risk: RiskAssessment) -> str | None:
    for f in risk.flags:
        if f.code == "red_flag":
            return f"Running advice is paused until a clinician has looked at the knee: {f.message}"
    return None


def _weekly_cap(risk: RiskAssessment, t: Thresholds) -> tuple[float | None, str | None, str | None]:
    """(cap metres, basis, reason when None). See module docs of advisor.risk.pain for threshold/tolerated."""
    s = risk.series
    d7 = s.total(s.distance_m, risk.as_of, WEEK)
    chronic_week = s.total(s.distance_m, risk.as_of, 4 * WEEK) / 4
    thr = risk.threshold.distance_7d_m
    tol = risk.threshold.tolerated_7d_m
    limit = t.threshold_factor * thr if thr is not None else None
    cap: float | None
    if _recent_events(risk):
        if tol is not None:
            cap, basis = tol, "tolerated_level"
        elif limit is not None:
            cap, basis = limit, "pain_threshold"
        elif d7 > 0:
            cap, basis = t.threshold_factor * d7, "step_back"
        else:
            return None, None, "Your knee hurt without any running this week, so no running volume can be advised yet."
    else:
        # Step up from the last week, or from the 4-week weekly average after a down week (a recovery week should
        # not drag the cap to a fraction of what the runner has been handling).
        base = max(d7, chronic_week)
        if base <= 0:
            return None, None, "No running in the last 4 weeks to build from: start with short, easy runs."
        cap, basis = base * (1 + t.weekly_step_up_pct / 100), "step_up"
    if limit is not None and cap > limit:
        cap, basis = limit, "pain_threshold"
    return _floor_m(cap), basis, None


def build_caps(risk: RiskAssessment, t: Thresholds) -> Caps:
    """The weekly and next-run caps, rest days and cross-training minutes for the 7 days after as_of."""
    paused = paused_reason(risk)
    if paused:
        return Caps(
            weekly_distance_m=None,
            weekly_distance_km=None,
            weekly_basis=None,
            weekly_reason=paused,
            next_run_m=None,
            next_run_km=None,
            next_run_basis=None,
            next_run_reason=paused,
            rest_days=None,
            cross_train_min=None,
        )
    weekly, w_basis, w_reason = _weekly_cap(risk, t)
    base, _ = next_run_baseline(risk.spikes, risk.as_of, t)
    next_run: float | None = None
    n_basis: str | None = None
    n_reason: str | None = None
    if base is None:
        n_reason = f"No runs in the last {t.session_lookback_days} days to build from: start with a short, easy run."
    else:
        next_run, n_basis = base * t.next_run_factor, "longest_run"
        single = risk.threshold.single_run_m
        if single is not None and next_run > t.threshold_factor * single:
            next_run, n_basis = t.threshold_factor * single, "single_run_pain_threshold"
        if weekly is not None and next_run > weekly:
            next_run, n_basis = weekly, "weekly_cap"
        next_run = _floor_m(next_run)
    strong = [e for e in _recent_events(risk) if e.entry.score >= t.rest_days_pain_score]
    rest = t.rest_days_after_pain if strong else t.rest_days
    minutes, _, _ = _cross_train(risk, weekly, t)
    return Caps(
        weekly_distance_m=weekly,
        weekly_distance_km=km(weekly) if weekly is not None else None,
        weekly_basis=w_basis,
        weekly_reason=w_reason,
        next_run_m=next_run,
        next_run_km=km(next_run) if next_run is not None else None,
        next_run_basis=n_basis,
        next_run_reason=n_reason,
        rest_days=rest,
        cross_train_min=minutes,
    )


def _cross_train(risk: RiskAssessment, weekly: float | None, t: Thresholds) -> tuple[float | None, float, float]:
    """(minutes, distance cut m, pace s/km): the time the cut distance takes at the last 4 weeks' running pace."""
    s = risk.series
    d7 = s.total(s.distance_m, risk.as_of, WEEK)
    if weekly is None or d7 <= weekly:
        return None, 0.0, t.default_pace_s_per_km
    dist = s.total(s.distance_m, risk.as_of, 4 * WEEK)
    moving = s.total(s.run_moving_s, risk.as_of, 4 * WEEK)
    pace = moving / dist * 1000 if dist > 0 and moving > 0 else t.default_pace_s_per_km
    cut = d7 - weekly
    return float(round(cut / 1000 * pace / 60)), cut, pace


def build_advice(
    risk: RiskAssessment, caps: Caps, profile: Profile, routine: RehabRoutine, t: Thresholds
) -> list[Advice]:
    """Advice items in ADVICE_ORDER; only `see_clinician` while a red flag pauses running advice."""
    out: list[Advice] = []
    clinician = _see_clinician(risk, t)
    if clinician is not None:
        out.append(clinician)
    if paused_reason(risk):
        return out
    s = risk.series
    d7 = s.total(s.distance_m, risk.as_of, WEEK)
    th = risk.threshold
    out.append(_weekly_advice(caps, d7, th.distance_7d_m, th.tolerated_7d_m, th.reason, t))
    if caps.next_run_m is not None:
        if caps.next_run_basis == "single_run_pain_threshold":
            why = f"below the {th.single_run_km:g} km run that has hurt before"
        elif caps.next_run_basis == "weekly_cap":
            why = "no more than the whole week's cap"
        else:
            why = f"{t.next_run_factor:.2f} × your longest recent run (over-long runs don't count)"
        msg = f"Make your longest run in the next 7 days no more than {caps.next_run_km:g} km — {why}."
    else:
        msg = caps.next_run_reason or ""
    out.append(
        Advice(
            code="cap_next_run",
            message=msg,
            numbers={"cap_m": caps.next_run_m, "cap_km": caps.next_run_km, "basis": caps.next_run_basis},
        )
    )
    strong = caps.rest_days == t.rest_days_after_pain and t.rest_days_after_pain != t.rest_days
    out.append(
        Advice(
            code="rest_day",
            message=(
                f"Take {caps.rest_days} full rest day{'s' if caps.rest_days != 1 else ''} from running this week"
                + (f" — your knee hurt at {t.rest_days_pain_score}/10 or more." if strong else ".")
            ),
            numbers={"rest_days": caps.rest_days},
        )
    )
    minutes, cut, pace = _cross_train(risk, caps.weekly_distance_m, t)
    if minutes is not None:
        out.append(
            Advice(
                code="cross_train",
                message=(
                    f"Replace the {km(cut):g} km you're cutting with about {minutes:.0f} minutes of {CROSS_TRAINING} "
                    "— cycling is not automatically knee-safe, so keep it easy with a light gear and stop if it hurts."
                ),
                numbers={
                    "minutes": minutes,
                    "distance_cut_m": m1(cut),
                    "distance_cut_km": km(cut),
                    "pace_s_per_km": round(pace, 1),
                },
            )
        )
    hill_flags = [f.code for f in risk.flags if f.code in ("downhill_spike", "steep_downhill", "stairs_spike")]
    worst = max(s.window(s.worst_pain, risk.as_of, WEEK), default=-1)
    if hill_flags or worst > t.pain_acceptable:
        out.append(
            Advice(
                code="avoid_downhill_stairs",
                message=(
                    "Choose flat routes, walk the steep descents and take the lift instead of stairs where you can."
                ),
                numbers={"worst_pain_7d": worst if worst >= 0 else None, "flags": ",".join(hill_flags) or None},
            )
        )
    cadence = next((f for f in risk.flags if f.code == "low_cadence"), None)
    if cadence is not None:
        ev = cadence.evidence
        out.append(
            Advice(
                code="raise_cadence",
                message=(
                    "Take quicker, shorter steps: "
                    f"aim for {ev['target_low_spm']:.0f}-{ev['target_high_spm']:.0f} steps per minute "
                    f"instead of {ev['avg_cadence_spm']:.0f} "
                    f"(+{t.cadence_raise_low_pct:g}-{t.cadence_raise_high_pct:g} %), "
                    "e.g. with a metronome app on easy runs."
                ),
                numbers={
                    "current_spm": ev["avg_cadence_spm"],
                    "target_low_spm": ev["target_low_spm"],
                    "target_high_spm": ev["target_high_spm"],
                },
            )
        )
    out.append(_rehab_advice(routine))
    if profile.flat_feet:
        msg = (
            "Keep running in your orthotics or arch-support shoes — flat feet let the knee roll inward."
            if profile.orthotics
            else "With flat feet, try running shoes with arch support or ask a physio about orthotics, so the knee "
            "doesn't roll inward."
        )
        out.append(Advice(code="footwear", message=msg, numbers={"flat_feet": True, "orthotics": profile.orthotics}))
    return sorted(out, key=lambda a: ADVICE_ORDER.index(a.code))


def _see_clinician(risk: RiskAssessment, t: Thresholds) -> Advice | None:
    reasons: list[str] = []
    if risk.has("red_flag"):
        reasons.append("red_flag")
    if risk.has("pain_not_improving"):
        reasons.append("pain_not_improving")
    if is_new_pain(risk.events, risk.as_of, t):
        reasons.append("new_pain")
    if not reasons:
        return None
    if reasons[0] == "red_flag":
        msg = (
            "See a physiotherapist or doctor now, before running again — swelling, locking, giving way or pain at "
            "rest need a proper assessment."
        )
    elif reasons[0] == "pain_not_improving":
        msg = (
            f"Book a physiotherapist or doctor: your knee pain hasn't improved in {t.not_improving_weeks} weeks "
            "of easing off."
        )
    else:
        msg = "This knee pain is new: have it checked once by a physiotherapist or doctor before you build up again."
    return Advice(
        code="see_clinician",
        message=msg,
        numbers={"reasons": ",".join(reasons), "urgent": reasons[0] == "red_flag"},
    )


def _weekly_advice(
    caps: Caps, d7: float, thr: float | None, tol: float | None, no_threshold: str | None, t: Thresholds
) -> Advice:
    numbers: dict[str, Number] = {
        "cap_m": caps.weekly_distance_m,
        "cap_km": caps.weekly_distance_km,
        "basis": caps.weekly_basis,
        "last_7_days_m": m1(d7),
        "last_7_days_km": km(d7),
        "pain_threshold_7d_m": thr,
        "tolerated_7d_m": tol,
    }
    if caps.weekly_distance_m is None:
        return Advice(code="cap_weekly_distance", message=caps.weekly_reason or "", numbers=numbers)
    cap = f"{caps.weekly_distance_km:g} km"
    if caps.weekly_basis == "pain_threshold":
        assert thr is not None
        pct = f"{t.threshold_factor * 100:g} %"
        msg = f"Keep the next 7 days to {cap} at most — {pct} of the {km(thr):g} km a week at which your knee has hurt."
    elif caps.weekly_basis == "tolerated_level":
        msg = f"Step back to {cap} over the next 7 days — the most you've run in a week recently without pain."
    elif caps.weekly_basis == "step_back":
        msg = f"Cut back to {cap} over the next 7 days, {t.threshold_factor * 100:g} % of the week that hurt."
    else:
        msg = f"Keep the next 7 days to {cap} at most, a step up of no more than {t.weekly_step_up_pct:g} %."
        if no_threshold:
            msg += " " + no_threshold
    return Advice(code="cap_weekly_distance", message=msg, numbers=numbers)


def _rehab_advice(routine: RehabRoutine) -> Advice:
    st = routine.strength
    names = ", ".join(m.name.lower() for m in st.moves)
    if routine.emphasis is not None:
        msg = (
            f"Do the strength moves {st.days_per_week} days this week, {st.sets} × {st.reps}, hip moves and the "
            "straight leg raise first and never skipped, plus the stretches and foam rolling daily."
        )
    else:
        msg = (
            f"Do the strength moves ({names}) {st.sets} × {st.reps} on {st.days_per_week} days this week, plus "
            "the stretches and foam rolling daily."
        )
    return Advice(
        code="rehab_routine",
        message=msg,
        numbers={
            "sets": st.sets,
            "reps": st.reps,
            "days_per_week": st.days_per_week,
            "emphasis": "hip_and_quad_strength" if routine.emphasis is not None else None,
        },
    )
