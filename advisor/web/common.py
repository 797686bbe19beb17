"""What the routes share: rendering a page with its CSRF token, reading a checked form, calling a use case off the
event loop, and the runner's today."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from advisor.render import units as u
from advisor.usecases.runtime import Runtime
from advisor.web.security import csrf_matches, new_csrf_token


class Forbidden(Exception):
    """A POST without the session's CSRF token: refused (403) before anything is read or stored."""


def templates_for(units: u.Units) -> Jinja2Templates:
    """Autoescaped templates (everything the runner typed is text, never markup), with the units filters."""
    env = Environment(loader=PackageLoader("advisor.web", "templates"), autoescape=True, trim_blocks=True)
    env.filters["distance"] = lambda m, digits=1: u.distance(m, units, digits)
    env.filters["elevation"] = lambda m: u.elevation(m, units)
    env.filters["duration"] = u.duration
    env.globals["distance_unit"] = u.distance_unit(units)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page, with what every page needs: the CSRF token for its forms and whether a logout button makes sense."""
    state = request.app.state
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    full = {"csrf_token": token, "login_required": state.password is not None, **(context or {})}
    return state.templates.TemplateResponse(request, name, full, status_code=status_code)


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed fields, once the CSRF token matched the session's (otherwise `Forbidden`: 403, nothing stored).
    Repeated fields (checklists) are joined by commas."""
    form = await request.form()
    if not csrf_matches(str(form.get("csrf_token") or ""), request.session.get("csrf")):
        raise Forbidden
    fields: dict[str, str] = {}
    for key in form:
        fields[key] = ",".join(str(v) for v in form.getlist(key))
    return fields


def runtime(request: Request) -> Runtime:
    return request.app.state.rt


def today(request: Request) -> date:
    """The runner's local date (profile.timezone), as the CLI's defaults use it."""
    return runtime(request).settings.today()


async def call[T](fn: Callable[..., T], *args: Any) -> T:
    """Run a use case (database, matplotlib) in a worker thread, so one slow page never stalls the others."""
    return await run_in_threadpool(fn, *args)
