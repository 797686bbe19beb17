"""What the routes share: rendering a page with its form token, reading a checked form, storing a form once,
calling a use case off the event loop, and the runner's today."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from advisor.bootstrap import Runtime
from advisor.render import units as u
from advisor.web.phone_words import for_phone
from advisor.web.security import SubmittedForms, form_token_nonce, new_csrf_token, new_form_token

type Handler = Callable[[Request], Awaitable[Response]]


class Forbidden(Exception):
    """A POST without a form token of this session: refused (403) before anything is read or stored."""


_TOKEN = re.compile(r"\d{4}-(?:W\d{2}|\d{2}-\d{2})|\d+(?:[.,]\d+)?-\d+(?:[.,]\d+)?")
"""A date (2026-11-28), an ISO week (2026-W48) or a range (178-187, 1.64-2.28): a phone breaks lines after a
hyphen, which would leave half a date on each line."""


def whole_tokens(text: object) -> Markup:
    """`text`, escaped, with each date, week and range kept on one line (`{{ x | whole }}`)."""
    escaped = str(escape(for_phone(text)))
    return Markup(_TOKEN.sub(lambda m: f'<span class="nw">{m[0]}</span>', escaped))


def templates_for(units: u.Units) -> Jinja2Templates:
    """Autoescaped templates (everything the runner typed is text, never markup), with the units filters; every
    value printed is first reworded for a phone (`for_phone`: no command line on a page)."""
    env = Environment(
        loader=PackageLoader("advisor.web", "templates"), autoescape=True, trim_blocks=True, finalize=for_phone
    )
    env.filters["distance"] = lambda m, digits=1: u.distance(m, units, digits)
    env.filters["elevation"] = lambda m: u.elevation(m, units)
    env.filters["duration"] = u.duration
    env.filters["whole"] = whole_tokens
    env.globals["distance_unit"] = u.distance_unit(units)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page, with what every page needs: a form token of its own for its forms, and whether a logout button
    makes sense. The session's CSRF secret is made on the first page and never shown."""
    state = request.app.state
    secret = request.session.get("csrf")
    if not secret:
        secret = request.session["csrf"] = new_csrf_token()
    full = {"csrf_token": new_form_token(secret), "login_required": state.password is not None, **(context or {})}
    return state.templates.TemplateResponse(request, name, full, status_code=status_code)


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed fields, once the form token was signed with the session's secret (otherwise `Forbidden`: 403,
    nothing stored); its nonce is left in `request.state.form_nonce` for `once`. Repeated fields (checklists) are
    joined by commas."""
    checked: dict[str, str] | None = getattr(request.state, "form_fields", None)
    if checked is not None:
        return checked
    form = await request.form()
    nonce = form_token_nonce(str(form.get("csrf_token") or ""), request.session.get("csrf"))
    if nonce is None:
        raise Forbidden
    fields: dict[str, str] = {}
    for key in form:
        fields[key] = ",".join(str(v) for v in form.getlist(key))
    request.state.form_nonce = nonce
    request.state.form_fields = fields
    return fields


def once(handler: Handler) -> Handler:
    """A form that stores something stores it once per rendered form. A second submission of the same form (a
    double tap, a resent POST) gets the first one's redirect and stores nothing; while the first is still being
    stored, the second waits for it. A submission that stored nothing (a 400 with its reason, an error) leaves the
    form free to be sent again."""

    @functools.wraps(handler)
    async def first_only(request: Request) -> Response:
        await checked_form(request)
        nonce: str = request.state.form_nonce
        submitted: SubmittedForms = request.app.state.submitted
        earlier = await submitted.claim(nonce)
        if earlier is not None:
            return RedirectResponse(earlier, status_code=303)
        location = None
        try:
            response = await handler(request)
            if response.status_code == 303:
                location = response.headers.get("location")
            return response
        finally:
            submitted.settle(nonce, location)

    return first_only


def runtime(request: Request) -> Runtime:
    return request.app.state.rt


def today(request: Request) -> date:
    """The runner's local date (profile.timezone), as the CLI's defaults use it."""
    return runtime(request).settings.today()


async def call[T](fn: Callable[..., T], *args: Any) -> T:
    """Run a use case (database, matplotlib) in a worker thread, so one slow page never stalls the others."""
    return await run_in_threadpool(fn, *args)
