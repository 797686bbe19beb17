"""`see_clinician` (PRODUCT.md "Referral"): every open reason to be assessed, with its dates, under one item that
leads the report — red flags and the clinician's word, pain that is not improving or keeps coming back, pain
without running, new pain, and a flare that is not settling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from advisor.domain.advice.caps import caps_at
from advisor.domain.advice.items import WEEK, Advice, advice, spoken_list
from advisor.domain.advice.settle import settle_on
from advisor.domain.risk.flags import RiskAssessment
from advisor.domain.risk.model import SAME_DAY_SIGNS, SIGN_WORDS, RehabSession
from advisor.domain.risk.referral import new_pain

AFTER_CLEARANCE_WEEKS = 6
"""PRODUCT.md "Referral": in the 6 weeks after a clearance, pain that is not improving is "tell your clinician"."""


def what_to_do_now(signs: Sequence[str]) -> str:
    """The answer the moment a red flag or a same-day sign is logged, from the CLI or the web page (PRODUCT.md
    "Referral"): the runner should not have to run `advisor status` to learn to stop."""
    same_day = [SIGN_WORDS[s] for s in signs if s in SAME_DAY_SIGNS]
    if same_day:
        return (
            f"Get seen today (urgent care): {spoken_list(same_day)} needs a doctor now. No running until you have "
            "been seen."
        )
    return (
        "That is a red flag: stop running and have the knee assessed by a physiotherapist or doctor; until then, "
        "only non-impact work that stays within 2/10."
    )


def followed_advice(risk: RiskAssessment, rehab: Sequence[RehabSession]) -> bool:
    """Each week of the not-improving pattern stayed within the cap issued on its Monday and had enough strength
    sessions logged. A week that was paused had a cap of zero."""
    pattern = risk.not_improving
    if pattern is None:
        return False
    t = risk.thresholds
    for monday in pattern.weeks:
        issued = caps_at(risk, monday - timedelta(days=1))
        cap = 0.0 if issued.paused else issued.weekly_m
        end = min(monday + timedelta(days=WEEK - 1), risk.as_of)
        ran = risk.series.total(risk.series.distance_m, end, (end - monday).days + 1)
        strength = sum(1 for r in rehab if monday <= r.day <= end and r.strength)
        if cap is None or ran > cap + 0.5 or strength < t.not_improving_strength_sessions:
            return False
    return True


def see_clinician(risk: RiskAssessment, followed: bool) -> Advice | None:
    t = risk.thresholds
    red = risk.red_flags
    reasons: list[str] = []
    messages: list[str] = []
    urgent = False
    same_day = red.same_day_signs(risk.as_of)
    if same_day:
        messages.append(
            f"Get seen today (urgent care): {spoken_list([SIGN_WORDS[s] for s in same_day])} "
            f"({_day_list([p.day for p in red.reports if p.same_day_signs])}) needs a doctor now, not a running plan."
        )
    if red.status == "open":
        reasons.append("red_flag")
        urgent = red.urgent(risk.as_of)
        if urgent and not same_day:
            messages.append(
                "See a physiotherapist or doctor now, before running again — swelling, locking, giving way or pain "
                "at rest need a proper assessment."
            )
        elif not urgent:
            messages.append(
                "Get the knee assessed by a physiotherapist or doctor: the red flag you reported has not been "
                "looked at yet. Log it with `advisor pain assessed` when it has."
                + (
                    ""
                    if red.checked_on is not None or red.needs_clinician
                    else " When the signs are gone, log a check with none of them "
                    "(`advisor pain log --score N --no-red-flags`) to start a graded return."
                )
            )
    elif red.status == "awaiting_clearance":
        reasons.append("awaiting_clearance")
        again = red.reported_since_not_cleared
        if again:
            urgent = red.urgent(risk.as_of)
            words = spoken_list(sorted({SIGN_WORDS[s] for p in again for s in p.red_flags}))
            days = _day_list([p.day for p in again])
            messages.append(
                f"Tell your clinician about the {words} since they saw you ({days})"
                + (" — see them now, before running again." if urgent else ".")
            )
        messages.append(
            f"Running stays paused: your clinician did not clear you on {red.not_cleared_on:%-d %b}; follow their "
            "plan, and running advice resumes once they clear you (`advisor pain assessed --cleared`)."
        )
    pattern = risk.not_improving
    cleared = max((a.day for a in risk.assessments if a.cleared and a.day <= risk.as_of), default=None)
    if pattern is not None and cleared is not None and pattern.weeks[-1] + timedelta(days=WEEK - 1) < cleared:
        pattern = None  # every week of it is dated before the clearance, which answered it
    after_clearance = cleared is not None and risk.as_of - cleared < timedelta(weeks=AFTER_CLEARANCE_WEEKS)
    if pattern is not None and (followed or pattern.event_weeks_recent >= t.refer_event_weeks):
        reasons.append("pain_not_improving")
        if after_clearance:
            assert cleared is not None
            messages.append(
                f"Tell your clinician it has not improved since they cleared you on {cleared:%-d %b}: your knee has "
                f"hurt in {pattern.event_weeks_recent} of the last {t.refer_window_weeks} weeks."
            )
        elif followed:
            messages.append(
                "You did the work — kept to the caps and did the strength routine — and the pain hasn't improved "
                f"in {len(pattern.weeks)} weeks: get it assessed by a physiotherapist or doctor."
            )
        else:
            messages.append(
                f"Your knee has hurt in {pattern.event_weeks_recent} of the last {t.refer_window_weeks} weeks: have it "
                "assessed by a physiotherapist or doctor."
            )
    without = _pain_without_running(risk)
    if without is not None:
        reasons.append("pain_without_running")
        messages.append(
            f"Your knee hurts when you have not been running ({without}): the running load does not explain it — "
            "have it assessed by a physiotherapist or doctor."
        )
    episode = settle_on(risk, risk.as_of)
    if episode is not None and (risk.as_of - episode.start).days >= 2 * WEEK:
        reasons.append("not_settling")
        messages.append(
            f"The knee has not settled since {episode.start:%-d %b} ({(risk.as_of - episode.start).days} days): "
            "have it assessed by a physiotherapist or doctor."
        )
    if new_pain(risk.events, risk.assessments, risk.as_of, t) == "refer":
        reasons.append("new_pain")
        messages.append(
            "This knee pain is new: have it checked once by a physiotherapist or doctor before you build a "
            "programme on it."
        )
    if not reasons:
        return None
    return advice(
        "see_clinician",
        " ".join(messages),
        {"reasons": ",".join(reasons), "urgent": urgent or bool(same_day), "same_day": bool(same_day)},
    )


def _pain_without_running(risk: RiskAssessment) -> str | None:
    """PRODUCT.md "Referral", pain without running: pain events on 3 or more days in 14 whose judged day had no
    run, or in 3 or more of the last 6 ISO weeks that held no run. The words say which, or None."""
    s, day = risk.series, risk.as_of

    def no_run(d: date) -> bool:
        i = s.index(d)
        return i >= 0 and s.runs[i] == 0

    recent = {
        e.entry.day for e in risk.events if day - timedelta(days=13) <= e.entry.day <= day and no_run(e.judged_day)
    }
    if len(recent) >= 3:
        return f"on {len(recent)} days of the last 14 that followed no run"
    this_monday = day - timedelta(days=day.weekday())
    weeks = 0
    for k in range(6):
        monday = this_monday - timedelta(days=WEEK * k)
        end = min(monday + timedelta(days=WEEK - 1), day)
        if s.index(monday) < 0:
            break
        ran = sum(s.window(s.runs, end, (end - monday).days + 1))
        if not ran and any(monday <= e.entry.day <= end for e in risk.events):
            weeks += 1
    return f"in {weeks} of the last 6 weeks, with no run in them" if weeks >= 3 else None


def _day_list(days: Sequence[date]) -> str:
    """ "11 Mar and 20 Mar" — the dates of reports, for a runner to read out to a clinician."""
    return spoken_list([f"{d:%-d %b}" for d in sorted(set(days))])
