"""What every first screen says about the caps — the terminal's `status`, the web page's `/`, the top of the weekly
mail — worded once, so the three never disagree.

PRODUCT.md: every cap carries its reason in one clause, and a runner reads a cap against dates ("Next 7 days, to
Thu 10 Dec: at most 32.4 km — 10 % below the 36 km week that hurt"). The numbers and reasons are the report's own
(the engine words the reasons in the runner's units); this module only puts them in order and names the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from advisor.domain.advice.advice import Advice
from advisor.domain.advice.report import KneeReport
from advisor.render.units import Units, distance

__all__ = ["CapLine", "cap_lines", "has_caps", "listed_advice", "rest_and_swap", "short_day", "window_end"]

WINDOW_DAYS = 7
SHOWN_AS_CAPS = {"cap_weekly_distance", "cap_next_run", "rest_day", "cross_train", "rehab_routine"}
SHOWN_ABOVE = {"see_clinician", "phase", "today"}
"""Said by the first lines (the referral, the phase and today), not again as bullets."""
SAID_BY_A_FLAG = {"raise_cadence": "low_cadence"}
"""Advice whose whole content the flag line already says (the cadence targets), left out of a short page."""


@dataclass(frozen=True)
class CapLine:
    """One cap as a runner reads it: what it covers, the limit, and the one clause that says why."""

    code: str
    """`cap_weekly_distance` or `cap_next_run`, the advice codes these lines stand for."""
    label: str
    value: str
    reason: str | None
    source: str | None = None
    """The advice item's source (the rule's reference), for a footnote mark."""

    def sentence(self) -> str:
        """`Next 7 days, to Thu 10 Dec: at most 32.4 km — 10 % below the 36 km week that hurt.`"""
        return f"{self.label}: {self.clause()}"

    def clause(self) -> str:
        """What follows the label: `at most 32.4 km — 10 % below the 36 km week that hurt.`"""
        reason = f" — {self.reason.rstrip('.')}" if self.reason and self.value != self.reason else ""
        return f"{self.value}{reason}."


def short_day(day: date) -> str:
    """`Thu 10 Dec`: a weekday a runner plans by, and no year (the window is never more than a week away)."""
    return f"{day:%a} {day.day} {day:%b}"


def window_end(as_of: date) -> date:
    """The last day the weekly cap covers: the 7 days from `as_of`, it included."""
    return as_of + timedelta(days=WINDOW_DAYS - 1)


def has_caps(report: KneeReport) -> bool:
    """Return and Build give caps; Paused and Settle give none (their phase line says why not to run)."""
    return report.phase.code in ("return", "build")


def cap_lines(report: KneeReport, units: Units) -> list[CapLine]:
    """The weekly cap, then the longest-run cap, each with its reason; none outside Return and Build."""
    if not has_caps(report):
        return []
    caps = report.caps
    if caps.weekly_distance_m is not None:
        weekly = f"at most {distance(caps.weekly_distance_m, units, 1)}"
        if report.return_to_run is not None:
            weekly += f" (Return week {report.return_to_run.week + 1})"
        weekly_reason = caps.weekly_reason
    else:
        weekly, weekly_reason = caps.weekly_reason or "no cap", None  # the reason says there is none, and why
    if caps.next_run_m is not None:
        longest, longest_reason = f"at most {distance(caps.next_run_m, units, 1)}", caps.next_run_reason
    else:
        longest, longest_reason = caps.next_run_reason or "no cap", None
    sources = {a.code: a.source for a in report.advice}
    window = f"Next 7 days, to {short_day(window_end(report.as_of))}"
    return [
        CapLine("cap_weekly_distance", window, weekly, weekly_reason, sources.get("cap_weekly_distance")),
        CapLine("cap_next_run", "Longest run", longest, longest_reason, sources.get("cap_next_run")),
    ]


def rest_and_swap(report: KneeReport) -> str | None:
    """`1 rest day · swap 70 min of swimming, pool running or the elliptical`, or None when neither applies."""
    if not has_caps(report):
        return None
    caps = report.caps
    parts = []
    if caps.rest_days is not None:
        parts.append(f"{caps.rest_days} rest day{'s' if caps.rest_days != 1 else ''}")
    if caps.cross_train_min:
        parts.append(f"swap {caps.cross_train_min:.0f} min of swimming, pool running or the elliptical")
    if not parts:
        return None
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


def listed_advice(report: KneeReport, short: bool = True) -> list[Advice]:
    """The advice shown as bullets (terminal, web page and mail): not what leads the page (the referral, the phase,
    today), not what the caps rows say, not the routine, whose progress line closes the page, and on a `short`
    page not what a flag already says."""
    capped = has_caps(report)
    flagged = {f.code for f in report.flags}
    return [
        a
        for a in report.advice
        if a.code not in SHOWN_ABOVE
        and a.code != "rehab_routine"
        and not (capped and a.code in SHOWN_AS_CAPS)
        and not (short and SAID_BY_A_FLAG.get(a.code) in flagged)
    ]
