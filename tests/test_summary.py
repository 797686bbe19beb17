"""The weekly summary end to end: real FIT files imported, a real SMTP server (STARTTLS + AUTH) on loopback.

The numbers in the mail are checked against the stored activities, the MIME tree is parsed the way a mail client
would, and the outbox guarantees are exercised with the server down, then up, and across a restart.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path

import pytest
from fitgen import track_from_segments, write_activity
from smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SmtpTestServer, TlsFiles, make_self_signed_cert
from sqlalchemy import select, update

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.render.summary import render_summary
from advisor.services.importing import import_payload
from advisor.services.knee import PainInput, log_pain
from advisor.services.outbox import queue_summary as queue_with
from advisor.services.outbox import send_pending
from advisor.services.summary import SummaryError, parse_week, week_just_ended
from advisor.services.summary import build_summary as build_with
from advisor.store.models import Activity, OutboxMail


def build_summary(rt, week=None, today=None):
    return build_with(rt, render_summary, week, today)


def queue_summary(rt, week=None, today=None):
    return queue_with(rt, render_summary, week, today)


WEEK = "2025-W10"  # Monday 3 March - Sunday 9 March 2025
MONDAY = date(2025, 3, 3)
RUNNER = "runner@example.com"
NOTE = "<script>alert('x')</script> knee & hip"
ACTIVITY_NAME = "Hill <b>repeats</b>"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(cert: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpTestServer]:
    """A STARTTLS + AUTH server, and the configuration that points the advisor at it.

    SSL_CERT_FILE makes the default TLS context (what the advisor uses) trust the test certificate, with full
    certificate and host name checks — nothing is switched off for the test.
    """
    with SmtpTestServer("starttls", cert=cert) as smtp:
        for key, value in {
            "ADVISOR_SMTP__HOST": smtp.host,
            "ADVISOR_SMTP__PORT": str(smtp.port),
            "ADVISOR_SMTP__SECURITY": "starttls",
            "ADVISOR_SMTP__USERNAME": DEFAULT_USERNAME,
            "ADVISOR_SMTP__PASSWORD": DEFAULT_PASSWORD,
            "ADVISOR_SMTP__SENDER": "Knee Advisor <advisor@example.com>",
            "ADVISOR_PROFILE__EMAIL": RUNNER,
            "SSL_CERT_FILE": str(cert.cert),
        }.items():
            monkeypatch.setenv(key, value)
        yield smtp


def runtime() -> Runtime:
    return Runtime(load_settings())


@lru_cache(maxsize=64)
def fit_run(day: date, km: float, downhill_m: float = 0.0) -> bytes:
    """A generated FIT run at 07:00 UTC: flat `km`, ending with `downhill_m` metres at -12 % (steep downhill).

    Cached because writing FIT files is the slow part of these tests, and every test seeds the same history.
    """
    segments = [(km * 1000 - downhill_m, 0.0)] + ([(downhill_m, -0.12)] if downhill_m else [])
    points = track_from_segments(segments, speed=3.0, interval_s=10.0, noise_m=0.0)
    start = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
    return write_activity(None, points, start=start, utc_offset_s=0)


def add_run(rt: Runtime, day: date, km: float, *, downhill_m: float = 0.0) -> None:
    result = import_payload(rt.import_context(), f"{day}.fit", fit_run(day, km, downhill_m))
    assert result.status == "imported", result


def seed_history(rt: Runtime) -> None:
    """Five weeks of running up to and including WEEK, some pain, and a note with markup in it."""
    for w in range(5):
        monday = MONDAY - timedelta(weeks=4 - w)
        add_run(rt, monday + timedelta(days=1), 5.0)
        add_run(rt, monday + timedelta(days=3), 6.0, downhill_m=400 if w == 4 else 0)
        add_run(rt, monday + timedelta(days=5), 8.0 + w)
    log_pain(
        rt.db, rt.athlete_id, PainInput(score=4, when="after", day=MONDAY + timedelta(days=5), note=NOTE), date.today()
    )
    log_pain(rt.db, rt.athlete_id, PainInput(score=1, when="morning", day=MONDAY + timedelta(days=6)), date.today())
    with rt.db.transaction() as session:
        session.execute(
            update(Activity).where(Activity.start_utc == datetime(2025, 3, 8, 7, tzinfo=UTC)).values(name=ACTIVITY_NAME)
        )


def week_activities(rt: Runtime) -> list[Activity]:
    start = datetime(2025, 3, 3, tzinfo=UTC)
    with rt.db.transaction() as session:
        return list(
            session.scalars(
                select(Activity).where(Activity.start_utc >= start, Activity.start_utc < start + timedelta(days=7))
            )
        )


def parts(msg: EmailMessage) -> tuple[str, str, EmailMessage]:
    """(text, html, png part) found the way a mail client does, after checking the tree's shape."""
    assert msg.get_content_type() == "multipart/alternative"
    text_part, related = msg.get_payload()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, png_part = related.get_payload()
    assert html_part.get_content_type() == "text/html"
    assert png_part.get_content_type() == "image/png"
    return text_part.get_content(), html_part.get_content(), png_part


def test_summary_send_delivers_one_mail_with_the_stored_numbers(cli, server: SmtpTestServer, database_url: str) -> None:
    rt = Runtime(load_settings(database={"url": database_url}))
    seed_history(rt)
    runs = week_activities(rt)
    rt.close()
    assert len(runs) == 3

    result = cli("summary", "--week", WEEK, "--send")
    assert result.exit_code == 0, result.stderr
    assert f"Sent the summary for {WEEK} to {RUNNER}" in result.stdout
    assert len(server.messages) == 1
    received = server.messages[0]
    assert received.tls and received.login == DEFAULT_USERNAME and received.rcpt_tos == (RUNNER,)

    msg = received.parse()
    assert WEEK in msg["Subject"]
    text, html, png_part = parts(msg)

    # The chart: inline, referenced from the HTML by its Content-ID, a real PNG.
    assert png_part["Content-ID"] == "<chart>"
    assert png_part.get_content_disposition() == "inline"
    assert png_part.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert '<img src="cid:chart" width="600"' in html

    # Numbers from the stored runs, as the runner reads them.
    distance_km = round(sum(a.distance_m for a in runs) / 1000, 2)
    longest_km = round(max(a.distance_m for a in runs) / 1000, 2)
    descent_m = round(sum(a.descent_m for a in runs), 1)
    steep_km = round(sum(a.distance_steep10_m for a in runs) / 1000, 2)
    assert 22.5 < distance_km < 23.5 and 11.5 < longest_km < 12.5 and descent_m > 40 and steep_km > 0.3
    for body in (text, html):
        assert f"{distance_km:.1f} km" in body
        assert f"{longest_km:.1f} km" in body
        assert f"{descent_m:.0f} m" in body
        assert f"{steep_km:.1f} km" in body
        assert "4/10" in body  # worst pain of the week
        assert "not a diagnosis" in body
        assert "Clamshell" in body and "3 × 15" in body.replace(" x ", " × ")
    assert re.search(rf"Distance: {distance_km:.1f} km of a \d+\.\d km cap, 3 runs", text)
    assert "Pain threshold" in text or "pain threshold" in text
    # The routine as its progress and the moves' names, not in full every week (issue 19): the steps are one
    # command or one tab away.
    assert "Straight leg raise" in text and "`advisor routine`" in text and "strength 0/3 sessions" in text
    assert "Why:" not in text and "hold 3-4 s" not in text

    # What the runner typed is escaped in HTML and kept as text in the plain part.
    assert "<script>" not in html and "<b>repeats</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; knee &amp; hip" in html
    assert "Hill &lt;b&gt;repeats&lt;/b&gt;" in html
    assert NOTE in text and ACTIVITY_NAME in text

    # Stored as sent, with one attempt.
    with Runtime(load_settings(database={"url": database_url})).db.transaction() as session:
        row = session.scalars(select(OutboxMail)).one()
    assert (row.week, row.status, row.attempts, row.last_error) == (WEEK, "sent", 1, None)
    assert row.sent_at is not None


def test_server_down_then_up_sends_exactly_one_mail(server: SmtpTestServer) -> None:
    rt = runtime()
    seed_history(rt)
    server.stop()
    row = queue_summary(rt, WEEK)
    assert row.status == "pending"

    outcome = send_pending(rt)
    assert len(outcome) == 1 and "still queued" in outcome[0] and "connection refused" in outcome[0]
    with rt.db.transaction() as session:
        stored = session.get(OutboxMail, row.id)
        assert stored is not None
        assert (stored.status, stored.attempts) == ("pending", 1)
        assert stored.last_error and "127.0.0.1" in stored.last_error
    assert DEFAULT_PASSWORD not in (stored.last_error or "")

    server.start()
    assert send_pending(rt) == [f"Sent the summary for {WEEK} to {RUNNER}."]
    assert send_pending(rt) == []
    assert len(server.messages) == 1
    with rt.db.transaction() as session:
        stored = session.get(OutboxMail, row.id)
        assert stored is not None and (stored.status, stored.attempts, stored.last_error) == ("sent", 2, None)


def test_a_restart_never_sends_the_same_week_twice(cli, server: SmtpTestServer, database_url: str) -> None:
    first = Runtime(load_settings(database={"url": database_url}))
    seed_history(first)
    row = queue_summary(first, WEEK)
    assert send_pending(first) and len(server.messages) == 1
    first.close()

    second = Runtime(load_settings(database={"url": database_url}))
    again = queue_summary(second, WEEK)
    assert again.id == row.id and again.status == "sent"
    assert send_pending(second) == []
    second.close()

    result = cli("summary", "--week", WEEK, "--send")
    assert result.exit_code == 0
    assert "already sent" in result.stdout
    assert len(server.messages) == 1


def test_a_message_is_stored_before_sending_and_resent_byte_for_byte(server: SmtpTestServer) -> None:
    rt = runtime()
    server.reject_data_with("451 4.3.0 try again later")
    row = queue_summary(rt, WEEK)
    assert "still queued" in send_pending(rt)[0]
    server.reject_data_with(None)
    send_pending(rt)
    assert len(server.messages) == 1
    sent = server.messages[0].parse()
    stored = server.messages[0].data.replace(b"\r\n", b"\n")
    assert sent["Message-ID"] and sent["Message-ID"].encode() in row.message
    assert row.message.split(b"\n\n", 1)[1].strip()[:200] in stored


def test_preview_writes_a_standalone_page_with_the_chart_embedded(cli, tmp_path: Path) -> None:
    rt = runtime()
    seed_history(rt)
    rt.close()
    out = tmp_path / "summary.html"
    result = cli("summary", "--week", WEEK, "--preview", str(out))
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert "cid:" not in html
    match = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="600"', html)
    assert match and base64.b64decode(match[1]).startswith(b"\x89PNG")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "red-flag" not in html


def test_red_flag_banner(tmp_path: Path) -> None:
    rt = runtime()
    seed_history(rt)
    log_pain(rt.db, rt.athlete_id, PainInput(score=3, day=MONDAY + timedelta(days=6), swelling=True), date.today())
    rendered = build_summary(rt, WEEK)
    assert "red flag" in rendered.subject.lower()
    assert 'class="red-flag"' in rendered.html
    assert "RED FLAG" in rendered.text
    assert "swelling" in rendered.text


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"ADVISOR_PROFILE__EMAIL": RUNNER}, "smtp.host"),
        ({"ADVISOR_SMTP__HOST": "127.0.0.1"}, "profile.email"),
    ],
)
def test_send_without_mail_settings_is_one_sentence_exit_2(
    cli, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = cli("summary", "--send")
    assert result.exit_code == 2
    assert missing in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_usage_errors(cli) -> None:
    assert cli("summary").exit_code == 2
    assert cli("summary", "--send", "--preview", "x.html").exit_code == 2
    bad = cli("summary", "--week", "2025-10", "--preview", "x.html")
    assert bad.exit_code == 2 and "ISO week" in bad.stderr
    assert cli("summary", "--week", "2025-W54", "--preview", "x.html").exit_code == 2


def test_weeks() -> None:
    assert parse_week("2026-W01") == date(2025, 12, 29)
    assert week_just_ended(date(2026, 3, 9)) == "2026-W10"  # a Monday: the week that ended yesterday
    assert week_just_ended(date(2026, 3, 14)) == "2026-W10"  # a Saturday: still last week
    assert week_just_ended(date(2026, 3, 15)) == "2026-W11"  # a Sunday: the week ending today
    assert week_just_ended(date(2026, 1, 1)) == "2025-W52"
    with pytest.raises(SummaryError):
        parse_week("2026-W1")


def test_this_weeks_advice_is_as_of_the_moment_the_mail_is_built(tmp_path: Path) -> None:
    """Last week is the finished ISO week; the advice is as of the send day, so a swelling logged on Monday
    morning, before Monday's mail is built, pauses running in that mail."""
    rt = runtime()
    seed_history(rt)
    send_day = MONDAY + timedelta(days=7)
    log_pain(rt.db, rt.athlete_id, PainInput(score=2, when="morning", day=send_day, swelling=True), send_day)
    rendered = build_summary(rt, WEEK, today=send_day)
    assert rendered.view.report.as_of == send_day and rendered.view.report.paused
    assert rendered.view.last_week.week == WEEK and rendered.view.last_week.runs == 3
    assert "RED FLAG" in rendered.text and "Running advice is paused" in rendered.text
    # Built on the Sunday itself (before the swelling), the same week's mail has no red flag.
    early = build_summary(rt, WEEK, today=MONDAY + timedelta(days=6))
    assert not early.view.report.paused and "RED FLAG" not in early.text


def test_every_flag_cap_and_advice_item_shown_has_its_source_as_a_footnote() -> None:
    """Each flag, cap and piece of advice the mail shows carries a mark, each mark names its source at the foot
    of both parts, and no source is listed that nothing on the page points to (a phone screen is short)."""
    rt = runtime()
    seed_history(rt)
    rendered = build_summary(rt, WEEK, today=MONDAY + timedelta(days=7))
    report = rendered.view.report
    assert report.flags and report.advice
    body, notes = rendered.text.split("SOURCES", 1)
    marks = [int(m) for m in re.findall(r" \[(\d+)\]$", body, flags=re.MULTILINE)]
    assert marks and sorted(set(marks)) == list(range(1, max(marks) + 1)), "every footnote is marked, in order"
    listed = re.findall(r"^\[(\d+)\] (.+)$", notes, flags=re.MULTILINE)
    assert [int(n) for n, _ in listed] == sorted(set(marks))
    sources = dict((int(n), source) for n, source in listed)
    for flag in report.flags:
        number = next(n for n, source in sources.items() if source == flag.source)
        assert f"{flag.message} [{number}]" in rendered.text
        assert f'id="source-{number}"' in rendered.html
    cap = next(a for a in report.advice if a.code == "cap_weekly_distance")
    assert cap.source in sources.values(), "the weekly cap's rule is cited"
    unshown = next(a for a in report.advice if a.code == "rehab_routine")
    assert unshown.source not in sources.values() or any(
        a.source == unshown.source for a in report.advice if a.code != "rehab_routine"
    )


def test_the_mail_follows_profile_units(monkeypatch: pytest.MonkeyPatch) -> None:
    rt = runtime()
    seed_history(rt)
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", "mi")
    rendered = build_summary(Runtime(load_settings()), WEEK, today=MONDAY + timedelta(days=6))
    # week 2025-W10: 5 + 6 + 12 km = 23 km = 14.3 mi
    assert "14.3 mi" in rendered.subject and " km" not in rendered.subject
    assert "Distance: 14.3 mi" in rendered.text
