"""The weekly summary's content: what goes into it, from the same report as `advisor status` (sending is
`advisor.services.outbox`).

The numbers come from the knee engine (`assess_athlete` on the store's one read path), never recomputed here: the
week's figures are the report's own week aggregate, the cap that applied to a week is the cap the report gave the
Sunday before it, and this week's flags, caps and advice are the report's as of the day the mail is built — so a
swelling logged late on Sunday is in Monday's mail, and a mail built late is not stale. Rendering is the
entrypoint's: `build_summary` takes the renderer, so this module imports none.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from advisor.domain.advice.report import KneeReport
from advisor.domain.advice.summary import (
    CHART_WEEKS,
    ActivityLine,
    PainLine,
    Render,
    RenderedSummary,
    SummaryView,
    WeekPoint,
)
from advisor.domain.risk.aggregates import iso_week
from advisor.domain.risk.model import SIGN_WORDS
from advisor.services.context import AthleteContext
from advisor.services.current import report_for
from advisor.services.knee import assess_athlete
from advisor.services.week_ends import WeekEnd, week_ends
from advisor.store.history import HistorySpan, read_history_span

__all__ = [
    "SummaryError",
    "SummaryNotConfigured",
    "build_summary",
    "parse_week",
    "summary_view",
    "week_just_ended",
]

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class SummaryError(Exception):
    """The summary cannot be made as asked; the message is one sentence for the runner."""


class SummaryNotConfigured(SummaryError):
    """Mail settings are missing, so nothing can be queued or sent."""


# --------------------------------------------------------------------------------------------------------------
# Weeks


def parse_week(text: str) -> date:
    """The Monday of ISO week 'YYYY-Www' (e.g. '2026-W09'); a malformed or impossible week is a SummaryError."""
    match = _WEEK_RE.match(text.strip())
    if match is None:
        raise SummaryError(f"--week expects an ISO week such as 2026-W09, got {text!r}")
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise SummaryError(f"{text} is not a week of that year (ISO years have 52 or 53 weeks)") from None


def week_just_ended(today: date) -> str:
    """The ISO week of the most recent Sunday on or before `today`: the week a summary sent today is about.

    On Monday to Saturday that is last week; on a Sunday it is the week ending that day, so a runner who picks a
    Sunday-evening summary hears about this week, not the one before it.
    """
    return iso_week(today - timedelta(days=(today.weekday() + 1) % 7))


# --------------------------------------------------------------------------------------------------------------
# What goes into the summary


def _chart(
    rt: AthleteContext,
    monday: date,
    as_of: date,
    today: date | None = None,
    assessed: dict[date, KneeReport] | None = None,
) -> tuple[list[WeekEnd], list[WeekPoint], HistorySpan]:
    """The 12 chart weeks ending with the week of `monday` (cut at `as_of`): what the engine said at the end of
    each (and on the Sunday before the first), their bars, and the history read for them (from that Sunday to
    `today`, default `as_of`).

    Week k's cap is the cap the engine gave on the Sunday before it, its threshold what the engine knew at its end.
    The history is read once and each of the 13 days is cut from it exactly as a read for that day alone would be
    (`HistorySpan.at`); the days whose inputs have not changed since a chart last asked are not assessed again
    (advisor.services.week_ends).
    """
    first_monday = monday - timedelta(weeks=CHART_WEEKS - 1)
    before_day = first_monday - timedelta(days=1)
    span = read_history_span(rt.db, rt.athlete_id, rt.settings.tz, before_day, max(as_of, today or as_of))
    days = [before_day, *(min(first_monday + timedelta(weeks=k, days=6), as_of) for k in range(CHART_WEEKS))]
    found = week_ends(rt, span, days, assessed)
    ends = [found[day] for day in days[1:]]
    scores: dict[str, list[int]] = {}
    for p in span.pain:
        if first_monday <= p.day <= as_of:
            scores.setdefault(iso_week(p.day), []).append(p.score)
    chart = [
        WeekPoint(
            label=f"W{end.week_start.isocalendar().week:02d}",
            distance_km=end.distance_km,
            cap_km=before.weekly_cap_km,
            threshold_km=end.threshold_km,
            pain_scores=scores.get(end.week, []),
        )
        for end, before in zip(ends, [found[before_day], *ends[:-1]], strict=True)
    ]
    return ends, chart, span


def chart_weeks(rt: AthleteContext, today: date) -> list[WeekPoint]:
    """The 12 weeks up to and including this one (cut at `today`), as the weekly email's chart draws them;
    the web page shows the same chart for the week in progress."""
    monday = today - timedelta(days=today.weekday())
    return _chart(rt, monday, today)[1]


def summary_view(rt: AthleteContext, week: str | None = None, today: date | None = None) -> SummaryView:
    """Gather the summary of `week` ('YYYY-Www'; default the week just ended) from the store and the knee engine."""
    settings = rt.settings
    today = today or settings.today()
    week = week or week_just_ended(today)
    monday = parse_week(week)
    if monday > today:
        raise SummaryError(f"week {week} has not started yet (today is {today.isoformat()})")
    sunday = monday + timedelta(days=6)
    as_of = min(sunday, today)

    assessed: dict[date, KneeReport] = {}
    ends, chart, span = _chart(rt, monday, as_of, today, assessed)
    # The week's whole report (its aggregate, not only the chart's numbers): the chart's if it assessed that day.
    finished = assessed.get(as_of) or assess_athlete(settings, as_of, span.at(as_of))
    main = finished
    if today > as_of:  # this week's advice: today's report, the stored one when today is the runner's today
        main = report_for(rt.db, rt.athlete_id, settings, today, settings.today(), span.at(today))
    pain_rows = [p for p in span.pain if monday <= p.day <= as_of]

    # The week's activities are the span's own counted runs (any sport) of those local days: read once, above.
    week_runs = sorted(
        (r for r in span.runs if monday <= r.local_day <= as_of), key=lambda r: (r.start_utc, r.activity_id)
    )
    activities = [
        ActivityLine(
            day=r.local_day,
            sport=r.sport.replace("_", " "),
            name=r.name,
            distance_km=round(r.distance_m / 1000, 2),
            descent_m=round(r.descent_m),
            steep_downhill_km=round(r.distance_steep10_m / 1000, 2),
            cadence_spm=None if r.avg_cadence_spm is None else round(r.avg_cadence_spm),
        )
        for r in week_runs
    ]
    pain = [
        PainLine(
            day=p.day,
            when=p.when,
            score=p.score,
            note=p.note,
            signs=tuple(words for sign, words in SIGN_WORDS.items() if getattr(p, sign)),
        )
        for p in pain_rows
    ]
    return SummaryView(
        week=week,
        start=monday,
        end=sunday,
        report=main,
        last_week=finished.weeks[-1],
        last_week_cap_km=ends[-2].weekly_cap_km,
        last_week_next_run_cap_km=ends[-2].next_run_cap_km,
        activities=activities,
        pain=pain,
        chart=chart,
        red_flag=next((f for f in main.flags if f.code == "red_flag"), None),
        profile_name=settings.profile.name,
        units=settings.profile.units,
        generated_on=today,
    )


def build_summary(
    rt: AthleteContext, render: Render, week: str | None = None, today: date | None = None
) -> RenderedSummary:
    """The summary of `week` (default: the week just ended), rendered by the entrypoint's `render`."""
    return render(summary_view(rt, week, today))
