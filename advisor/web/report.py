"""The clinician's report on the web page: `/report` (the printable page, to show or print from the phone) and
`/report.pdf` (the same page as a PDF to download), `?weeks=N` for other than 12 weeks.

The same use case and renderer as `advisor report` (advisor.services.visit_report, advisor.render.visit_report), so
the page, the file and the PDF say the same. The page stands alone — its style sheet inline, the chart a data: URI
— so this answer's Content-Security-Policy allows exactly that style sheet (by its hash) and data: images, and
still no script.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from advisor.errors import ConfigError, InputError
from advisor.render.visit_report import render_html, render_pdf, style_hash
from advisor.render.visit_view import VisitReport
from advisor.services.visit_report import DEFAULT_WEEKS, MAX_WEEKS, visit_report
from advisor.web.common import call, render, runtime


def _weeks(request: Request) -> int:
    """`?weeks=N` (1-52), 12 when not given; anything else is an `InputError` sentence."""
    text = request.query_params.get("weeks", "").strip()
    if not text:
        return DEFAULT_WEEKS
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WEEKS:
        raise InputError(f"The report covers 1 to {MAX_WEEKS} weeks; ask for a whole number of them.")
    return int(text)


def _view(request: Request) -> VisitReport:
    return visit_report(runtime(request), _weeks(request))


def _refused(request: Request, error: InputError) -> Response:
    return render(request, "message.html", {"title": "No report", "message": str(error)}, 400)


def page_policy() -> str:
    """The security headers' policy, with the page's one inline style sheet and its embedded chart allowed."""
    return (
        f"default-src 'none'; style-src {style_hash()}; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


async def report_page(request: Request) -> Response:
    try:
        view = await call(_view, request)
    except InputError as error:
        return _refused(request, error)
    html = await call(lambda: render_html(view, web=True))
    return HTMLResponse(html, headers={"Content-Security-Policy": page_policy()})


async def report_pdf(request: Request) -> Response:
    try:
        view = await call(_view, request)
    except InputError as error:
        return _refused(request, error)
    try:
        pdf = await call(render_pdf, view)
    except ConfigError:  # no Pango on the machine that serves the page: the page itself still works
        message = (
            "The computer that runs advisor cannot make PDFs (it lacks the Pango library): open the report and print "
            "it from the browser instead."
        )
        return render(request, "message.html", {"title": "No PDF", "message": message}, 503)
    name = f"knee-report-{view.as_of.isoformat()}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


routes = [
    Route("/report", report_page, methods=["GET"]),
    Route("/report.pdf", report_pdf, methods=["GET"]),
]
