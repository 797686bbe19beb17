"""Render a `SummaryView` into the weekly mail: subject, plain text, HTML and the chart PNG.

Templates live in `advisor/render/templates/` (Jinja2). The HTML environment autoescapes everything, so an
activity name or a pain note such as `<script>` arrives as text, never markup; the plain-text environment has no
markup to escape, but runner-typed text goes through `oneline`, which folds line breaks and control characters so a
note cannot fake lines of its own in the mail. Templates only format: every number is decided in the view.
"""

from __future__ import annotations

import base64
import re
from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from advisor.domain.advice.summary import CHART_CID, CHART_WEEKS, RenderedSummary, SummaryView
from advisor.domain.risk.aggregates import METRES_PER_MILE
from advisor.render.chart import weekly_chart_png
from advisor.render.first_screen import cap_lines, listed_advice, rest_and_swap, short_day
from advisor.render.units import Units, elevation

__all__ = ["render_html", "render_summary", "render_text", "standalone_html", "subject_line"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
SEVERITY_WORDS = {"high": "Warning", "caution": "Caution", "info": "Note"}
WHEN_WORDS = {"during": "during a run", "after": "after a run", "morning": "next morning"}


def _in_units(value_km: float | None, units: str) -> str:
    """A distance given in km, written in km or miles (one decimal); the unit word is the caller's."""
    if value_km is None:
        return "—"
    return f"{value_km * 1000 / METRES_PER_MILE:.1f}" if units == "mi" else f"{value_km:.1f}"


@pass_context
def _km(context: Context, value: float | None) -> str:
    """The template filter: `{{ x_km | km }} {{ unit }}` in the view's units."""
    return _in_units(value, str(context.get("unit", "km")))


def _metres(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


@pass_context
def _elevation(context: Context, value: float | None) -> str:
    """A climb or descent with its unit: metres with km, feet with miles (`{{ x_m | elevation }}`)."""
    return "—" if value is None else elevation(value, "mi" if context.get("unit") == "mi" else "km")


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def _oneline(value: object) -> str:
    """Runner-typed text on one line: control characters and line breaks become single spaces."""
    return " ".join(_CONTROL.sub(" ", "" if value is None else str(value)).split())


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("advisor.render", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,  # a typo in a template fails the test suite instead of mailing a blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        km=_km, metres=_metres, elevation=_elevation, number=_number, day=_day, short_day=short_day, oneline=_oneline
    )
    env.globals.update(severity_words=SEVERITY_WORDS, when_words=WHEN_WORDS, chart_weeks=CHART_WEEKS)
    return env


@lru_cache(maxsize=2)
def _env(autoescape: bool) -> Environment:
    return _environment(autoescape)


def subject_line(view: SummaryView) -> str:
    """The subject: the week and its distance against its cap, or the red-flag call to action."""
    if view.red_flag is not None:
        return f"Knee summary {view.week}: red flag — see a clinician before running again"
    u = "mi" if view.units == "mi" else "km"
    subject = f"Knee summary {view.week}: {_in_units(view.last_week.distance_km, u)} {u}"
    if view.last_week_cap_km is not None:
        subject += f" of a {_in_units(view.last_week_cap_km, u)} {u} cap"
    if view.report.caps.weekly_distance_km is not None:
        subject += f"; this week up to {_in_units(view.report.caps.weekly_distance_km, u)} {u}"
    return subject


def _context(view: SummaryView) -> dict[str, object]:
    report = view.report
    units: Units = "mi" if view.units == "mi" else "km"
    clinician = next((a for a in report.advice if a.code == "see_clinician"), None)
    lines = cap_lines(report, units)
    advice = listed_advice(report)
    sources: list[str] = []  # only what the mail shows a mark for, in the order the marks appear
    for source in [
        *([clinician.source] if clinician and view.red_flag is None else []),
        *(line.source for line in lines),
        *(f.source for f in report.flags),
        *(a.source for a in advice),
    ]:
        if source and source not in sources:
            sources.append(source)
    return {
        "sources": sources,
        "mark": lambda source: sources.index(source) + 1,
        "v": view,
        "r": report,
        "week": view.last_week,
        "caps": report.caps,
        "advice": advice,
        "clinician": clinician,
        "cap_lines": lines,
        "rest_and_swap": rest_and_swap(report),
        "progress": report.rehab_progress,
        "phase_name": report.phase.name,
        "phase_words": report.phase.words(),
        "rehab_advice": next((a for a in report.advice if a.code == "rehab_routine"), None),
        "routine": report.rehab,
        "subject": subject_line(view),
        "unit": units,
    }


def render_text(view: SummaryView) -> str:
    """The plain-text part (also what a screen reader or a text-only client shows)."""
    return _env(False).get_template("summary.txt.j2").render(_context(view))


def render_html(view: SummaryView, chart_src: str | None = f"cid:{CHART_CID}", png: bytes | None = None) -> str:
    """The HTML part. `chart_src` None embeds `png` as a data: URI (for a browser preview) instead of `cid:`."""
    if chart_src is None:
        if png is None:
            raise ValueError("a standalone preview needs the chart PNG")
        chart_src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return _env(True).get_template("summary.html.j2").render(_context(view), chart_src=chart_src)


def render_summary(view: SummaryView) -> RenderedSummary:
    """Subject, text, HTML (chart by Content-ID) and the chart PNG for the mail."""
    units = "mi" if view.units == "mi" else "km"
    png = weekly_chart_png(view.chart, title=f"Last {len(view.chart)} weeks to {view.week}", units=units)
    return RenderedSummary(
        week=view.week, subject=subject_line(view), text=render_text(view), html=render_html(view), png=png, view=view
    )


def standalone_html(rendered: RenderedSummary) -> str:
    """The HTML with the chart embedded as a data: URI, for a browser (no mail client to resolve `cid:`)."""
    return render_html(rendered.view, chart_src=None, png=rendered.png)
