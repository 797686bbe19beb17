"""A real SMTP server on loopback for tests (aiosmtpd), with STARTTLS, implicit TLS and AUTH.

Why a real server instead of mocking smtplib: the things that break in production are exactly the ones a
mock hides — the TLS handshake, the AUTH exchange, the MIME bytes on the wire. Each test gets a server on
127.0.0.1 and a free port, with a self-signed certificate made at test time, and inspects what it received.

Usage::

    cert = make_self_signed_cert(tmp_path)
    with SmtpTestServer("starttls", cert=cert) as server:
        send_message(msg, server.host, server.port, "starttls", server.username, server.password,
                     ssl_context=server.client_ssl_context())
        assert len(server.messages) == 1

``stop()`` / ``start()`` reuse the same port so a test can simulate "server down, then back up".
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "LATE_REPLY_S",
    "Drop",
    "ReceivedMail",
    "SmtpTestServer",
    "TlsFiles",
    "free_port",
    "make_self_signed_cert",
]

LATE_REPLY_S = 2.0
DEFAULT_USERNAME = "runner@example.com"
DEFAULT_PASSWORD = "correct horse battery staple"

Mode = Literal["starttls", "ssl", "none"]
Drop = Literal["silently", "mid-reply", "late-reply"]


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and its key, PEM files; the certificate doubles as the CA a client must trust."""

    cert: Path
    key: Path


def make_self_signed_cert(directory: Path, common_name: str = "localhost") -> TlsFiles:
    """Create a self-signed certificate valid for ``localhost`` and ``127.0.0.1``.

    Uses the ``openssl`` command line because the ``cryptography`` package is not among our dependencies;
    an EC key keeps generation to a few milliseconds. The IP address is in subjectAltName so that a client
    with normal hostname checking accepts it when connecting to 127.0.0.1 — the tests verify for real.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={common_name}",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TlsFiles(cert=cert, key=key)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel picks it; tiny race, fine for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: the envelope, who logged in, whether TLS was on, and the raw bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str | None
    tls: bool
    connection: int = 0
    """Which connection carried it: the same number for mails sent over one connection."""

    def parse(self) -> EmailMessage:
        """The message parsed with the modern policy, so ``get_body``/``iter_parts`` work."""
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Recorder:
    """aiosmtpd handler: keeps every message and can be told to refuse the next ones."""

    messages: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    data_reply: str | None = None  # e.g. "451 4.3.0 try later" to simulate a temporary rejection
    auth_required: bool = False
    drop: Drop | None = None  # keep the message, then drop the connection instead of answering (see drop_after_data)
    data_delay_s: float = 0.0  # a slow server: each message's DATA waits this long before it is taken (slow_down)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # Enforced here rather than with aiosmtpd's auth_required, which warns (wrongly) for implicit TLS.
        if self.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_delay_s:
            await asyncio.sleep(self.data_delay_s)
        if self.data_reply is not None:
            return self.data_reply
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode()
        raw = envelope.original_content or b""
        mail = ReceivedMail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=raw,
            login=login,
            tls=server.transport is not None and server.transport.get_extra_info("ssl_object") is not None,
            connection=id(server),
        )
        with self.lock:
            self.messages.append(mail)
        if self.drop == "late-reply":
            await asyncio.sleep(LATE_REPLY_S)  # a client waiting less than this gives up: the answer comes too late
        elif self.drop is not None and server.transport is not None:
            if self.drop == "mid-reply":
                server.transport.write(b"25")  # the start of "250 ...", then nothing
            server.transport.abort()  # what follows (the reply aiosmtpd writes) goes nowhere
        return "250 2.0.0 Message accepted for delivery"


class _Authenticator:
    """Accepts exactly one user/password pair, for LOGIN and PLAIN."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username.encode()
        self.password = password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            mechanism in ("LOGIN", "PLAIN")
            and isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        # handled=False makes aiosmtpd send "535 ... credentials invalid"; with the default (True) it sends
        # nothing at all and the client hangs until its time-out.
        return AuthResult(success=False, handled=False)


class _DroppingController(Controller):
    """aiosmtpd's controller, remembering its connections so `stop` can drop them as a server going down does (on
    Python 3.12 its own stop waits for every client to hang up, and a client may keep a connection for the next
    mail)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp = super().factory()
        self.connections.append(smtp)
        return smtp

    def stop(self, no_assert: bool = False) -> None:
        for smtp in self.connections:
            if smtp.transport is not None:
                self.loop.call_soon_threadsafe(smtp.transport.abort)
        super().stop(no_assert)


class SmtpTestServer:
    """A loopback SMTP server in a background thread.

    ``mode``:
      * ``"starttls"`` — plain connect, STARTTLS offered and required before MAIL and AUTH;
      * ``"ssl"`` — implicit TLS from the first byte (like port 465);
      * ``"none"`` — no TLS at all.

    AUTH LOGIN/PLAIN with ``username``/``password`` is offered in every mode; ``auth_required`` makes the
    server refuse mail from clients that did not log in.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        mode: Mode = "starttls",
        *,
        cert: TlsFiles | None = None,
        port: int | None = None,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        auth_required: bool | None = None,
    ) -> None:
        if mode != "none" and cert is None:
            raise ValueError(f"mode {mode!r} needs a certificate: pass cert=make_self_signed_cert(tmp_path)")
        self.mode = mode
        self.cert = cert
        self.port = port if port is not None else free_port(self.host)
        self.username = username
        self.password = password
        self.auth_required = (mode != "none") if auth_required is None else auth_required
        self._recorder = _Recorder(auth_required=self.auth_required)
        self._controller: _DroppingController | None = None

    # -- what was received ---------------------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMail]:
        """A snapshot of what has been accepted so far, across restarts."""
        with self._recorder.lock:
            return list(self._recorder.messages)

    def reject_data_with(self, reply: str | None) -> None:
        """Answer DATA with ``reply`` (e.g. ``"554 5.6.0 no thanks"``) from now on; None accepts again."""
        self._recorder.data_reply = reply

    def slow_down(self, seconds: float) -> None:
        """Take each message only `seconds` after its end arrives (0: at once again), as a loaded server does: a
        sender is then in the middle of a mail for most of its time."""
        self._recorder.data_delay_s = seconds

    def drop_after_data(self, how: Drop | None) -> None:
        """From now on, take each whole message (it is in ``messages``: a real server would have queued it) and
        then drop the connection: ``"silently"`` before any reply, ``"mid-reply"`` after two bytes of it; or
        ``"late-reply"``: accept it ``LATE_REPLY_S`` seconds later. None answers at once again. What a server
        crashing, a network failing, or a server too slow for the client's time-out, right after the message's final
        dot, does."""
        self._recorder.drop = how

    # -- TLS -----------------------------------------------------------------------------------------------

    def _server_ssl_context(self) -> ssl.SSLContext:
        assert self.cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert.cert), str(self.cert.key))
        return context

    def client_ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate, with normal hostname verification."""
        if self.cert is None:
            raise ValueError("a server without TLS has no certificate to trust")
        return ssl.create_default_context(cafile=str(self.cert.cert))

    # -- lifecycle -----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Start listening on ``self.port``; after :meth:`stop` this binds the same port again."""
        if self._controller is not None:
            return
        kwargs: dict[str, Any] = {
            "authenticator": _Authenticator(self.username, self.password),
            "server_hostname": "smtp.test",
            "ready_timeout": 5.0,
        }
        if self.mode == "starttls":
            kwargs |= {"tls_context": self._server_ssl_context(), "require_starttls": True}
        elif self.mode == "ssl":
            # aiosmtpd cannot tell that an implicit-TLS socket is encrypted, so it must be told not to hold
            # AUTH back until STARTTLS (aio-libs/aiosmtpd#281).
            kwargs |= {"ssl_context": self._server_ssl_context(), "auth_require_tls": False}
        else:
            kwargs |= {"auth_require_tls": False}
        # A Controller cannot be restarted (stop() closes its event loop), so every start builds a new one.
        controller = _DroppingController(self._recorder, hostname=self.host, port=self.port, **kwargs)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; connections to the port are then refused until :meth:`start`."""
        if self._controller is None:
            return
        controller, self._controller = self._controller, None
        controller.stop()

    def __enter__(self) -> SmtpTestServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
