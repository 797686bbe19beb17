"""The ASGI application: `create_app(settings)` wires the routes, the host and body checks (advisor.web.guards), the
session, the login gate with its server-side logout (advisor.web.logins) and the headers.

An entrypoint beside the CLI: the routes (advisor.web.pages, advisor.web.forms) call the use cases and the
renderers, never the store. Starlette because it is small, typed and well kept, with the pieces a few server-side
pages need (routing, forms through python-multipart, Jinja2 templates, a signed-cookie session through
itsdangerous) and nothing else; Uvicorn serves it (advisor.web.server).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from advisor.bootstrap import Runtime
from advisor.config import Settings
from advisor.web import calendar, forms, pages, report
from advisor.web.common import Forbidden, call, checked_form, render, templates_for
from advisor.web.guards import BodyLimit, HostCheck
from advisor.web.logins import Logins
from advisor.web.security import (
    SECURITY_HEADERS,
    LoginThrottle,
    SubmittedForms,
    new_csrf_token,
    password_matches,
    session_key,
)

STATIC_PATHS = {"/style.css", "/favicon.ico"}
OPEN_PATHS = {"/login", *STATIC_PATHS}
"""What a visitor without a session may see: the login form and the style sheet it uses."""
SESSION_COOKIE = "advisor_session"
AFTER_LOGIN = "after_login"
"""The page asked for before the login form, kept in the signed session (never a query parameter another site could
set): "Log it" in a notification opens the pain form, prefilled, once the password is in."""
SESSION_DAYS = 30


async def _forbidden(request: Request, _exc: Exception) -> Response:
    return PlainTextResponse(
        "This form has expired or did not come from this page; go back, reload and send it again.", status_code=403
    )


class Gate(BaseHTTPMiddleware):
    """With a password, every page but the login form (and a calendar feed, advisor.web.calendar) redirects to /login
    until the session says logged in, and a session logged in before the last logout or password change (an older
    generation) is logged out."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        state = request.app.state
        if state.password is None or request.url.path in STATIC_PATHS or calendar.is_feed_path(request.url.path):
            return await call_next(request)  # a calendar feed's token is its credential: calendar apps cannot log in
        if not state.logins.password_checked:
            await call(state.logins.check_password)
        session = request.session
        if session.get("user") and session.get("login") != await call(state.logins.current):
            session.clear()  # its CSRF secret goes too: the forms of its pages are refused (403)
        if request.url.path in OPEN_PATHS or session.get("user"):
            return await call_next(request)
        if request.method == "GET":  # a link opened before logging in (a notification's) is where login lands
            query = request.url.query
            session[AFTER_LOGIN] = request.url.path + (f"?{query}" if query else "")
        return RedirectResponse("/login", status_code=303)


class Headers(BaseHTTPMiddleware):
    """The same security headers on every answer, redirects and errors included."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


async def login_page(request: Request) -> Response:
    if request.app.state.password is None or request.session.get("user"):
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html")


async def login(request: Request) -> Response:
    state = request.app.state
    client = request.client.host if request.client else "unknown"
    if state.password is None:
        return RedirectResponse("/", status_code=303)
    too_many = {"error": "Too many wrong passwords; wait a minute and try again."}
    if state.throttle.blocked(client):  # before the body is even read
        return render(request, "login.html", too_many, 429)
    fields = await checked_form(request)
    # Counted, then compared, with no `await` between: concurrent guesses cannot all pass the count first.
    if not state.throttle.attempt(client):
        return render(request, "login.html", too_many, 429)
    if not password_matches(fields.get("password", ""), state.password):
        return render(request, "login.html", {"error": "That password is not right."}, 401)
    state.throttle.succeeded(client)
    generation = await call(state.logins.current)
    wanted = request.session.get(AFTER_LOGIN)
    request.session.clear()
    request.session["user"] = "runner"
    request.session["login"] = generation
    request.session["csrf"] = new_csrf_token()  # a new secret after login: a form seen before it is worth nothing
    local = isinstance(wanted, str) and wanted.startswith("/") and not wanted.startswith("//")
    return RedirectResponse(wanted if local else "/", status_code=303)


async def logout(request: Request) -> Response:
    """Ends every session of this page on the server, not only this browser's cookie: a copy of the cookie (a lost
    phone, a shared computer) is logged out too."""
    await checked_form(request)
    if request.app.state.password is not None:
        await call(request.app.state.logins.end_all)
    request.session.clear()
    return RedirectResponse("/login" if request.app.state.password else "/", status_code=303)


async def style(_request: Request) -> Response:
    css = files("advisor.web").joinpath("static/style.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def no_icon(_request: Request) -> Response:
    """Browsers ask for an icon on every visit; an empty answer keeps a 404 out of their console."""
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})


def create_app(
    settings: Settings, password: str | None = None, runtime: Runtime | None = None, host: str | None = None
) -> Starlette:
    """The web application over `settings`' database. `password` None means no login (loopback only: the caller,
    `advisor serve` or the daemon, checks the address with `advisor.web.security.bind_problem` first). `host` is
    the address the server is bound to: a name there is one the page answers to (`advisor.web.guards.HostCheck`)."""
    rt = runtime or Runtime(settings)
    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/style.css", style, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
        *pages.routes,
        *forms.routes,
        *report.routes,
        *calendar.routes,
    ]
    middleware = [
        Middleware(Headers),
        Middleware(HostCheck, names=[*settings.serve.host_names(), *([host] if host else [])]),
        Middleware(BodyLimit),
        Middleware(
            SessionMiddleware,
            secret_key=session_key(settings.home, password).hex(),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_DAYS * 24 * 3600,
            same_site="lax",
        ),
        Middleware(Gate),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={Forbidden: _forbidden})
    app.state.rt = rt
    app.state.password = password
    app.state.throttle = LoginThrottle()
    app.state.logins = Logins(rt, password)
    app.state.submitted = SubmittedForms()
    app.state.templates = templates_for(settings.profile.units)
    return app
