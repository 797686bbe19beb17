"""The reading pages: this week (`/`), the 12-week chart, the activities and one activity, with exclude/include.

The week is the same `KneeReport` as `advisor status`, split the same way (advisor.render.status): the referral
first, the red-flag pause, the flags with their sources, the caps, then the rest of the advice.
"""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from advisor.domain.advice.report import KneeReport
from advisor.render.activity import detail_rows
from advisor.render.chart import weekly_chart_png
from advisor.render.first_screen import cap_lines, listed_advice, rest_and_swap
from advisor.render.status import data_note
from advisor.render.tables import pace_or_speed, sport_label
from advisor.services.activities import list_activities, local_date
from advisor.services.corrections import CorrectionError, exclude_activity, get_activity, include_activity
from advisor.services.current import chart_for, report_for
from advisor.services.knee import newest_activity_day
from advisor.services.summary import chart_weeks
from advisor.web.common import call, once, render, runtime, today

ACTIVITIES_SHOWN = 100
NO_SUCH_ID = "There is no activity with that id; the list of activities links to each one."


def _week(request: Request, day: date) -> tuple[KneeReport, date | None]:
    rt = runtime(request)
    report = report_for(rt.db, rt.athlete_id, rt.settings, day, day)
    newest = report.newest_data or newest_activity_day(rt.db, rt.athlete_id, rt.settings, day)
    return report, newest


async def home(request: Request) -> Response:
    report, newest = await call(_week, request, today(request))
    units = runtime(request).settings.profile.units
    clinician = next((a for a in report.advice if a.code == "see_clinician"), None)
    others = listed_advice(report)
    return render(
        request,
        "home.html",
        {
            "report": report,
            "phase_name": report.phase.name,
            "phase_words": report.phase.words(),
            "clinician": clinician,
            "advice": others,
            "note": data_note(report, newest),
            "newest": newest,
            "progress": report.rehab_progress,
            "cap_lines": cap_lines(report, units),
            "rest_and_swap": rest_and_swap(report),
        },
    )


async def chart(request: Request) -> Response:
    """The weekly email's chart for the 12 weeks up to today, sized for a phone held upright (the page scales it)."""

    def build() -> bytes:
        rt, day = runtime(request), today(request)
        points = chart_for(rt.db, rt.athlete_id, rt.settings, day, lambda: chart_weeks(rt, day))
        return weekly_chart_png(points, units=rt.settings.profile.units)

    return Response(await call(build), media_type="image/png")


async def activities(request: Request) -> Response:
    rt = runtime(request)
    tz = rt.settings.tz
    units = rt.settings.profile.units

    def rows() -> list[dict[str, object]]:
        found = list_activities(rt.db, rt.athlete_id, tz=tz, include_excluded=True, limit=ACTIVITIES_SHOWN)
        return [
            {
                "id": a.id,
                "day": local_date(a, tz),
                "sport": sport_label(a),
                "name": a.name,
                "distance_m": a.distance_m,
                "pace": pace_or_speed(a, units),
                "excluded": a.excluded,
            }
            for a in reversed(found)
        ]

    return render(request, "activities.html", {"activities": await call(rows)})


def _activity_id(request: Request) -> int | None:
    """The path's activity id, or None when no activity can have it: not a number, or beyond the database's
    `largest_id` (which it would refuse with an error, not an empty answer) — the same bound as the CLI's."""
    text: str = request.path_params["activity_id"]
    largest = runtime(request).largest_id
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(largest)):
        return None
    value = int(text)
    return value if value <= largest else None


def _no_such_activity(request: Request, message: str) -> Response:
    return render(request, "message.html", {"title": "No such activity", "message": message}, 404)


async def activity(request: Request) -> Response:
    rt = runtime(request)
    activity_id = _activity_id(request)
    if activity_id is None:
        return _no_such_activity(request, NO_SUCH_ID)
    try:
        found = await call(get_activity, rt.db, rt.athlete_id, activity_id)
    except CorrectionError as error:
        return _no_such_activity(request, str(error))
    rows = detail_rows(found, rt.settings.tz, rt.settings.profile.units)
    return render(request, "activity.html", {"activity": found, "rows": rows, "title": sport_label(found)})


@once
async def set_excluded(request: Request) -> Response:
    """POST /activities/ID/exclude or /include: the same correction as `advisor activity exclude|include`."""
    if request.path_params["action"] not in ("exclude", "include"):
        return render(request, "message.html", {"title": "Not found", "message": "There is no such page."}, 404)
    rt = runtime(request)
    activity_id = _activity_id(request)
    if activity_id is None:
        return _no_such_activity(request, NO_SUCH_ID)
    change = exclude_activity if request.path_params["action"] == "exclude" else include_activity
    try:
        await call(change, rt.db, rt.athlete_id, activity_id)
    except CorrectionError as error:
        return _no_such_activity(request, str(error))
    return RedirectResponse(f"/activities/{activity_id}", status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/chart.png", chart, methods=["GET"]),
    Route("/activities", activities, methods=["GET"]),
    Route("/activities/{activity_id:str}", activity, methods=["GET"]),
    Route("/activities/{activity_id:str}/{action:str}", set_excluded, methods=["POST"]),
]
