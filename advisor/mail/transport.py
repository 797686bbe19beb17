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

import logging
import smtplib
import socket
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


class MailError(Exception):
    """Sending failed; ``str(err)`` is one sentence a runner can act on.

    ``temporary`` says whether trying again later may help (server down, time-out, a 4xx reply) as opposed to
    a setting that must be fixed first (wrong password, certificate, rejected address). The outbox keeps the
    message either way; the flag only decides how loudly the daemon complains.

    ``uncertain`` says the whole message reached the server and the connection broke before its answer: the
    server may have taken it, so sending it again on one's own could deliver it twice.
    """

    def __init__(self, reason: str, *, temporary: bool = True, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary
        self.uncertain = uncertain


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
        header = Header(text, "utf-8", header_name=name, maxlinelen=width)
        return f"{name}: {header.encode(linesep=self.linesep)}{self.linesep}"


MAIL_POLICY = _SubjectSafePolicy()


def _bare_cid(cid: str) -> str:
    """Accept ``chart`` as well as ``<chart>``: the header needs the brackets, the HTML must not have them."""
    bare = cid.strip().removeprefix("<").removesuffix(">")
    if not bare or any(ch.isspace() or ch in '<>"()[],;:\\' for ch in bare):
        raise ValueError(f"invalid Content-ID {cid!r}: use letters, digits, '.', '-', '_' and '@'")
    return bare


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

    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")

    if images:
        html_part = msg.get_payload()[1]
        for cid, png in images.items():
            bare = _bare_cid(cid)
            if f"cid:{bare}" not in html:
                raise ValueError(f"image {bare!r} is not referenced from the HTML as 'cid:{bare}'")
            # add_related turns the text/html part into multipart/related around it and the image.
            html_part.add_related(
                png,
                maintype="image",
                subtype="png",
                cid=f"<{bare}>",
                disposition="inline",
                filename=f"{bare.partition('@')[0]}.png",
            )
    return msg


# ----------------------------------------------------------------------------------------------------
# Sending


def _reply_text(code: int, raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return f"{code} {' '.join(text.split())}".strip()


def _scrub(sentence: str, password: str | None) -> str:
    """Belt and braces: a server reply should never echo the password; if one does, keep it out of logs."""
    if password:
        sentence = sentence.replace(password, "***")
    return sentence


def _os_reason(err: OSError) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, TimeoutError):
        return "timed out"
    text = err.strerror or str(err) or type(err).__name__
    return text[:1].lower() + text[1:]


def _port_hint(security: str, port: int) -> str:
    """A clause for the classic mix-up: implicit TLS on a STARTTLS port or the other way round."""
    if security == "ssl" and port in (25, 587):
        return f"; port {port} usually needs security 'starttls', not 'ssl'"
    if security != "ssl" and port == 465:
        return "; port 465 usually needs security 'ssl'"
    return ""


def _translate(err: BaseException, stage: str, host: str, port: int, security: str, timeout: float) -> MailError:
    """Map an smtplib/ssl/socket exception to a one-sentence :class:`MailError`."""
    where = f"{host}:{port}"
    if isinstance(err, MailError):
        return err
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return MailError(
            f"the SMTP server rejected the login ({_reply_text(err.smtp_code, err.smtp_error)})",
            temporary=False,
        )
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({_reply_text(c, m)})" for addr, (c, m) in err.recipients.items())
        temporary = all(400 <= c < 500 for c, _ in err.recipients.values())
        return MailError(f"the SMTP server refused every recipient: {refused}", temporary=temporary)
    if isinstance(err, smtplib.SMTPSenderRefused) and err.smtp_code == 530:
        return MailError(
            "the SMTP server requires a login before it accepts mail"
            f" ({_reply_text(err.smtp_code, err.smtp_error)}); set an SMTP username and password",
            temporary=False,
        )
    if isinstance(err, smtplib.SMTPSenderRefused):
        return MailError(
            f"the SMTP server refused the sender address {err.sender} ({_reply_text(err.smtp_code, err.smtp_error)})",
            temporary=400 <= err.smtp_code < 500,
        )
    if isinstance(err, smtplib.SMTPDataError):
        return MailError(
            f"the SMTP server rejected the message ({_reply_text(err.smtp_code, err.smtp_error)})",
            temporary=400 <= err.smtp_code < 500,
        )
    if isinstance(err, smtplib.SMTPConnectError):
        return MailError(
            f"the SMTP server at {where} refused the session ({_reply_text(err.smtp_code, err.smtp_error)})",
            temporary=True,
        )
    if isinstance(err, smtplib.SMTPNotSupportedError):
        if stage == "starting TLS":
            return MailError(
                f"the SMTP server at {where} does not offer STARTTLS; use security 'ssl' if it is an"
                " implicit-TLS port such as 465",
                temporary=False,
            )
        return MailError(
            f"the SMTP server at {where} does not offer a login (AUTH) on this connection; many servers only"
            " offer it after STARTTLS",
            temporary=False,
        )
    if isinstance(err, smtplib.SMTPServerDisconnected) and stage == "connecting":
        hint = _port_hint(security, port) or f"; check that security '{security}' is right for port {port}"
        # smtplib reports a read time-out as a disconnect; say which one it was.
        what = f"did not greet us within {timeout:g} s" if "timed out" in str(err) else "closed the connection"
        return MailError(f"the SMTP server at {where} {what}{hint}", temporary=True)
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return MailError(f"the SMTP server at {where} closed the connection while {stage}", temporary=True)
    if isinstance(err, smtplib.SMTPResponseException):
        return MailError(
            f"the SMTP server at {where} answered {_reply_text(err.smtp_code, err.smtp_error)} while {stage}",
            temporary=400 <= err.smtp_code < 500,
        )
    if isinstance(err, smtplib.SMTPException):
        # e.g. "No suitable authentication method found." from login().
        text = str(err).rstrip(".") or type(err).__name__
        return MailError(f"sending through {where} failed while {stage}: {text[:1].lower() + text[1:]}")
    if isinstance(err, ssl.SSLCertVerificationError):
        return MailError(f"the TLS certificate of {host} could not be verified ({err.verify_message})", temporary=False)
    if isinstance(err, ssl.SSLError):
        reason = str(err.reason or err).lower().replace("_", " ")
        return MailError(f"could not set up TLS with {where} ({reason}){_port_hint(security, port)}", temporary=False)
    if isinstance(err, socket.gaierror):
        return MailError(f"could not find the SMTP server {host}: the name does not resolve", temporary=True)
    if isinstance(err, TimeoutError):
        if stage == "connecting":
            return MailError(
                f"could not connect to {where}: timed out after {timeout:g} s{_port_hint(security, port)}",
                temporary=True,
            )
        return MailError(f"the SMTP server at {where} stopped answering while {stage} (timed out)", temporary=True)
    if isinstance(err, OSError):
        if stage == "connecting":
            return MailError(f"could not connect to {where}: {_os_reason(err)}", temporary=True)
        return MailError(f"the connection to {where} failed while {stage}: {_os_reason(err)}", temporary=True)
    return MailError(f"sending through {where} failed while {stage}: {type(err).__name__}: {err}")


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
    smtp: Session | None = None
    try:
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
        mail_error = _translate(err, stage, host, port, security, timeout)
        if delivery_unknown(err, smtp):
            mail_error = MailError(unknown_delivery_reason(err, host, port), uncertain=True)
        mail_error = MailError(
            _scrub(str(mail_error), password), temporary=mail_error.temporary, uncertain=mail_error.uncertain
        )
        log.warning("Could not send %r: %s.", headers.get("Subject", ""), mail_error)
        if smtp is not None:
            try:
                smtp.close()
            except Exception:  # already failing; closing is best effort
                log.debug("Closing the SMTP connection after an error failed as well.", exc_info=True)
        raise mail_error from err

    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        # The message was accepted; a broken goodbye must not make the caller send it again.
        smtp.close()
    result = {addr: _reply_text(code, text) for addr, (code, text) in refused.items()}
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
