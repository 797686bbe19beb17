"""Build and send the weekly summary email.

Two halves, kept apart on purpose:

* :func:`build_message` is pure: it turns rendered text, HTML and chart PNGs into one MIME message. The
  outbox stores what it returns (``bytes(msg)``), so a retry after a crash sends exactly the same mail.
* :func:`send_message` talks SMTP and turns every failure the runner can meet (server down, wrong port, wrong
  password, certificate trouble, rejected address) into one :class:`MailError` whose text is a single sentence
  fit for a log line or ``advisor daemon status``. Callers then need one ``except`` and one column.

The SMTP password is passed in by the caller (config reads it from ``ADVISOR_SMTP__PASSWORD`` or a secret
file). Nothing here logs it, and smtplib's debug output, which would print the AUTH exchange, is never
turned on.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import policy
from email.header import Header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, Literal

from advisor.mail import pool
from advisor.mail.errors import MailError, reply_text, scrub, translate
from advisor.mail.session import (
    Session,
    TlsSession,
    delivery_unknown,
    send_flat,
    unknown_delivery_reason,
    verifying_context,
)
from advisor.net import is_loopback

__all__ = ["MailError", "Security", "build_message", "send_message"]

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]
"""How the connection is protected: STARTTLS upgrade (port 587), implicit TLS (port 465), or none."""

_SECURITY_VALUES: tuple[str, ...] = ("starttls", "ssl", "none")


# ----------------------------------------------------------------------------------------------------
# Building


class _SubjectSafePolicy(EmailPolicy):
    """The default policy, except that the Subject is folded the one way every parser reads back exactly.

    Python's folder (3.12) mangles some long subjects: a first word that does not fit after `Subject:` is put on the
    next line, which a parser reads back with a leading space, and a space next to an encoded word can be lost.
    A subject that fits on one line in ASCII is written as it is; any other is written as RFC 2047 encoded words
    (UTF-8, cut by `email.header.Header` at character boundaries), whose folds a reader drops without a trace. The
    stored message is then re-parsed and re-sent from the outbox unchanged, since no line is longer than 78.
    """

    def fold(self, name: str, value: Any) -> str:
        return self._subject(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        folded = self._subject(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)

    def _subject(self, name: str, value: Any) -> str | None:
        """The folded Subject line, or None for any other header (the default policy folds those)."""
        if name.lower() != "subject":
            return None
        text = str(value)
        width = self.max_line_length or 78
        if text.isascii() and len(name) + 2 + len(text) <= width:
            return f"{name}: {text}{self.linesep}"
        if text.isascii() and "=?" not in text:
            folded = _fold_at_spaces(f"{name}: {text}", width, self.linesep)
            if folded is not None:
                return folded
        header = Header(text, "utf-8", header_name=name, maxlinelen=width)
        return f"{name}: {header.encode(linesep=self.linesep)}{self.linesep}"


MAIL_POLICY = _SubjectSafePolicy()


def _fold_at_spaces(line: str, width: int, linesep: str) -> str | None:
    """An ASCII header line of single-spaced words folded before a space wherever it would pass `width` — the fold
    a reader undoes exactly (RFC 5322 unfolding drops the line break and keeps the space) — or None when a word
    cannot fit, the first one after the name included. Encoding words cost a whole mail's worth of the email
    package's time, for a subject that needs no encoding."""
    lines: list[str] = []
    current, *words = line.split(" ")
    for word in words:
        if len(current) + 1 + len(word) <= width:
            current += " " + word
            continue
        lines.append(current)
        current = " " + word
    lines.append(current)
    return None if any(len(part) > width for part in lines) else linesep.join(lines) + linesep


def _bare_cid(cid: str) -> str:
    """Accept ``chart`` as well as ``<chart>``: the header needs the brackets, the HTML must not have them."""
    bare = cid.strip().removeprefix("<").removesuffix(">")
    if not bare or any(ch.isspace() or ch in '<>"()[],;:\\' for ch in bare):
        raise ValueError(f"invalid Content-ID {cid!r}: use letters, digits, '.', '-', '_' and '@'")
    return bare


def _part(headers: Sequence[tuple[str, str]], payload: str | list[EmailMessage]) -> EmailMessage:
    """A part whose headers are written as given (`set_raw`), already folded, instead of parsed by the header
    registry and folded again — two thirds of building a mail went there, for headers whose every value is ours. The
    generator still folds any line longer than the policy's width, and a reader parses them as any other."""
    part = EmailMessage(policy=MAIL_POLICY)
    for name, value in headers:
        part.set_raw(name, value)
    part.set_payload(payload)
    return part


def _text_part(text: str, subtype: str) -> EmailMessage:
    """A UTF-8 text part, quoted-printable: what `set_content` makes of our text (never plain ASCII: "–", "≤"),
    encoded by `binascii`'s C encoder — the email package's own walks the text a character at a time in Python,
    which was a third of building a mail. Line ends are normalised as `set_content` does."""
    body = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    headers = [("Content-Type", f'text/{subtype}; charset="utf-8"'), ("Content-Transfer-Encoding", "quoted-printable")]
    return _part(headers, binascii.b2a_qp(body, istext=True).decode("ascii"))


def _image_part(png: bytes, bare_cid: str) -> EmailMessage:
    """An inline PNG, base64 in lines of 76 (as `set_content` writes it), named by its Content-ID."""
    headers = [
        ("Content-Type", "image/png"),
        ("Content-Transfer-Encoding", "base64"),
        ("Content-Disposition", f'inline; filename="{bare_cid.partition("@")[0]}.png"'),
        ("Content-ID", f"<{bare_cid}>"),
    ]
    return _part(headers, base64.encodebytes(png).decode("ascii"))


def _multipart_type(subtype: str, boundary: str) -> str:
    """The Content-Type of a multipart, folded before its boundary (each line within the policy's width)."""
    return f'multipart/{subtype};\n boundary="{boundary}"'


def build_message(
    subject: str,
    sender: str,
    to: str | Sequence[str],
    text: str,
    html: str,
    images: Mapping[str, bytes] | None = None,
    *,
    date: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """Return a ``multipart/alternative`` mail: plain text first, then HTML with its inline PNGs.

    Structure (what mail clients need to show the chart inside the HTML rather than as an attachment)::

        multipart/alternative
          text/plain
          multipart/related
            text/html            <img src="cid:chart">
            image/png            Content-ID: <chart>, inline

    ``images`` maps a Content-ID (without ``cid:``; angle brackets optional) to PNG bytes. Every image must be
    referenced from the HTML as ``cid:<id>``; an unreferenced one is a template bug and raises ``ValueError``,
    because clients would show it as a stray attachment.

    ``date`` and ``message_id`` default to now and a fresh id; pass them to get a reproducible message.

    The boundaries are ours ("==advisor-…==", one random token a mail), so the generator need not search every part
    for a clash with one of its own (a third of flattening a mail): a delimiter line starts "--==", which no part
    can hold — quoted-printable writes "=" as "=3D" (so never "=="), base64 has no "-" — and neither boundary is the
    start of the other.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("a mail needs at least one recipient")

    msg = EmailMessage(policy=MAIL_POLICY)
    msg["Subject"] = " ".join(subject.split())  # one line: no leading, trailing or doubled white space
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(date) if date is not None else format_datetime(datetime.now().astimezone())
    if message_id is None:
        domain = parseaddr(sender)[1].rpartition("@")[2] or None
        message_id = make_msgid(idstring="advisor", domain=domain)
    msg["Message-ID"] = message_id

    token = secrets.token_hex(16)
    html_part = _text_part(html, "html")
    if images:  # the HTML and its images, multipart/related
        related = [html_part]
        for cid, png in images.items():
            bare = _bare_cid(cid)
            if f"cid:{bare}" not in html:
                raise ValueError(f"image {bare!r} is not referenced from the HTML as 'cid:{bare}'")
            related.append(_image_part(png, bare))
        html_part = _part([("Content-Type", _multipart_type("related", f"==advisor-related-{token}=="))], related)
    msg.set_raw("MIME-Version", "1.0")
    msg.set_raw("Content-Type", _multipart_type("alternative", f"==advisor-alternative-{token}=="))
    msg.set_payload([_text_part(text, "plain"), html_part])
    return msg


# ----------------------------------------------------------------------------------------------------
# Sending


def send_message(
    msg: EmailMessage | bytes,
    host: str,
    port: int,
    security: Security,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 30,
    ssl_context: ssl.SSLContext | None = None,
    *,
    local_hostname: str | None = None,
    keep_open: bool = False,
) -> dict[str, str]:
    """Send ``msg`` and return the recipients the server refused (empty when all were accepted).

    ``msg`` is a message or a message already flattened to bytes (the outbox's stored mail), which is sent as it
    is, line ends made CRLF: re-parsing and re-flattening 70 kB cost ~20 ms of CPU a mail for the same bytes.

    Returns normally as soon as the server has accepted the message for at least one recipient: that is the
    moment the outbox may mark the week as sent. A failure to say goodbye (QUIT) afterwards is ignored,
    because treating it as a failure would send the same week twice. For the same reason a connection lost
    after the whole message went out and before the server's answer (or an answer cut off) is a `MailError` with
    ``uncertain`` set: the server may have taken it, and only the runner can tell.

    ``ssl_context`` defaults to :func:`ssl.create_default_context` (certificate and host name checked). Pass
    your own to trust a private CA. Credentials are refused over ``security='none'`` unless the server is on
    loopback, so a typo in the config cannot put the password on the network in clear text.

    ``local_hostname`` is the EHLO name; by default smtplib uses the machine's FQDN, which can take seconds to
    look up on hosts with broken reverse DNS.

    ``keep_open`` keeps the connection for the next mail to the same server (`advisor.mail.pool`: a round of many
    mails logs in once) and sends on a kept one when it is still alive.

    Raises :class:`MailError` with a one-sentence reason for every failure.
    """
    if security not in _SECURITY_VALUES:
        raise ValueError(f"security must be one of {', '.join(_SECURITY_VALUES)}, not {security!r}")
    if username and not password:
        raise MailError(
            "an SMTP username is configured but no password (set ADVISOR_SMTP__PASSWORD or the secret file)",
            temporary=False,
        )
    if username and security == "none" and not is_loopback(host):
        raise MailError(
            f"refusing to send the SMTP password to {host} without encryption; set security to 'starttls' or 'ssl'",
            temporary=False,
        )

    headers = _headers(msg)
    if isinstance(msg, bytes) and headers.get_all("Bcc"):
        raise ValueError("a flattened message with a Bcc header would show it to every recipient")
    context = ssl_context if ssl_context is not None else verifying_context()
    stage = "connecting"  # what we were doing when something broke; it decides the wording of the error
    key = (host, port, security, username, local_hostname, context)
    smtp: Session | None = pool.take(key) if keep_open else None
    try:
        if smtp is None:  # no kept connection (logged in, and alive): open one
            if security == "ssl":
                smtp = TlsSession(host, port, local_hostname=local_hostname, timeout=timeout, context=context)
            else:
                smtp = Session(host, port, local_hostname=local_hostname, timeout=timeout)
            stage = "saying hello (EHLO)"
            smtp.ehlo()
            if security == "starttls":
                stage = "starting TLS"
                smtp.starttls(context=context)
                smtp.ehlo()
            if username:
                stage = "logging in"
                smtp.login(username, password or "")
        stage = "sending the message"
        refused = smtp.send_message(msg) if isinstance(msg, EmailMessage) else send_flat(smtp, msg, headers)
    except Exception as err:
        mail_error = translate(err, stage, host, port, security, timeout)
        if delivery_unknown(err, smtp):
            mail_error = MailError(unknown_delivery_reason(err, host, port), uncertain=True)
        mail_error = MailError(
            scrub(str(mail_error), password), temporary=mail_error.temporary, uncertain=mail_error.uncertain
        )
        log.warning("Could not send %r: %s.", headers.get("Subject", ""), mail_error)
        if smtp is not None:
            try:
                smtp.close()
            except Exception:  # already failing; closing is best effort
                log.debug("Closing the SMTP connection after an error failed as well.", exc_info=True)
        raise mail_error from err

    if keep_open:
        pool.give_back(key, smtp)
    else:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            # The message was accepted; a broken goodbye must not make the caller send it again.
            smtp.close()
    result = {addr: reply_text(code, text) for addr, (code, text) in refused.items()}
    if result:
        log.warning(
            "The SMTP server at %s:%s accepted %r but refused %s.",
            host,
            port,
            headers.get("Subject", ""),
            ", ".join(f"{a} ({r})" for a, r in result.items()),
        )
    else:
        log.info("Sent %r to %s through %s:%s.", headers.get("Subject", ""), headers.get("To", ""), host, port)
    return result


def _headers(msg: EmailMessage | bytes) -> Message:
    """The headers of `msg` (only they are parsed of a flattened one): subject and addresses for the envelope."""
    return msg if isinstance(msg, EmailMessage) else BytesHeaderParser(policy=policy.default).parsebytes(msg)
