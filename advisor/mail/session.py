"""smtplib's client, told apart before and after the message's end has gone out (the outbox's at-most-once rule).

Once DATA's final dot is sent the server may queue the mail whatever happens next, so a connection lost before its
reply, or a reply cut off, leaves the delivery unknown. smtplib reports both like any other lost connection, which
the outbox would retry, delivering the week twice; these subclasses remember the moment, and `delivery_unknown`
tells `advisor.mail.transport.send_message` to say `uncertain` instead.
"""

from __future__ import annotations

import functools
import os
import smtplib
import ssl
from email.message import Message
from email.utils import getaddresses
from typing import Any

__all__ = ["Session", "TlsSession", "delivery_unknown", "send_flat", "unknown_delivery_reason", "verifying_context"]

_END_OF_DATA = b"\r\n.\r\n"


class Session(smtplib.SMTP):
    """`smtplib.SMTP` with `message_sent`: whether the message's end (DATA's final dot) has gone out."""

    message_sent = False
    _in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s: Any) -> None:
        super().send(s)  # raises when the bytes did not all go out: then the final dot did not either
        if self._in_data and isinstance(s, bytes) and s.endswith(_END_OF_DATA):
            self.message_sent = True


class TlsSession(Session, smtplib.SMTP_SSL):
    """The same over implicit TLS (port 465)."""


def delivery_unknown(err: BaseException, smtp: Session | None) -> bool:
    """Whether `err` came after the whole message was sent and before an answer that says what happened: a 4xx or
    5xx reply is a refusal (the mail was not taken); silence, a lost connection or a garbled reply are not."""
    if smtp is None or not smtp.message_sent:
        return False
    return not (isinstance(err, smtplib.SMTPResponseException) and 400 <= err.smtp_code < 600)


def unknown_delivery_reason(err: BaseException, host: str, port: int) -> str:
    """One clause for an unknown delivery: what the server did after the whole message reached it."""
    if isinstance(err, smtplib.SMTPResponseException):
        raw = err.smtp_error.decode("utf-8", "replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        what = f"sent an answer cut off or garbled ({' '.join(f'{err.smtp_code} {raw}'.split())})"
    elif "timed out" in str(err):
        what = "stopped answering (timed out)"
    else:
        what = "closed the connection"
    return f"the SMTP server at {host}:{port} {what} after the whole message was sent, before saying whether it took it"


def send_flat(smtp: Session, data: bytes, headers: Message) -> dict[str, tuple[int, bytes]]:
    """`smtplib.SMTP.send_message` for a message already flattened: the envelope from its From (or Sender) and
    To/Cc/Bcc headers, SMTPUTF8 when an address needs it, the bytes unchanged but for CRLF line ends."""
    sender = getaddresses([str(headers.get("Sender") or headers.get("From") or "")])[0][1]
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in headers.get_all(name, [])]
    recipients = [address for _, address in getaddresses(fields)]
    options: list[str] = []
    if not all(a.isascii() for a in (sender, *recipients)):
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return smtp.sendmail(sender, recipients, crlf, mail_options=options)


def verifying_context() -> ssl.SSLContext:
    """The TLS context every mail is sent with, made once per process (and per trust store the environment names:
    `SSL_CERT_FILE`, `SSL_CERT_DIR`): `ssl.create_default_context()` loads the system's certificate store each time
    (18 ms here), which a clinic's weekly round paid once per mail. A context may be shared by any number of
    connections and threads; certificate and host name are still checked."""
    return _verifying_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _verifying_context(_cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    return ssl.create_default_context()
