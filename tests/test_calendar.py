"""The plan in the runner's calendar: `advisor calendar url|reset` and the ICS feed `advisor serve` answers.

Real parts only: the CLI in-process, the web page served by Uvicorn on loopback (advisor.web.server.ServerThread)
with a password set, SQLite and PostgreSQL, and the feed read back with the `icalendar` library. Histories are
stored straight into the database (tests/stored.py) on days counted from the runner's real today, since the feed
plans from the day it is asked on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx2
import pytest
from icalendar import Calendar
from stored import store_runs
from typer.testing import CliRunner

from advisor.config import load_settings
from advisor.web.server import ServerThread

PASSWORD = "plan-Secret-2211"
BERLIN = "Europe/Berlin"
D = timedelta(days=1)


@dataclass
class Served:
    client: httpx2.Client
    database_url: str


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[Served]:
    """The web page with a password, serving the default athlete's page, on a free loopback port."""
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    monkeypatch.setenv("ADVISOR_SERVE__PASSWORD", PASSWORD)
    thread = ServerThread(load_settings(), "127.0.0.1", 0).start()
    try:
        with httpx2.Client(base_url=thread.url, timeout=30) as client:
            yield Served(client, database_url)
    finally:
        thread.stop()


@pytest.fixture
def served(cli, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", BERLIN)
    with serving(monkeypatch, database_url) as served:
        yield served


def today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def every_other_day_until_yesterday(today: date) -> list[tuple[date, float]]:
    """8 km every other day for 5 weeks up to yesterday: a steady knee, no run today yet."""
    return [(today - k * D, 8.0) for k in range(1, 36, 2)]


def path_of(url: str) -> str:
    return urlsplit(url.strip()).path


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_the_feed_opens_without_login_for_its_token_only(cli, served: Served) -> None:
    url = cli("calendar", "url").stdout
    assert url.startswith("http://127.0.0.1:8765/calendar/") and url.strip().endswith(".ics")
    store_runs(served.database_url, "default", every_other_day_until_yesterday(today_in(BERLIN)))
    client = served.client
    answer = client.get(path_of(url))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache" and answer.headers["etag"]
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"  # the gate is still on
    unknown = client.get(f"/calendar/{'A' * 43}.ics")
    malformed = client.get("/calendar/not-a-token.ics")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.text == malformed.text == "Not found.\n"  # no hint which one was closer
    assert client.get(path_of(url), headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding still out
    again = client.get(path_of(url), headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_feed_is_rfc_5545_all_day_events_stable_per_day_and_moves_with_a_new_run(cli, served: Served) -> None:
    url = cli("calendar", "url").stdout
    today = today_in(BERLIN)
    store_runs(served.database_url, "default", every_other_day_until_yesterday(today))
    first = served.client.get(path_of(url))
    calendar = Calendar.from_ical(first.content)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Knee plan" and str(calendar["X-WR-TIMEZONE"]) == BERLIN
    assert calendar.get("REFRESH-INTERVAL").dt == timedelta(hours=1)
    found = events(first.content)
    days = set()
    for event in found:
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date and end == start + D  # VALUE=DATE: all day, on the runner's local days
        assert event["UID"] and event.decoded("DTSTAMP").utcoffset() == timedelta(0)
        assert str(event["TRANSP"]) == "TRANSPARENT" and str(event["SUMMARY"]) and str(event["DESCRIPTION"])
        days.add(start)
    assert days == {today + k * D for k in range(7)}
    uids = [str(e["UID"]) for e in found]
    assert len(uids) == len(set(uids))
    # Fetched again the same day: the same events, under the same UIDs and ETag.
    second = served.client.get(path_of(url))
    assert [str(e["UID"]) for e in events(second.content)] == uids
    assert second.headers["etag"] == first.headers["etag"]
    # Yesterday's run leaves today free; a run stored today makes today "done" and the plan changes.
    running_today = [e for e in found if e.decoded("DTSTART") == today and "-run@" in str(e["UID"])]
    assert [str(e["SUMMARY"]) for e in running_today] != ["Done: you ran today"]
    store_runs(served.database_url, "default", [(today, 6.0)])
    third = served.client.get(path_of(url))
    assert third.headers["etag"] != first.headers["etag"]
    after = [e for e in events(third.content) if e.decoded("DTSTART") == today and "-run@" in str(e["UID"])]
    assert [str(e["SUMMARY"]) for e in after] == ["Done: you ran today"]
    assert [str(e["UID"]) for e in after] == [str(e["UID"]) for e in running_today]  # the same event, changed


def test_reset_makes_a_new_url_and_the_old_one_is_dead_at_once(cli, served: Served) -> None:
    old = cli("calendar", "url").stdout
    assert cli("calendar", "url").stdout == old  # the same URL every time it is asked for
    assert served.client.get(path_of(old)).status_code == 200
    result = cli("calendar", "reset")
    assert result.exit_code == 0 and result.stdout != old
    assert served.client.get(path_of(old)).status_code == 404
    assert served.client.get(path_of(result.stdout)).status_code == 200
    assert cli("calendar", "url").stdout == result.stdout


def test_the_url_says_when_a_phone_cannot_reach_it_and_uses_the_public_url(cli, monkeypatch) -> None:
    result = cli("calendar", "url")
    assert result.exit_code == 0 and "serve.public_url" in result.stderr and "127.0.0.1" in result.stderr
    monkeypatch.setenv("ADVISOR_SERVE__PUBLIC_URL", "https://knee.example.org/")
    public = cli("calendar", "url")
    assert public.stdout.startswith("https://knee.example.org/calendar/")
    assert path_of(public.stdout) == path_of(result.stdout) and "serve.public_url" not in public.stderr
    missing = cli("--athlete", "nobody", "calendar", "url")
    assert missing.exit_code == 2 and "nobody" in missing.stderr


@pytest.mark.postgres
def test_two_athletes_of_a_clinic_get_their_own_feeds_from_one_server(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor.cli import cli_app

    monkeypatch.setenv("ADVISOR_DATABASE__URL", postgres_url)
    app, runner = cli_app(), CliRunner()

    def advisor(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    advisor("athlete", "add", "ana", "--timezone", BERLIN)
    advisor("athlete", "add", "ben", "--timezone", "America/New_York", "--units", "mi")
    # Ana runs 8 km every other day up to yesterday; Ben has never run: his plan has no distances to give.
    store_runs(postgres_url, "ana", every_other_day_until_yesterday(today_in(BERLIN)))
    urls = {who: advisor("--athlete", who, "calendar", "url") for who in ("ana", "ben")}
    assert urls["ana"] != urls["ben"]
    with serving(monkeypatch, postgres_url) as server:
        feeds = {who: server.client.get(path_of(url)) for who, url in urls.items()}
        assert all(feed.status_code == 200 for feed in feeds.values())
        zones = {who: str(Calendar.from_ical(feed.content)["X-WR-TIMEZONE"]) for who, feed in feeds.items()}
        assert zones == {"ana": BERLIN, "ben": "America/New_York"}
        ana, ben = (events(feeds[who].content) for who in ("ana", "ben"))
        assert {str(e["UID"]).split("@")[1] for e in ana}.isdisjoint({str(e["UID"]).split("@")[1] for e in ben})
        assert any(" km " in str(e["SUMMARY"]) for e in ana)  # her runs, capped in km
        assert not any(" km " in str(e["SUMMARY"]) or " mi " in str(e["SUMMARY"]) for e in ben)
        assert {e.decoded("DTSTART") for e in ben} == {today_in("America/New_York") + k * D for k in range(7)}
        advisor("athlete", "remove", "ben", "--yes")  # his token goes with him
        assert server.client.get(path_of(urls["ben"])).status_code == 404
        assert server.client.get(path_of(urls["ana"])).status_code == 200
