"""Every way sending a mail can fail, as one `MailError` whose text is a single sentence a runner can act on
(server down, wrong port, wrong password, certificate trouble, a refused address), and whether trying again later may
help: `advisor.mail.transport.send_message` raises nothing else."""

from __future__ import annotations

import smtplib
import socket
import ssl

__all__ = ["MailError", "reply_text", "scrub", "translate"]


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


def reply_text(code: int, raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return f"{code} {' '.join(text.split())}".strip()


def scrub(sentence: str, password: str | None) -> str:
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


def translate(err: BaseException, stage: str, host: str, port: int, security: str, timeout: float) -> MailError:
    """Map an smtplib/ssl/socket exception to a one-sentence :class:`MailError`."""
    where = f"{host}:{port}"
    if isinstance(err, MailError):
        return err
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return MailError(
            f"the SMTP server rejected the login ({reply_text(err.smtp_code, err.smtp_error)})",
            temporary=False,
        )
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({reply_text(c, m)})" for addr, (c, m) in err.recipients.items())
        temporary = all(400 <= c < 500 for c, _ in err.recipients.values())
        return MailError(f"the SMTP server refused every recipient: {refused}", temporary=temporary)
    if isinstance(err, smtplib.SMTPSenderRefused) and err.smtp_code == 530:
        return MailError(
            "the SMTP server requires a login before it accepts mail"
            f" ({reply_text(err.smtp_code, err.smtp_error)}); set an SMTP username and password",
            temporary=False,
        )
    if isinstance(err, smtplib.SMTPSenderRefused):
        return MailError(
            f"the SMTP server refused the sender address {err.sender} ({reply_text(err.smtp_code, err.smtp_error)})",
            temporary=400 <= err.smtp_code < 500,
        )
    if isinstance(err, smtplib.SMTPDataError):
        return MailError(
            f"the SMTP server rejected the message ({reply_text(err.smtp_code, err.smtp_error)})",
            temporary=400 <= err.smtp_code < 500,
        )
    if isinstance(err, smtplib.SMTPConnectError):
        return MailError(
            f"the SMTP server at {where} refused the session ({reply_text(err.smtp_code, err.smtp_error)})",
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
            f"the SMTP server at {where} answered {reply_text(err.smtp_code, err.smtp_error)} while {stage}",
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
