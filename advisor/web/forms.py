"""The writing pages: the pain log (`/pain`), the rehab checklist (`/rehab`) and a clinician's assessment (`/assessed`).

Each POST goes through the same use case as its CLI command (`advisor pain log`, `advisor rehab log`, `advisor pain
assessed`), so the checks and their sentences are the same: bad input is that one sentence on the page (400) and
nothing is stored; a stored entry redirects back (303), so reloading the page never logs it twice, and a form
sent twice (a double tap) is stored once (`advisor.web.common.once`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from advisor.domain.advice.clinician import what_to_do_now
from advisor.domain.risk.model import SIGN_WORDS
from advisor.services.current import report_for
from advisor.services.knee import InputError, PainInput, delete_pain, edit_pain, list_pain, log_pain
from advisor.services.notify import tell_now
from advisor.services.rehab import RehabInput, list_assessments, list_rehab, log_rehab, record_assessment
from advisor.web.common import call, checked_form, once, render, runtime, today

RED_FLAGS = (
    ("swelling", "Swelling", "The knee is swollen."),
    ("locking", "Locking", "The knee locks or catches."),
    ("giving_way", "Giving way", "The knee gives way."),
    ("rest_or_night_pain", "Pain at rest or at night", "It hurts when still, or wakes you."),
)
SAME_DAY = (
    ("hot_red_or_fever", "Hot, red knee or a fever", "Get seen today."),
    ("injury_swelling", "After a twist or fall", "Swelling at once, or you cannot bear weight."),
    ("calf_pain", "Calf pain or swelling", "Get seen today."),
    ("numbness", "Numbness", "In the leg or foot."),
)
WHEN = (("during", "During a run"), ("after", "After a run"), ("morning", "The next morning"))
PAIN_SHOWN_DAYS = 120


def _sentence(error: Exception) -> str:
    """The use case's sentence, with the CLI's option dashes dropped (`--score` reads `score` on a form)."""
    text = re.sub(r"--(?=\w)", "", str(error))
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{field} must be a date as YYYY-MM-DD, got {text!r}") from None


def _whole(text: str | None, field: str, allowed: str) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{field} must be a whole number {allowed}, got {text!r}") from None


def _pain_input(fields: dict[str, str]) -> PainInput:
    score = _whole(fields.get("score"), "score", "from 0 (no pain) to 10 (worst)")
    if score is None:
        raise InputError("choose a pain score from 0 (no pain) to 10 (worst)")
    return PainInput(
        score=score,
        when=fields.get("when") or "after",
        day=_day(fields.get("date"), "date"),
        **{sign: sign in fields for sign in SIGN_WORDS},
        no_red_flags="no_red_flags" in fields,
        note=fields.get("note") or None,
    )


async def pain_page(
    request: Request, error: str | None = None, form: dict[str, str] | None = None, editing: int | None = None
) -> Response:
    """The form and the log; after a sign was logged, what to do now leads the page. `editing`: the form of one
    entry to change or delete, filled with it."""
    rt = runtime(request)
    signs = [s for s in request.query_params.get("signs", "").split(",") if s in SIGN_WORDS]
    day = today(request)
    entries = await call(list_pain, rt.db, rt.athlete_id, day - timedelta(days=PAIN_SHOWN_DAYS))
    context = {
        "entries": list(reversed(entries)),
        "today": day,
        "error": error,
        "form": form if form is not None else _prefill(request, day),
        "red_flags": RED_FLAGS,
        "same_day": SAME_DAY,
        "sign_words": SIGN_WORDS,
        "what_to_do_now": what_to_do_now(signs) if signs else None,
        "when_choices": WHEN,
        "editing": editing,
    }
    return render(request, "pain.html", context, 400 if error else 200)


def _prefill(request: Request, today: date) -> dict[str, str]:
    """The form as a link fills it (a notification's "log it": `/pain?date=2026-12-03&when=after`): a day up to
    today, and a `when` of the form's; any other value is ignored, and the form opens as it always does."""
    form = {}
    if request.query_params.get("when") in {value for value, _ in WHEN}:
        form["when"] = request.query_params["when"]
    try:
        day = date.fromisoformat(request.query_params.get("date", ""))
    except ValueError:
        return form
    if day <= today:  # the form refuses a future day, and so does the use case
        form["date"] = day.isoformat()
    return form


@once
async def pain_post(request: Request) -> Response:
    fields = await checked_form(request)
    rt = runtime(request)
    try:
        entry = _pain_input(fields)
        await call(log_pain, rt.db, rt.athlete_id, entry, today(request))
    except InputError as error:
        return await pain_page(request, _sentence(error), fields)
    signs = f"&signs={','.join(entry.signs)}" if entry.signs else ""
    # A red flag is told to the runner's phone (and whoever else it notifies) at once, after the answer is sent.
    told = BackgroundTask(tell_now, rt) if entry.signs else None
    return RedirectResponse(f"/pain?logged=1{signs}", status_code=303, background=told)


async def pain_edit_page(request: Request) -> Response:
    """One logged entry in the pain form, to change (Save) or delete: a wrong score is fixed on the phone too."""
    rt = runtime(request)
    entry_id = request.path_params["entry_id"]
    found = next((e for e in await call(list_pain, rt.db, rt.athlete_id) if e.id == entry_id), None)
    if found is None:
        return await pain_page(request, f"There is no pain entry {entry_id} (it may have been deleted).")
    form = {"score": str(found.score), "when": found.when, "date": found.day.isoformat(), "note": found.note or ""}
    form |= {sign: "1" for sign in SIGN_WORDS if getattr(found, sign)}
    if found.no_red_flags:
        form["no_red_flags"] = "1"
    return await pain_page(request, form=form, editing=entry_id)


@once
async def pain_edit_post(request: Request) -> Response:
    fields = await checked_form(request)
    rt = runtime(request)
    entry_id = request.path_params["entry_id"]
    try:
        entry = _pain_input(fields)
        await call(edit_pain, rt.db, rt.athlete_id, entry_id, entry, today(request))
    except InputError as error:
        return await pain_page(request, _sentence(error), fields, editing=entry_id)
    signs = f"&signs={','.join(entry.signs)}" if entry.signs else ""
    return RedirectResponse(f"/pain?changed=1{signs}", status_code=303)


@once
async def pain_delete_post(request: Request) -> Response:
    await checked_form(request)
    rt = runtime(request)
    try:
        await call(delete_pain, rt.db, rt.athlete_id, request.path_params["entry_id"])
    except InputError as error:
        return await pain_page(request, _sentence(error))
    return RedirectResponse("/pain?deleted=1", status_code=303)


async def rehab_page(request: Request, error: str | None = None) -> Response:
    rt = runtime(request)
    day = today(request)

    report = await call(report_for, rt.db, rt.athlete_id, rt.settings, day, day)
    sessions = await call(list_rehab, rt.db, rt.athlete_id, day - timedelta(days=28))
    progress = report.rehab_progress
    step = next((s for s in report.rehab.steps if s.number == progress.step), None)
    context = {
        "routine": report.rehab,
        "progress": progress,
        "step": step,
        "sessions": list(reversed(sessions)),
        "today": day,
        "error": error,
    }
    return render(request, "rehab.html", context, 400 if error else 200)


@once
async def rehab_post(request: Request) -> Response:
    """A ticked strength move makes it a strength session, a ticked stretch or roll a mobility one."""
    fields = await checked_form(request)
    rt = runtime(request)
    try:
        entry = RehabInput(
            day=_day(fields.get("date"), "date"),
            strength=bool(fields.get("strength_move")),
            mobility=bool(fields.get("mobility_move")),
            band="band" in fields,
            pain=_whole(fields.get("pain"), "pain", "from 0 to 10"),
            note=fields.get("note") or None,
        )
        if not (entry.strength or entry.mobility):
            raise InputError("tick at least one move you did: a strength move, a stretch or a foam-rolling area")
        await call(log_rehab, rt.db, rt.athlete_id, entry, today(request))
    except InputError as error:
        return await rehab_page(request, _sentence(error))
    return RedirectResponse("/rehab?logged=1", status_code=303)


async def assessed_page(request: Request, error: str | None = None) -> Response:
    rt = runtime(request)
    found = await call(list_assessments, rt.db, rt.athlete_id)
    context = {"assessments": list(reversed(found)), "today": today(request), "error": error}
    return render(request, "assessed.html", context, 400 if error else 200)


@once
async def assessed_post(request: Request) -> Response:
    fields = await checked_form(request)
    rt = runtime(request)
    decision = fields.get("cleared")
    try:
        if decision not in ("yes", "no"):
            raise InputError("say what the clinician decided: cleared to run, or not yet")
        day = _day(fields.get("date"), "date")
        note = fields.get("note") or None
        await call(record_assessment, rt.db, rt.athlete_id, decision == "yes", day, note, today(request))
    except InputError as error:
        return await assessed_page(request, _sentence(error))
    return RedirectResponse("/", status_code=303)


async def _pain_get(request: Request) -> Response:
    return await pain_page(request)


async def _rehab_get(request: Request) -> Response:
    return await rehab_page(request)


async def _assessed_get(request: Request) -> Response:
    return await assessed_page(request)


routes = [
    Route("/pain", _pain_get, methods=["GET"]),
    Route("/pain", pain_post, methods=["POST"]),
    Route("/pain/{entry_id:int}", pain_edit_page, methods=["GET"]),
    Route("/pain/{entry_id:int}", pain_edit_post, methods=["POST"]),
    Route("/pain/{entry_id:int}/delete", pain_delete_post, methods=["POST"]),
    Route("/rehab", _rehab_get, methods=["GET"]),
    Route("/rehab", rehab_post, methods=["POST"]),
    Route("/assessed", _assessed_get, methods=["GET"]),
    Route("/assessed", assessed_post, methods=["POST"]),
]
