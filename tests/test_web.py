"""The web page's routes through Starlette's test client, on the real SQLite and PostgreSQL databases.

Everything a form stores is read back through the same use cases the CLI uses, so a route that stored nothing,
or stored the wrong thing, fails here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity
from starlette.testclient import TestClient

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.knee import list_pain
from advisor.services.rehab import list_assessments, list_rehab
from advisor.web.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: str) -> str:
    match = CSRF.search(page)
    assert match, "every page with a form carries a CSRF token"
    return match.group(1)


@pytest.fixture
def rt(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    runtime = Runtime(load_settings())
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    with TestClient(create_app(rt.settings, runtime=rt)) as c:
        yield c


def test_pain_form_stores_through_the_use_case_and_redirects(client: TestClient, rt: Runtime) -> None:
    page = client.get("/pain")
    assert page.status_code == 200
    for field in ('name="score"', 'name="when"', 'name="date"', 'name="note"', 'name="swelling"', 'name="locking"'):
        assert field in page.text
    assert 'name="giving_way"' in page.text and 'name="rest_or_night_pain"' in page.text
    day = rt.settings.today() - timedelta(days=1)
    answer = client.post(
        "/pain",
        data={"csrf_token": csrf(page.text), "score": "4", "when": "morning", "date": day.isoformat(), "swelling": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/pain")
    [entry] = list_pain(rt.db, rt.athlete_id)
    assert (entry.score, entry.when, entry.day, entry.swelling, entry.locking) == (4, "morning", day, True, False)
    log = client.get("/pain").text
    assert f"{day.isoformat()} · morning" in log and "4/10" in log and "swelling" in log


@pytest.mark.parametrize(
    ("fields", "sentence"),
    [
        ({"score": "11"}, "Score must be a whole number from 0 (no pain) to 10 (worst), got 11."),
        ({"score": "x"}, "Score must be a whole number from 0 (no pain) to 10 (worst), got &#39;x&#39;."),
        ({"score": "3", "when": "noon"}, "When must be one of during, after, morning, got &#39;noon&#39;."),
        ({"score": "3", "date": "2999-01-01"}, "Date 2999-01-01 is in the future"),
    ],
)
def test_bad_pain_input_is_one_sentence_and_nothing_is_stored(
    client: TestClient, rt: Runtime, fields: dict[str, str], sentence: str
) -> None:
    token = csrf(client.get("/pain").text)
    answer = client.post("/pain", data={"csrf_token": token, **fields})
    assert answer.status_code == 400
    assert sentence in answer.text
    assert list_pain(rt.db, rt.athlete_id) == []


def test_logging_a_same_day_sign_on_the_phone_says_what_to_do_now(client: TestClient, rt: Runtime) -> None:
    """PRODUCT.md "Referral": logging a red flag from the phone answers at once; calf pain is "get seen today"."""
    page = client.get("/pain")
    for field in ("hot_red_or_fever", "injury_swelling", "calf_pain", "numbness", "no_red_flags"):
        assert f'name="{field}"' in page.text
    answer = client.post("/pain", data={"csrf_token": csrf(page.text), "score": "3", "calf_pain": "1"})
    assert answer.status_code == 200 and 'id="do-now"' in answer.text
    assert "Get seen today (urgent care): calf pain or swelling needs a doctor now." in answer.text
    [entry] = list_pain(rt.db, rt.athlete_id)
    assert entry.calf_pain and not entry.swelling and not entry.no_red_flags
    assert "calf pain or swelling" in client.get("/pain").text
    both = client.post(
        "/pain", data={"csrf_token": csrf(answer.text), "score": "0", "calf_pain": "1", "no_red_flags": "1"}
    )
    assert both.status_code == 400 and "No-red-flags says none of the signs is there" in both.text


def test_week_page_shows_the_referral_first_and_the_red_flag_pause(client: TestClient, rt: Runtime) -> None:
    empty = client.get("/")
    assert empty.status_code == 200 and "No knee-risk flags this week." in empty.text
    assert "Next 7 days" in empty.text and 'src="/chart.png"' in empty.text
    token = csrf(client.get("/pain").text)
    client.post("/pain", data={"csrf_token": token, "score": "6", "giving_way": "1"})
    page = client.get("/").text
    referral, phase, flags = page.index('id="referral"'), page.index('id="phase"'), page.index('id="flags"')
    assert referral < phase < flags  # the referral, then the phase (Paused) and today, then the flags
    assert "Paused" in page[phase:flags] and "Today:" in page[phase:flags]
    assert 'id="caps"' not in page  # no caps while running is paused
    assert "red_flag" not in page  # codes are for --json; the page says it in words
    assert "Step 1" in page and "strength 0/3" in page


def test_chart_is_a_png(client: TestClient) -> None:
    answer = client.get("/chart.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG\r\n\x1a\n")


def _import_one_run(rt: Runtime, tmp_path: Path) -> int:
    day = rt.settings.today() - timedelta(days=2)
    start = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
    points = track_from_segments([(5000.0, 0.0)], speed=3.0, interval_s=5.0, noise_m=0.2, seed=7)
    path = tmp_path / "run.fit"
    write_activity(path, points, start=start, utc_offset_s=0)
    from advisor.services.importing import import_paths

    summary = import_paths(rt.import_context("file"), [path])
    [result] = summary.results
    [activity_id] = result.activity_ids
    return activity_id


def test_activities_list_detail_and_exclude_include(client: TestClient, rt: Runtime, tmp_path: Path) -> None:
    activity_id = _import_one_run(rt, tmp_path)
    listing = client.get("/activities").text
    assert f'href="/activities/{activity_id}"' in listing and "running" in listing
    detail = client.get(f"/activities/{activity_id}")
    assert detail.status_code == 200 and "distance" in detail.text and "Exclude this activity" in detail.text
    answer = client.post(
        f"/activities/{activity_id}/exclude", data={"csrf_token": csrf(detail.text)}, follow_redirects=False
    )
    assert answer.status_code == 303
    from advisor.services.corrections import get_activity

    assert get_activity(rt.db, rt.athlete_id, activity_id).excluded is True
    again = client.get(f"/activities/{activity_id}").text
    assert "Include it again" in again
    client.post(f"/activities/{activity_id}/include", data={"csrf_token": csrf(again)})
    assert get_activity(rt.db, rt.athlete_id, activity_id).excluded is False
    assert client.get("/activities/999999").status_code == 404


def test_rehab_checklist_logs_a_session(client: TestClient, rt: Runtime) -> None:
    page = client.get("/rehab")
    assert 'value="clamshell"' in page.text and 'value="hamstring_stretch"' in page.text
    token = csrf(page.text)
    nothing = client.post("/rehab", data={"csrf_token": token, "note": "tired"})
    assert nothing.status_code == 400 and "Tick at least one move" in nothing.text
    assert list_rehab(rt.db, rt.athlete_id) == []
    answer = client.post(
        "/rehab",
        data={"csrf_token": token, "strength_move": ["clamshell", "donkey_kick"], "pain": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    [row] = list_rehab(rt.db, rt.athlete_id)
    assert (row.strength, row.mobility, row.pain) == (True, False, 1)
    assert "strength 1/3" in client.get("/").text


def test_assessment_is_recorded(client: TestClient, rt: Runtime) -> None:
    token = csrf(client.get("/assessed").text)
    assert client.post("/assessed", data={"csrf_token": token}).status_code == 400
    day = rt.settings.today() - timedelta(days=3)
    answer = client.post(
        "/assessed",
        data={"csrf_token": token, "cleared": "yes", "date": day.isoformat(), "note": "patellofemoral, no tear"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    [row] = list_assessments(rt.db, rt.athlete_id)
    assert (row.cleared, row.note) == (True, "patellofemoral, no tear")


@pytest.mark.parametrize("activity_id", ["2147483648", "9223372036854775808", "12345678901234567890123", "9" * 5000])
def test_an_activity_id_no_database_can_hold_is_404(client: TestClient, activity_id: str) -> None:
    """Beyond PostgreSQL's integer (2^31), SQLite's (2^63) or Python's digit limit: no such activity, not a 500."""
    page = client.get(f"/activities/{activity_id}")
    assert page.status_code == 404 and "No such activity" in page.text
    token = csrf(client.get("/pain").text)
    for action in ("exclude", "include"):
        answer = client.post(f"/activities/{activity_id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404 and "No such activity" in answer.text


def test_a_form_sent_twice_is_stored_once(client: TestClient, rt: Runtime) -> None:
    """A double tap on "Log": the second submission of the same form gets the first one's redirect."""
    token = csrf(client.get("/pain").text)
    fields = {"csrf_token": token, "score": "4", "calf_pain": "1"}
    first, second = (client.post("/pain", data=fields, follow_redirects=False) for _ in range(2))
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"] == "/pain?logged=1&signs=calf_pain"
    assert len(list_pain(rt.db, rt.athlete_id)) == 1
    token = csrf(client.get("/assessed").text)
    for _ in range(2):
        client.post("/assessed", data={"csrf_token": token, "cleared": "no"})
    token = csrf(client.get("/rehab").text)
    for _ in range(2):
        client.post("/rehab", data={"csrf_token": token, "mobility_move": "hamstring_stretch"})
    assert len(list_assessments(rt.db, rt.athlete_id)) == 1 and len(list_rehab(rt.db, rt.athlete_id)) == 1
    # Another rendering of the form is another form: it is stored.
    client.post("/pain", data={**fields, "csrf_token": csrf(client.get("/pain").text)})
    assert len(list_pain(rt.db, rt.athlete_id)) == 2


def test_a_double_tap_whose_posts_arrive_together_is_stored_once(rt: Runtime) -> None:
    """The second POST arrives while the first is being stored: it waits for the first's outcome."""
    import asyncio

    import httpx2

    async def double_tap() -> list[httpx2.Response]:
        transport = httpx2.ASGITransport(app=create_app(rt.settings, runtime=rt))
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            token = csrf((await client.get("/pain")).text)
            fields = {"csrf_token": token, "score": "2", "note": "one tap too many"}
            return await asyncio.gather(*(client.post("/pain", data=fields) for _ in range(4)))

    answers = asyncio.run(double_tap())
    assert [a.status_code for a in answers] == [303] * 4
    assert {a.headers["location"] for a in answers} == {"/pain?logged=1"}
    assert [entry.note for entry in list_pain(rt.db, rt.athlete_id)] == ["one tap too many"]
