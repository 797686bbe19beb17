"""The summary mail, end to end through a real SMTP server on loopback (see tests/smtp_server.py)."""

from __future__ import annotations

import logging
import re
import ssl
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from smtp_server import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    LATE_REPLY_S,
    Drop,
    SmtpTestServer,
    TlsFiles,
    make_self_signed_cert,
)

from advisor.mail.transport import MailError, build_message, send_message


def tiny_png(width: int = 2, height: int = 1) -> bytes:
    """A valid grey PNG, built by hand so these tests do not depend on the chart code."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = tiny_png()
TEXT = "Last week: 23.4 km of a 25.0 km cap. Longest run 9.1 km.\nPain ≤ 2/10 — keep going."
HTML = (
    "<html><body><h1>Your knee week</h1><p>Last week: <b>23.4 km</b> of a 25.0 km cap.</p>"
    '<img src="cid:chart@advisor" alt="12 weeks of distance"></body></html>'
)


def summary(to: str = "runner@example.com") -> EmailMessage:
    return build_message(
        "Your knee week: 23.4 km of 25.0 km",
        "Knee Advisor <advisor@example.com>",
        to,
        TEXT,
        HTML,
        {"chart@advisor": PNG},
        date=datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        message_id="<week-2026-13@advisor.example.com>",
    )


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(cert: TlsFiles) -> Iterator[SmtpTestServer]:
    with SmtpTestServer("starttls", cert=cert) as server:
        yield server


@pytest.fixture
def ssl_server(cert: TlsFiles) -> Iterator[SmtpTestServer]:
    with SmtpTestServer("ssl", cert=cert) as server:
        yield server


@pytest.fixture
def plain_server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer("none") as server:
        yield server


def send(server: SmtpTestServer, security: str, *, password: str = DEFAULT_PASSWORD, **kwargs: object) -> object:
    """send_message with the server's address, credentials and trusted certificate filled in."""
    options: dict[str, object] = {
        "username": DEFAULT_USERNAME if security != "none" else None,
        "password": password if security != "none" else None,
        "ssl_context": server.client_ssl_context() if server.cert else None,
        "timeout": 5,
        "local_hostname": "localhost",
    }
    message = kwargs.pop("message", None) or summary()
    options.update(kwargs)
    return send_message(message, server.host, server.port, security, **options)  # type: ignore[arg-type]


def assert_summary_mime(received: EmailMessage) -> None:
    """The tree mail clients need: alternative(text, related(html, png)), the png referenced by its cid."""
    assert received.get_content_type() == "multipart/alternative"
    text_part, related = received.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.iter_parts()
    assert html_part.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"

    text = text_part.get_content()
    assert "23.4 km of a 25.0 km cap" in text
    assert "≤ 2/10 — keep going" in text  # non-ASCII survives the trip
    html = html_part.get_content()
    assert "<b>23.4 km</b>" in html

    cid = image["Content-ID"].strip()
    assert cid.startswith("<") and cid.endswith(">")
    referenced = re.findall(r'src="cid:([^"]+)"', html)
    assert referenced == [cid[1:-1]]
    assert image.get_content() == PNG

    # get_body is what a client does to pick what to show.
    assert received.get_body(preferencelist=("html",)) is not None
    assert received.get_body(preferencelist=("plain",)).get_content() == text  # type: ignore[union-attr]


# -- building --------------------------------------------------------------------------------------------------


def test_build_message_structure_and_headers() -> None:
    msg = summary()
    assert_summary_mime(msg)
    assert msg["Subject"] == "Your knee week: 23.4 km of 25.0 km"
    assert msg["Message-ID"] == "<week-2026-13@advisor.example.com>"
    assert msg["Date"] == "Mon, 30 Mar 2026 07:00:00 +0000"
    # What the outbox stores (the bytes) parses back to the same tree.
    assert_summary_mime(message_from_bytes(bytes(msg), policy=policy.default))  # type: ignore[arg-type]


def test_build_message_defaults_and_multiple_recipients() -> None:
    msg = build_message("s", "advisor@example.com", ["a@example.com", "b@example.com"], "t", "<p>h</p>")
    assert msg["To"] == "a@example.com, b@example.com"
    assert msg["Message-ID"].endswith("@example.com>")
    assert msg["Date"]
    # Without images the HTML part is a plain alternative, no empty multipart/related.
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_bracketed_cid_is_accepted() -> None:
    msg = build_message("s", "a@example.com", "b@example.com", "t", '<img src="cid:chart">', {"<chart>": PNG})
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<chart>"


def test_unreferenced_image_is_a_bug() -> None:
    with pytest.raises(ValueError, match="not referenced"):
        build_message("s", "a@example.com", "b@example.com", "t", "<p>no image</p>", {"chart": PNG})


def test_text_that_looks_like_the_mails_own_boundaries_comes_back_whole() -> None:
    """The mail's boundaries are chosen without searching the parts for them: a text and an HTML whose lines are
    those very boundaries (and the "--" of a signature, and "=" signs, and a line with trailing blanks) still come
    back as written, the tree intact."""
    first = build_message("s", "a@example.com", "b@example.com", "t", '<img src="cid:chart">', {"chart": PNG})
    alternative, related = first.get_boundary(), first.get_payload()[1].get_boundary()
    assert alternative and related
    lines = [f"--{alternative}", f"--{related}--", "-- ", "== a = b ==", "tail blanks   ", "≤ 2/10 — ok"]
    text = "\n".join(lines) + "\n"
    html = '<img src="cid:chart">\n' + text
    msg = build_message("s", "a@example.com", "b@example.com", text, html, {"chart": PNG})
    msg.set_boundary(alternative)  # the first mail's boundaries, whose lines the parts now hold
    msg.get_payload()[1].set_boundary(related)
    back = message_from_bytes(bytes(msg), policy=policy.default)
    assert back.defects == []
    text_part, related_part = back.iter_parts()
    html_part, image = related_part.iter_parts()
    assert (text_part.get_content(), html_part.get_content(), image.get_content()) == (text, html, PNG)


# -- sending ---------------------------------------------------------------------------------------------------


def test_send_starttls_with_login(starttls_server: SmtpTestServer) -> None:
    assert send(starttls_server, "starttls") == {}
    [mail] = starttls_server.messages
    assert mail.tls and mail.login == DEFAULT_USERNAME
    assert mail.mail_from == "advisor@example.com"
    assert mail.rcpt_tos == ("runner@example.com",)
    assert_summary_mime(mail.parse())


def test_a_stored_message_goes_out_byte_for_byte(starttls_server: SmtpTestServer) -> None:
    """The outbox sends the bytes it stored, not a re-parse of them: what arrives is exactly what was stored (its
    line ends CRLF on the wire), and the envelope comes from its From and To headers, as for a message object."""
    stored = summary().as_bytes()
    assert b"\r\n" not in stored  # stored with bare LF: the sender must make them CRLF
    assert send(starttls_server, "starttls", message=stored) == {}
    [mail] = starttls_server.messages
    assert mail.mail_from == "advisor@example.com" and mail.rcpt_tos == ("runner@example.com",)
    assert mail.data.replace(b"\r\n", b"\n").rstrip(b"\n") == stored.rstrip(b"\n")
    assert_summary_mime(mail.parse())


def test_a_stored_message_with_a_bcc_is_refused_before_it_goes_out(starttls_server: SmtpTestServer) -> None:
    """A flattened message cannot have its Bcc header removed the way a message object's is: it is never sent."""
    message = summary()
    message["Bcc"] = "physio@example.com"
    with pytest.raises(ValueError, match="Bcc"):
        send(starttls_server, "starttls", message=message.as_bytes())
    assert starttls_server.messages == []


def test_send_implicit_ssl_with_login(ssl_server: SmtpTestServer) -> None:
    send(ssl_server, "ssl")
    [mail] = ssl_server.messages
    assert mail.tls and mail.login == DEFAULT_USERNAME
    assert_summary_mime(mail.parse())


def test_send_without_tls(plain_server: SmtpTestServer) -> None:
    send(plain_server, "none")
    [mail] = plain_server.messages
    assert not mail.tls and mail.login is None
    assert_summary_mime(mail.parse())


def test_wrong_password(starttls_server: SmtpTestServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailError) as info:
        send(starttls_server, "starttls", password="hunter2-wrong")
    assert str(info.value).startswith("the SMTP server rejected the login")
    assert "535" in str(info.value)
    assert info.value.temporary is False
    assert starttls_server.messages == []
    assert "hunter2-wrong" not in caplog.text
    assert "hunter2-wrong" not in str(info.value)


def test_server_down_then_up(cert: TlsFiles) -> None:
    server = SmtpTestServer("starttls", cert=cert)
    server.start()
    server.stop()
    with pytest.raises(MailError) as info:
        send(server, "starttls")
    assert str(info.value) == f"could not connect to 127.0.0.1:{server.port}: connection refused"
    assert info.value.temporary is True
    assert info.value.uncertain is False  # nothing was sent: retrying is safe

    server.start()  # same port again
    try:
        send(server, "starttls")
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_untrusted_certificate(starttls_server: SmtpTestServer) -> None:
    with pytest.raises(MailError, match=r"^the TLS certificate of 127\.0\.0\.1 could not be verified") as info:
        send(starttls_server, "starttls", ssl_context=ssl.create_default_context())
    assert info.value.temporary is False


def test_server_requires_login(starttls_server: SmtpTestServer) -> None:
    with pytest.raises(MailError, match=r"^the SMTP server requires a login .*\(530 5.7.0 Authentication required\)"):
        send(starttls_server, "starttls", username=None, password=None)


def test_starttls_against_server_without_it(plain_server: SmtpTestServer) -> None:
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send(plain_server, "starttls", username=None, password=None)


def test_ssl_against_starttls_port(starttls_server: SmtpTestServer) -> None:
    with pytest.raises(MailError, match=r"^could not set up TLS with 127\.0\.0\.1:\d+ \(wrong version number\)"):
        send(starttls_server, "ssl")


def test_starttls_against_implicit_tls_port(ssl_server: SmtpTestServer) -> None:
    with pytest.raises(MailError) as info:
        send(ssl_server, "starttls", timeout=1)
    assert str(info.value) == (
        f"the SMTP server at 127.0.0.1:{ssl_server.port} did not greet us within 1 s;"
        f" check that security 'starttls' is right for port {ssl_server.port}"
    )


def test_login_without_tls_to_remote_host_is_refused_before_connecting() -> None:
    with pytest.raises(MailError, match=r"refusing to send the SMTP password to smtp\.example\.com"):
        send_message(summary(), "smtp.example.com", 25, "none", "user", "secret", timeout=1)


def test_username_without_password() -> None:
    with pytest.raises(MailError, match="no password"):
        send_message(summary(), "127.0.0.1", 1, "starttls", "user", None, timeout=1)


@pytest.mark.parametrize(("reply", "temporary"), [("451 4.3.0 try again later", True), ("554 5.6.0 no", False)])
def test_message_rejected(starttls_server: SmtpTestServer, reply: str, temporary: bool) -> None:
    starttls_server.reject_data_with(reply)
    with pytest.raises(MailError) as info:
        send(starttls_server, "starttls")
    assert str(info.value) == f"the SMTP server rejected the message ({reply})"
    assert info.value.temporary is temporary
    assert info.value.uncertain is False  # a refusal is an answer: the mail was not taken


@pytest.mark.parametrize(
    ("how", "what"),
    [
        ("silently", "closed the connection"),
        ("mid-reply", r"sent an answer cut off or garbled \(25\)"),
        ("late-reply", r"stopped answering \(timed out\)"),
    ],
)
def test_a_connection_lost_after_the_whole_message_is_uncertain(
    plain_server: SmtpTestServer, how: Drop, what: str
) -> None:
    """The server has the whole message (after DATA's final dot) and the connection breaks before its answer, or
    halfway through it, or the answer comes after the time-out: the server may have taken the mail, so the error
    says `uncertain`, which the outbox never retries on its own."""
    plain_server.drop_after_data(how)
    with pytest.raises(MailError) as info:
        send(plain_server, "none", timeout=LATE_REPLY_S / 4)
    assert info.value.uncertain is True
    assert re.fullmatch(
        rf"the SMTP server at 127\.0\.0\.1:{plain_server.port} {what} after the whole message was sent, before "
        "saying whether it took it",
        str(info.value),
    )
    assert len(plain_server.messages) == 1


def test_unknown_security_value() -> None:
    with pytest.raises(ValueError, match="security must be one of"):
        send_message(summary(), "127.0.0.1", 1, "tls", timeout=1)  # type: ignore[arg-type]
