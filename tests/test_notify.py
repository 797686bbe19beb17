"""Notifications on the runner's phone, through Apprise posting to a real HTTP sink on loopback that each test starts
(`json://127.0.0.1:PORT/path`): a nudge after each new run, a morning prompt, a red flag, a change of phase — each
event once, even with two daemons on one PostgreSQL; a dead service retried, then given up, never blocking a round.

Every `now` is passed in (never a sleep); the histories are a few runs stored straight into the database, or one FIT
file dropped into the inbox where the test is about the daemon importing it.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from physio import Run, fit_bytes
from starlette.testclient import TestClient
from stored import store_runs
from typer.testing import CliRunner

from advisor.bootstrap import Runtime
from advisor.cli import cli_app
from advisor.config import load_settings
from advisor.config_servers import split_urls
from advisor.errors import ConfigError
from advisor.services.athletes import add_athlete
from advisor.services.knee import PainInput, log_pain
from advisor.services.notify import MAX_ATTEMPTS, NotifyFailed, notify_round
from advisor.store.jobruns import list_job_runs
from advisor.web.app import create_app
from jobs.daemon import run_once

THU = date(2026, 12, 3)  # a Thursday; the runner lives in Berlin (UTC+1 in December)
WED = THU - timedelta(days=1)
BERLIN = "Europe/Berlin"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at `hour:minute` in Berlin, as the UTC instant a round is given (UTC+1 in December)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


class Sink:
    """A loopback HTTP server that records every POST (path and the message Apprise's JSON carries) and answers
    `status`."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.posts.append((self.path, json.loads(body)["message"]))
                self.send_response(sink.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "runner") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self.posts]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sink: Sink, isolated_home: Path) -> pytest.MonkeyPatch:
    """A runner in Berlin whose notifications go to the sink; short timeouts, so a dead service costs little."""
    monkeypatch.setenv("ADVISOR_PROFILE__TIMEZONE", BERLIN)
    monkeypatch.setenv("ADVISOR_NOTIFY__URLS", sink.url())
    monkeypatch.setenv("ADVISOR_NOTIFY__TIMEOUT_S", "1")
    return monkeypatch


def runtime(url: str | None = None, athlete: str | None = None) -> Runtime:
    settings = load_settings(**({"database": {"url": url}} if url else {}))
    return Runtime.for_athlete(settings, athlete)


def log(rt: Runtime, day: date, score: int, when: str = "after", **signs: bool) -> None:
    log_pain(rt.db, rt.athlete_id, PainInput(score=score, when=when, day=day, **signs), day)


def query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query)


def link_in(message: str) -> str:
    return message.rsplit("Log it: ", 1)[1]


def test_a_run_dropped_into_the_inbox_is_nudged_once_and_the_link_opens_the_filled_form(
    env: pytest.MonkeyPatch, sink: Sink, isolated_home: Path
) -> None:
    # Thursday's 8.2 km (07:00 local) dropped into the inbox; the daemon's round at 09:00 imports it and nudges.
    inbox = isolated_home / "inbox"
    isolated_home.mkdir(mode=0o700)
    inbox.mkdir()
    fit = inbox / "thursday.fit"
    fit.write_bytes(fit_bytes(Run(THU, 8.2, offset_s=3600)))
    os.utime(fit, (fit.stat().st_mtime - 120,) * 2)  # copied a while ago: settled
    settings = load_settings()

    assert run_once(settings, now=at(THU, 9)) == 0
    rt = runtime()
    runs = {r.name: r for r in list_job_runs(rt.db)}
    assert runs["inbox"].last_result.startswith("1 file imported")
    assert runs["notify"].last_result == "1 notification sent."
    assert run_once(settings, now=at(THU, 9, 10)) == 0  # the next scan: nothing new to tell

    assert len(sink.messages) == 1, sink.messages
    message = sink.messages[0]
    # 8.2 km as the watch measured it, to one decimal.
    assert message.startswith("How was your knee on today's 8.2 km? Log it: http://127.0.0.1:8765/pain?")
    link = link_in(message)
    assert query(link) == {"date": ["2026-12-03"], "when": ["after"]}

    with TestClient(create_app(rt.settings, runtime=rt)) as c:
        parts = urlsplit(link)
        page = c.get(f"{parts.path}?{parts.query}").text
        ignored = c.get("/pain?date=not-a-day&when=sideways").text
    assert 'name="date" type="date" value="2026-12-03"' in page
    assert 'name="when" value="after" checked' in page
    assert 'name="when" value="after" checked' in ignored  # the form's own default
    assert f'name="date" type="date" value="{rt.settings.today().isoformat()}"' in ignored


def test_the_nudge_is_in_the_runners_miles_and_names_yesterdays_run(
    env: pytest.MonkeyPatch, sink: Sink, isolated_home: Path
) -> None:
    env.setenv("ADVISOR_PROFILE__UNITS", "mi")
    rt = runtime()
    _ = rt.athlete_id
    store_runs(rt.settings.database_url, rt.athlete_name, [(WED, 8.2)])

    # Before the morning prompt's hour (8): yesterday's run is still asked about, as 8.2 / 1.609344 = 5.095 mi.
    assert notify_round(rt, at(THU, 7)) == "1 notification sent."
    assert sink.messages == [
        "How was your knee on yesterday's 5.1 mi? Log it: http://127.0.0.1:8765/pain?date=2026-12-02&when=after"
    ]


def test_the_morning_prompt_comes_after_a_run_day_from_the_hour_on_until_a_morning_score_is_logged(
    env: pytest.MonkeyPatch, sink: Sink
) -> None:
    env.setenv("ADVISOR_NOTIFY__AFTER_RUN", "false")  # this test is about the morning prompt alone
    env.setenv("ADVISOR_NOTIFY__ALERTS", "false")
    rt = runtime()
    _ = rt.athlete_id
    store_runs(rt.settings.database_url, rt.athlete_name, [(WED, 6.0), (THU, 6.0)])

    assert notify_round(rt, at(THU, 7, 59)) == "Nothing new to tell the runner."  # before 08:00
    assert notify_round(rt, at(THU, 8, 5)) == "1 notification sent."
    assert notify_round(rt, at(THU, 9)) == "Nothing new to tell the runner."  # once a morning
    assert sink.messages == [
        "Good morning: how is your knee after yesterday's run? "
        "Log it: http://127.0.0.1:8765/pain?date=2026-12-03&when=morning"
    ]
    fri = THU + timedelta(days=1)
    log(rt, fri, 1, "morning")  # Friday: logged at 07:30, before the prompt
    assert notify_round(rt, at(fri, 8, 30)) == "Nothing new to tell the runner."
    sat = fri + timedelta(days=1)  # no run on Friday: no prompt on Saturday
    assert notify_round(rt, at(sat, 8, 30)) == "Nothing new to tell the runner."
    store_runs(rt.settings.database_url, rt.athlete_name, [(sat, 5.0)])
    sun = sat + timedelta(days=1)
    assert notify_round(rt, at(sun, 15)) == "Nothing new to tell the runner."  # 15:00: no "good morning" now
    assert len(sink.messages) == 1


def nine_easy_days_to_monday() -> Runtime:
    """Nine easy 6 km days up to Monday, none since (no run to nudge about on Wednesday or Thursday), and a first
    round on Thursday morning, which sends nothing: it only remembers the phase (Build)."""
    rt = runtime()
    _ = rt.athlete_id
    store_runs(rt.settings.database_url, rt.athlete_name, [(THU - timedelta(days=d), 6.0) for d in range(3, 12)])
    assert notify_round(rt, at(THU, 9)) == "Nothing new to tell the runner."
    return rt


def test_a_red_flag_is_one_line_and_the_pause_it_starts_is_no_second_message(
    env: pytest.MonkeyPatch, sink: Sink
) -> None:
    rt = nine_easy_days_to_monday()  # the first round only remembers the phase

    log(rt, THU, 4, swelling=True)
    assert notify_round(rt, at(THU, 19)) == "1 notification sent."
    assert notify_round(rt, at(THU, 19, 10)) == "Nothing new to tell the runner."
    assert sink.messages == [
        "Red flag logged on Thu 3 Dec (swelling): stop running and have the knee assessed by a physiotherapist or "
        "doctor; until then, only non-impact work that stays within 2/10."
    ]


def test_a_flare_moves_the_knee_to_settle_in_one_line_and_the_first_round_sends_nothing(
    env: pytest.MonkeyPatch, sink: Sink
) -> None:
    rt = nine_easy_days_to_monday()
    assert sink.messages == []

    log(rt, THU - timedelta(days=3), 6)  # Monday's run hurt 6/10: a flare that did not settle, so no running
    assert notify_round(rt, at(THU, 19)) == "1 notification sent."
    assert notify_round(rt, at(THU, 19, 10)) == "Nothing new to tell the runner."
    assert len(sink.messages) == 1
    assert sink.messages[0].startswith("Your knee moves from Build to Settle: ")


def test_a_dead_service_is_retried_on_later_rounds_then_given_up_and_shown_while_the_inbox_still_runs(
    env: pytest.MonkeyPatch, sink: Sink
) -> None:
    sink.status = 500
    day = datetime.now(UTC).date() - timedelta(days=1)  # `daemon status` names what was given up this week
    rt = runtime()
    _ = rt.athlete_id
    store_runs(rt.settings.database_url, rt.athlete_name, [(day, 8.2)])
    settings = load_settings()

    # Rounds of the daemon as cron runs them: at 09:00, then past each wait (2, 10, 30 minutes).
    rounds = [at(day, 9), at(day, 9, 1), at(day, 9, 3), at(day, 9, 14), at(day, 9, 45), at(day, 10, 30)]
    codes = [run_once(settings, now=now) for now in rounds]

    assert codes == [1, 0, 1, 1, 1, 0]  # the 09:01 round was before the first retry, 10:30 after it was given up
    assert len(sink.posts) == MAX_ATTEMPTS == 4
    runs = {r.name: r for r in list_job_runs(rt.db)}
    assert runs["inbox"].last_success_at is not None  # the inbox scan ran every round all the same
    status = CliRunner().invoke(cli_app(), ["daemon", "status"])
    assert status.exit_code == 0
    line = next(line for line in status.stdout.splitlines() if line.startswith("Notification given up"))
    assert "after 4 attempts" in line and "How was your knee on today's 8.2 km?" in line
    assert "500" in line
    listed = CliRunner().invoke(cli_app(), ["notify", "status"]).stdout
    assert "given up  How was your knee on today's 8.2 km? Log it: " in listed


def test_a_claim_whose_sender_died_mid_send_is_given_up_never_sent_again(env: pytest.MonkeyPatch, sink: Sink) -> None:
    from advisor.store.notifications import claim

    rt = runtime()
    _ = rt.athlete_id
    store_runs(rt.settings.database_url, rt.athlete_name, [(THU, 8.2)])
    # The daemon that claimed the nudge for that run (the database's first activity, id 1) at 08:30 died before the
    # service answered: it may have been delivered.
    assert claim(rt.db, rt.athlete_id, "run:1", "run", "How was your knee…", at(THU, 8, 30), "gone:1") is not None
    with pytest.raises(NotifyFailed, match=r"1 given up \(its sender stopped mid-send\)"):
        notify_round(rt, at(THU, 9))
    assert notify_round(rt, at(THU, 9, 10)) == "Nothing new to tell the runner."
    assert sink.messages == []


def test_a_service_that_never_answers_costs_a_round_its_timeout_and_is_retried_later(
    env: pytest.MonkeyPatch, sink: Sink
) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections (the kernel's backlog), says nothing
    env.setenv("ADVISOR_NOTIFY__URLS", f"json://127.0.0.1:{silent.getsockname()[1]}/runner")
    env.setenv("ADVISOR_NOTIFY__TIMEOUT_S", "0.3")
    try:
        rt = runtime()
        _ = rt.athlete_id
        store_runs(rt.settings.database_url, rt.athlete_name, [(THU, 8.2)])
        outcome: list[BaseException | str] = []

        def round_() -> None:
            try:
                outcome.append(notify_round(rt, at(THU, 9)))
            except BaseException as error:
                outcome.append(error)

        worker = threading.Thread(target=round_, daemon=True)
        worker.start()
        worker.join(60)  # a guard against a hang, not a measure of time
        assert not worker.is_alive(), "the round hung on a service that never answers"
    finally:
        silent.close()
    assert isinstance(outcome[0], NotifyFailed)
    assert "1 not sent" in str(outcome[0]) and "again from 08:02 UTC" in str(outcome[0])


def test_two_daemons_on_one_postgresql_tell_each_event_once(
    env: pytest.MonkeyPatch, sink: Sink, postgres_url: str
) -> None:
    first, second = runtime(postgres_url), runtime(postgres_url)
    _ = first.athlete_id
    # Today's 6 km after a week of them (none yesterday, so no morning prompt): the 09:00 rounds race on its nudge.
    days = [THU, *(THU - timedelta(days=d) for d in range(2, 9))]
    store_runs(postgres_url, first.athlete_name, [(day, 6.0) for day in days])

    def race(now: datetime) -> list[str]:
        """Both daemons' rounds at once, each on its own engine."""
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def round_(rt: Runtime) -> None:
            start.wait()
            outcomes.append(notify_round(rt, now))

        threads = [threading.Thread(target=round_, args=(rt,)) for rt in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return sorted(outcomes)

    try:
        assert race(at(THU, 9)) == ["1 notification sent.", "Nothing new to tell the runner."]
        log(first, THU, 3, locking=True)
        assert race(at(THU, 19)) == ["1 notification sent.", "Nothing new to tell the runner."]
    finally:
        first.close()
        second.close()
    assert len(sink.messages) == 2
    assert sink.messages[0].startswith("How was your knee on today's 6.0 km?")
    assert sink.messages[1].startswith("Red flag logged on Thu 3 Dec (locking): stop running")


def test_the_queue_daemon_on_postgresql_tells_each_athlete_on_their_own_phone_once(
    env: pytest.MonkeyPatch, sink: Sink, postgres_url: str, isolated_home: Path
) -> None:
    env.setenv("ADVISOR_DATABASE__URL", postgres_url)
    env.setenv("ADVISOR_NOTIFY__URLS", sink.url("default"))
    settings = load_settings()
    main = Runtime(settings)
    for name in ("ana", "ben"):
        add_athlete(main.db, settings, name, {}, {})
    (isolated_home / "notify").mkdir()
    (isolated_home / "notify" / "ana").write_text(sink.url("ana") + "\n")  # Ben has not set his phone up
    # Each ran 5 km two hours ago (the daemon's clock is the real one here): by the real clock, today's or, just after
    # midnight, yesterday's run.
    start = datetime.now(UTC) - timedelta(hours=2)
    for name in ("ana", "ben"):
        Path(isolated_home / f"{name}.fit").write_bytes(
            fit_bytes(Run(start.date(), 5.0, local=start.time().replace(microsecond=0), offset_s=0))
        )
        imported = CliRunner().invoke(cli_app(), ["--athlete", name, "import", str(isolated_home / f"{name}.fit")])
        assert imported.exit_code == 0, imported.stdout

    for _ in range(2):  # a second round tells nothing again
        once = CliRunner().invoke(cli_app(), ["daemon", "--once"], catch_exceptions=False)
        assert once.exit_code == 0, once.stdout + once.stderr
    main.close()
    assert [path for path, _ in sink.posts] == ["/ana"]
    assert sink.messages[0].split(" 5.0 km? ")[0] in (f"How was your knee on {d}'s" for d in ("today", "yesterday"))


def test_notify_test_says_which_services_took_it_and_exits_by_the_outcome(
    env: pytest.MonkeyPatch, sink: Sink, isolated_home: Path
) -> None:
    app = cli_app()
    runner = CliRunner()
    ok = runner.invoke(app, ["notify", "test"])
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout.startswith("Sent to JSON (json://127.0.0.1:")
    assert sink.posts == [("/runner", "advisor: a test notification. Your knee's nudges and alerts will come here.")]

    sink.status = 500
    down = runner.invoke(app, ["notify", "test"])
    assert down.exit_code == 1
    assert "Not sent to JSON" in down.stderr and "500" in down.stderr

    assert "Examples:" in runner.invoke(app, ["notify", "--help"]).stdout
    assert "Exit codes: 0" in runner.invoke(app, ["notify", "test", "--help"]).stdout
    env.delenv("ADVISOR_NOTIFY__URLS")
    none = runner.invoke(app, ["notify", "test"])
    assert none.exit_code == 2
    assert "no notification URL is set: set ADVISOR_NOTIFY__URLS" in none.stderr
    assert len(sink.posts) == 2


def test_a_clinics_athlete_is_told_on_their_own_phone_never_on_the_default_runners(
    env: pytest.MonkeyPatch, sink: Sink, isolated_home: Path
) -> None:
    settings = load_settings()
    main = Runtime(settings)
    add_athlete(main.db, settings, "ana", {}, {})
    ana = runtime(athlete="ana")
    store_runs(settings.database_url, "ana", [(THU, 5.0)])
    assert notify_round(ana, at(THU, 9)) == "Notifications are not set up."  # the default's URLs are not hers

    no_file = CliRunner().invoke(cli_app(), ["notify", "test", "--athlete", "ana"])
    assert no_file.exit_code == 2 and str(isolated_home / "notify" / "ana") in no_file.stderr

    (isolated_home / "notify").mkdir()
    (isolated_home / "notify" / "ana").write_text(f"# Ana's phone\n{sink.url('ana')}\n")
    assert notify_round(ana, at(THU, 9)) == "1 notification sent."
    assert [path for path, _ in sink.posts] == ["/ana"]
    assert sink.messages[0].startswith("How was your knee on today's 5.0 km? Log it: ")
    assert notify_round(main, at(THU, 9)) == "Nothing new to tell the runner."  # the default runner did not run


def test_notification_urls_are_never_read_from_the_toml(tmp_path: Path) -> None:
    config = tmp_path / "advisor.toml"
    config.write_text('[notify]\nurls = "ntfys://ntfy.sh/secret-topic"\n')
    with pytest.raises(ConfigError, match=r"set ADVISOR_NOTIFY__URLS or notify\.urls_file instead"):
        load_settings(config)


def test_urls_are_split_between_urls_never_inside_one() -> None:
    mail = "mailtos://me:pw@mail.example?to=a@x.org,b@y.org"
    assert split_urls(f"ntfys://ntfy.sh/t1, {mail} tgram://123/456") == ["ntfys://ntfy.sh/t1", mail, "tgram://123/456"]
    assert split_urls('["json://h/a", "json://h/b"]') == ["json://h/a", "json://h/b"]
    assert split_urls("# phone\njson://h/a\n\n") == ["json://h/a"]


def test_a_red_flag_logged_at_the_terminal_or_on_the_phone_is_told_at_once(env: pytest.MonkeyPatch, sink: Sink) -> None:
    """No waiting for the daemon's next scan: the command (and the form, once its answer is sent) runs the round;
    the daemon's own round afterwards has nothing left to tell."""
    rt = runtime()
    _ = rt.athlete_id
    today = rt.settings.today()
    store_runs(rt.settings.database_url, rt.athlete_name, [(today - timedelta(days=d), 6.0) for d in range(2, 9)])
    notify_round(rt)  # the phase is remembered (Build), nothing sent
    logged = CliRunner().invoke(cli_app(), ["pain", "log", "--score", "4", "--swelling"], catch_exceptions=False)
    assert logged.exit_code == 0, logged.output
    assert "Notifications: 1 notification sent." in logged.output
    assert len(sink.messages) == 1 and sink.messages[0].startswith(f"Red flag logged on {today:%a %-d %b} (swelling)")

    with TestClient(create_app(rt.settings, runtime=rt)) as phone:
        form = phone.get("/pain").text
        token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        sent = phone.post("/pain", data={"csrf_token": token, "score": "5", "locking": "1"}, follow_redirects=False)
        assert sent.status_code == 303
    assert len(sink.messages) == 2 and "(locking)" in sink.messages[1]
    assert notify_round(rt) == "Nothing new to tell the runner."
