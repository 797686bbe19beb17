"""The clinician's visit report drawn: one printable A4 page (HTML), and the same page as a PDF through WeasyPrint.

The template (`templates/visit_report.html.j2`) autoescapes everything, so a note the runner typed is text, never
markup; its style sheet (`templates/visit_report.css`) is inlined, and the chart (advisor.render.chart, the weekly
mail's) is embedded as a data: URI, so the HTML file stands alone and the PDF needs nothing from outside: WeasyPrint
is handed a fetcher that allows `data:` URLs only. Distances are in the runner's units (metres or feet for descents).

The engine's sentences are written for the runner and some name a command (`advisor pain assessed --cleared`); the
clinician reads none of them (`for_clinician`), so the page is the same from the terminal and from the web page.
WeasyPrint is imported only to make a PDF: it takes most of a second to load.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from datetime import date
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from advisor.domain.advice.summary import WeekPoint
from advisor.errors import ConfigError
from advisor.render.chart import weekly_chart_png
from advisor.render.units import Units, distance, distance_unit, elevation, elevation_unit
from advisor.render.visit_view import VisitReport

__all__ = ["chart_png", "for_clinician", "render_html", "render_pdf", "style_hash"]

CHART_SIZE = (720, 500)
"""The chart's pixels: the weekly mail's width, printed about 9 cm wide (its text then about 8 pt)."""
_BRACKETED_COMMAND = re.compile(r"\s*\(`[^`]*`\)")
_COMMAND = re.compile(r"`(?:advisor |--)[^`]*`")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WHEN_WORDS = {"during": "during a run", "after": "after a run", "morning": "next morning"}


def for_clinician(text: object) -> str:
    """An engine sentence without the commands it names for the runner: a bracketed command goes, a sentence that
    still names one (`Log it with `advisor pain assessed` when it has.`) goes whole, and other backticks are dropped."""
    said = _BRACKETED_COMMAND.sub("", "" if text is None else str(text))
    if "`" not in said:
        return said
    kept = [sentence for sentence in _SENTENCE_END.split(said) if not _COMMAND.search(sentence)]
    return " ".join(kept).replace("`", "")


def _day(value: date) -> str:
    """`Mon 2 Mar`, as the rest of the app writes a day."""
    return f"{value:%a} {value.day} {value:%b}"


def _day_month(value: date) -> str:
    return f"{value.day} {value:%b}"


def _full_day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


@pass_context
def _distance(context: Context, metres: float | None) -> str:
    """`12.4`: one decimal in the page's units (the unit is in the column's header)."""
    return "—" if metres is None else distance(metres, context["units"], 1, unit=False)


@pass_context
def _distance_with_unit(context: Context, metres: float | None) -> str:
    return "—" if metres is None else distance(metres, context["units"], 1)


@pass_context
def _elevation(context: Context, metres: float | None) -> str:
    return "—" if metres is None else elevation(metres, context["units"], unit=False)


def _score(value: int | None) -> str:
    return "—" if value is None else str(value)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("advisor.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        day=_day,
        day_month=_day_month,
        full_day=_full_day,
        distance=_distance,
        distance_with_unit=_distance_with_unit,
        elevation=_elevation,
        score=_score,
        said=for_clinician,
    )
    env.globals["when_words"] = WHEN_WORDS
    return env


@cache
def _style() -> str:
    return files("advisor.render").joinpath("templates/visit_report.css").read_text(encoding="utf-8")


def style_hash() -> str:
    """The CSP source that allows the page's one inline style sheet and nothing else (`'sha256-…'`)."""
    digest = hashlib.sha256(_style().encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def chart_png(view: VisitReport) -> bytes:
    """The weekly mail's chart of the report's weeks: distance bars, the cap in force at each week's start, the pain
    threshold, and every pain score."""
    every = _label_every(len(view.weeks))
    points = [
        WeekPoint(
            label=f"W{w.start.isocalendar().week:02d}" if (len(view.weeks) - 1 - i) % every == 0 else "",
            distance_km=w.distance_m / 1000.0,
            cap_km=None if w.cap_m is None else w.cap_m / 1000.0,
            threshold_km=None if w.threshold_m is None else w.threshold_m / 1000.0,
            pain_scores=list(w.pain_scores),
        )
        for i, w in enumerate(view.weeks)
    ]
    units: Units = "mi" if view.units == "mi" else "km"
    width, height = CHART_SIZE
    return weekly_chart_png(points, title=None, units=units, width_px=width, height_px=height)


def _label_every(weeks: int) -> int:
    """Which weeks the chart names: all of up to 10, else every n-th (even, as the chart itself names every other
    week when the labels are wider than a bar's slot), the newest always; at most about ten labels under the bars."""
    if weeks <= 10:
        return 1
    every = math.ceil(weeks / 10)
    return every + every % 2


def render_html(view: VisitReport, *, web: bool = False, png: bytes | None = None) -> str:
    """The page as one standalone HTML document (its style inline, the chart a data: URI). `web`: with the links
    of the web page (back to the week, the PDF), which a print leaves out."""
    units: Units = "mi" if view.units == "mi" else "km"
    chart = png if png is not None else chart_png(view)
    sources: list[str] = []
    for line in [*([view.referral] if view.referral else []), *view.flags]:
        if line.source not in sources:
            sources.append(line.source)
    return (
        _environment()
        .get_template("visit_report.html.j2")
        .render(
            v=view,
            a=view.adherence,
            units=units,
            unit=distance_unit(units),
            elevation_unit=elevation_unit(units),
            css=_style(),
            chart_src="data:image/png;base64," + base64.b64encode(chart).decode("ascii"),
            sources=sources,
            mark=lambda source: sources.index(source) + 1,
            web=web,
            weeks_query="" if len(view.weeks) == 12 else f"?weeks={len(view.weeks)}",
        )
    )


def render_pdf(view: VisitReport) -> bytes:
    """The page as a PDF (A4), rendered by WeasyPrint from the same HTML; nothing is fetched but `data:` URLs.
    Without WeasyPrint's system libraries, a `ConfigError` says what to install."""
    try:
        from weasyprint import HTML, URLFetcher
    except (ImportError, OSError) as error:  # WeasyPrint loads Pango when imported: a missing library is an OSError
        raise ConfigError(
            f"making a PDF needs WeasyPrint and the Pango library ({error}): on Debian or Ubuntu `apt install "
            "libpango-1.0-0 libpangoft2-1.0-0`, on macOS `brew install pango`; or write the report as .html"
        ) from None
    pdf = HTML(string=render_html(view), url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf()
    assert pdf is not None  # without a target, write_pdf returns the bytes
    return pdf
