"""The ASGI application: `create_app(settings)` wires the routes, the session, the login gate and the headers.

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

from advisor.config import Settings
from advisor.usecases.runtime import Runtime
from advisor.web import forms, pages
from advisor.web.common import Forbidden, checked_form, render, templates_for
from advisor.web.security import SECURITY_HEADERS, LoginThrottle, new_csrf_token, password_matches, session_key

OPEN_PATHS = {"/login", "/style.css", "/favicon.ico"}
"""What a visitor without a session may see: the login form and the style sheet it uses."""
SESSION_COOKIE = "advisor_session"
SESSION_DAYS = 30


async def _forbidden(request: Request, _exc: Exception) -> Response:
    return PlainTextResponse(
        "This form has expired or did not come from this page; go back, reload and send it again.", status_code=403
    )


class Gate(BaseHTTPMiddleware):
    """With a password, every page but the login form redirects to /login until the session says logged in."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.app.state.password is None or request.url.path in OPEN_PATHS or request.session.get("user"):
            return await call_next(request)
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
    if state.throttle.blocked(client):
        return render(request, "login.html", {"error": "Too many wrong passwords; wait a minute and try again."}, 429)
    fields = await checked_form(request)
    if not password_matches(fields.get("password", ""), state.password):
        state.throttle.failed(client)
        return render(request, "login.html", {"error": "That password is not right."}, 401)
    request.session.clear()
    request.session["user"] = "runner"
    request.session["csrf"] = new_csrf_token()  # a new token after login: one seen before it is worth nothing
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    return RedirectResponse("/login" if request.app.state.password else "/", status_code=303)


async def style(_request: Request) -> Response:
    css = files("advisor.web").joinpath("static/style.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def no_icon(_request: Request) -> Response:
    """Browsers ask for an icon on every visit; an empty answer keeps a 404 out of their console."""
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})


def create_app(settings: Settings, password: str | None = None, runtime: Runtime | None = None) -> Starlette:
    """The web application over `settings`' database. `password` None means no login (loopback only: the caller,
    `advisor serve` or the daemon, checks the address with `advisor.web.security.bind_problem` first)."""
    rt = runtime or Runtime(settings)
    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/style.css", style, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
        *pages.routes,
        *forms.routes,
    ]
    middleware = [
        Middleware(Headers),
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
    app.state.templates = templates_for(settings.profile.units)
    return app
