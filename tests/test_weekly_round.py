"""The weekly round at a clinic's scale: what is kept of a sent mail, and for how long.

A sent mail is the runner's (in their mailbox): its bytes are dropped once the server took it, and its record (the
week was sent: never send it twice) goes after a year. A runner who asks for a sent week again gets it built anew.
Real SMTP server on loopback (STARTTLS + AUTH), both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smtp_server import SmtpTestServer
from sqlalchemy import select, update
from test_summary import RUNNER, WEEK, cert, queue_summary, runtime, seed_history, server  # noqa: F401 (fixtures)

from advisor.mail import pool
from advisor.services.outbox import send_pending
from advisor.store.models import OutboxMail


def stored_rows(rt) -> dict[str, tuple[str, int]]:
    """Each week's status and the size of the bytes it keeps."""
    with rt.db.transaction() as session:
        rows = session.execute(select(OutboxMail.week, OutboxMail.status, OutboxMail.message)).all()
    return {week: (status, len(message)) for week, status, message in rows}


def test_a_sent_mail_keeps_its_record_not_its_bytes(cli, server: SmtpTestServer) -> None:  # noqa: F811
    rt = runtime()
    seed_history(rt)
    queued = queue_summary(rt, WEEK)
    assert len(queued.message) > 10_000, "the chart is inside the queued mail"
    assert stored_rows(rt)[WEEK] == ("pending", len(queued.message))
    assert send_pending(rt) == [f"Sent the summary for {WEEK} to {RUNNER}."]
    assert stored_rows(rt)[WEEK] == ("sent", 0)

    again = cli("summary", "--week", WEEK, "--send")
    assert again.exit_code == 0 and "already sent" in again.stdout, "the record still says it was sent"
    assert len(server.messages) == 1

    resent = cli("summary", "--week", WEEK, "--send", "--resend")
    assert resent.exit_code == 0, resent.stderr
    assert f"Sent the summary for {WEEK} to {RUNNER}." in resent.stdout
    assert len(server.messages) == 2, "asked for again, the week is built anew and sent"
    first, second = (m.parse() for m in server.messages)
    assert first["Subject"] == second["Subject"]
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    assert stored_rows(rt)[WEEK] == ("sent", 0)
    rt.close()


def test_a_record_older_than_a_year_goes_at_the_next_round(server: SmtpTestServer) -> None:  # noqa: F811
    rt = runtime()
    seed_history(rt)
    for week in ("2025-W08", "2025-W09", WEEK):
        queue_summary(rt, week)
    send_pending(rt)
    now = datetime.now(UTC)
    with rt.db.transaction() as session:
        for week, days in (("2025-W08", 400), ("2025-W09", 300)):
            sent_at = now - timedelta(days=days)
            session.execute(update(OutboxMail).where(OutboxMail.week == week).values(sent_at=sent_at))
    assert send_pending(rt) == []
    assert set(stored_rows(rt)) == {"2025-W09", WEEK}, "400 days: gone; 300 days: kept"
    rt.close()


def test_a_round_logs_in_once_and_a_dropped_connection_is_opened_again(server: SmtpTestServer) -> None:  # noqa: F811
    """Three weeks waiting go out over one connection (one TLS handshake and login, not three); when the server
    has dropped it since (a restart), the next mail opens a new one and is delivered, not reported as failed."""
    pool.close_all()
    rt = runtime()
    seed_history(rt)
    weeks = ["2025-W08", "2025-W09", WEEK]
    for week in weeks:
        queue_summary(rt, week)
    assert send_pending(rt) == [f"Sent the summary for {week} to {RUNNER}." for week in weeks]
    assert len({m.connection for m in server.messages}) == 1

    server.stop()  # the kept connection dies with the server
    server.start()
    queue_summary(rt, "2025-W11")
    assert send_pending(rt) == [f"Sent the summary for 2025-W11 to {RUNNER}."]
    assert [m.parse()["Subject"] != "" for m in server.messages] == [True] * 4
    assert len({m.connection for m in server.messages}) == 2, "a new connection after the restart"
    pool.close_all()
    rt.close()
