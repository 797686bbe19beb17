"""`GET /calendar/TOKEN.ics`: the next 7 days' plan for the calendar app of the athlete holding TOKEN.

A calendar app cannot log in, so this path passes the login gate (advisor.web.app.Gate) and the token in it is the
credential; the host and body checks and the security headers still apply. One server answers for every athlete
of its database: the token, not the page's own athlete, says whose plan it is. A token nobody holds is a bare 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from advisor.services.calendar import FEED_PREFIX, FEED_SUFFIX, calendar_feed
from advisor.web.common import call, runtime

MEDIA_TYPE = "text/calendar; charset=utf-8"


def is_feed_path(path: str) -> bool:
    """A calendar feed's path: the login gate lets it through (the token decides)."""
    return path.startswith(FEED_PREFIX) and path.endswith(FEED_SUFFIX) and "/" not in path[len(FEED_PREFIX) :]


async def feed(request: Request) -> Response:
    rt = runtime(request)
    found = await call(calendar_feed, rt.db, rt.config, request.path_params["token"], datetime.now(UTC))
    if found is None:
        return PlainTextResponse("Not found.\n", status_code=404, headers={"Cache-Control": "no-store"})
    headers = {
        "Cache-Control": "no-cache",  # keep it if you like, but ask again each time: a new run changes it
        "ETag": found.etag,
        "Content-Disposition": 'inline; filename="knee-plan.ics"',
    }
    if found.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=MEDIA_TYPE, headers=headers)


routes = [Route(f"{FEED_PREFIX}{{token}}{FEED_SUFFIX}", feed, methods=["GET"])]
