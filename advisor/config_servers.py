"""The config sections of the servers advisor talks to or runs: the mail server (`[smtp]`), the web page
(`[serve]`) and the notification services (`[notify]`), with the secret-file reading every secret shares. Kept
apart from `advisor.config` so each stays short; `advisor.config` imports them into `Settings`."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from advisor.errors import ConfigError

if TYPE_CHECKING:
    import ssl


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def secret_value(value: SecretStr | None, path: Path | None) -> str | None:
    """A secret given directly (from the environment: the TOML refuses them) or read from the file named."""
    if value is not None:
        return value.get_secret_value()
    if path is not None:
        try:
            return path.read_text().strip()
        except OSError as error:
            raise ConfigError(f"cannot read the secret file {path}: {error.strerror}") from None
    return None


class SmtpSettings(Section):
    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    sender: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    ca_file: Path | None = None

    def resolved_password(self) -> str | None:
        return secret_value(self.password, self.password_file)

    def ssl_context(self) -> ssl.SSLContext | None:
        """The system's trusted CAs, plus `ca_file` for a server with a private certificate authority."""
        if self.ca_file is None:
            return None
        import ssl

        try:
            return _context_trusting(str(self.ca_file), self.ca_file.stat().st_mtime_ns)
        except (OSError, ssl.SSLError) as error:
            raise ConfigError(f"smtp.ca_file {self.ca_file} is not a readable certificate file: {error}") from None


@functools.cache
def _context_trusting(ca_file: str, _mtime_ns: int) -> ssl.SSLContext:
    """One TLS context per CA file (and its version on disk) per process, as `verifying_context` is for the system's
    store: making one loads every certificate again, once per mail before."""
    import ssl

    return ssl.create_default_context(cafile=ca_file)


HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?")
"""A bare host name (letters, digits, dots and dashes): with an IP address, what `serve.allowed_hosts` takes."""


def plain_host(host: str) -> str | None:
    """`host` as the web page compares it (lower case, no brackets or final dot, an address in its short form), or
    None when it is not a bare host name or IP address (a port, a scheme, a path, a user)."""
    import ipaddress

    bare = host.strip().lower()
    bare = bare[1:-1] if bare.startswith("[") and bare.endswith("]") else bare
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return bare.rstrip(".") if HOST_NAME.fullmatch(bare) else None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class ServeSettings(Section):
    """`advisor serve`: the local web page. Loopback needs no password; any other address refuses to start
    without one, so a phone on the home network never reaches the pain log of an open server by accident."""

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    enabled: bool = False
    """Also serve the page from `advisor daemon` (one systemd unit for both)."""
    password: SecretStr | None = None
    password_file: Path | None = None
    allowed_hosts: list[str] | str = []
    """Host names (or addresses) the page answers to besides localhost, the loopback addresses and the address it
    was reached at, e.g. a reverse proxy's name. Any other `Host` is refused (400): a web site whose name an
    attacker points at this machine (DNS rebinding) would otherwise read the pain log through the visitor's
    browser. A list in TOML; in the environment a JSON list or names separated by commas (hence `| str`: the
    environment's plain string is split here, and is always a list once validated)."""

    @field_validator("allowed_hosts")
    @classmethod
    def _plain_host_names(cls, value: list[str] | str) -> list[str]:
        plain = []
        for host in value.replace(",", " ").split() if isinstance(value, str) else value:
            name = plain_host(host)
            if name is None:
                raise ValueError(
                    f"{host!r} is not a host name or address; give the name alone, without scheme, port or path "
                    "(e.g. 'advisor.home.example' or '192.168.1.20')"
                )
            plain.append(name)
        return plain

    public_url: str | None = None
    """The address a phone or a calendar reaches the page at (`https://knee.example.org`, a reverse proxy's), for
    the links advisor hands out: the calendar feed's URL and the notifications' "log it" link. Unset, the links use
    `host` and `port`, which only this machine can open when the host is loopback."""

    @field_validator("public_url")
    @classmethod
    def _plain_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        base = value.strip().rstrip("/")
        if not base.startswith(("http://", "https://")) or "?" in base or "#" in base:
            raise ValueError(f"{value!r} is not a base URL; give it as https://name[:port][/path]")
        return base

    def base_url(self) -> str:
        """Where the page's links point: `public_url`, else the address the server listens on."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def resolved_password(self) -> str | None:
        return secret_value(self.password, self.password_file) or None

    def host_names(self) -> list[str]:
        """`allowed_hosts`, as validated: plain names and addresses, and `public_url`'s host."""
        names = [self.allowed_hosts] if isinstance(self.allowed_hosts, str) else list(self.allowed_hosts)
        public = urlsplit(self.public_url).hostname if self.public_url else None
        return [*names, public] if public else names


_URL_BREAK = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
"""Between two Apprise URLs: white space, or a comma before the next `scheme://` (a comma inside one URL, as in
`mailtos://...?to=a@x.org,b@y.org`, stays in it)."""


def split_urls(text: str) -> list[str]:
    """Apprise URLs as the environment or a secret file gives them: a JSON list, or URLs separated by spaces, new
    lines or commas; blank lines and `#` comments in a file are skipped."""
    import json

    stripped = text.strip()
    if stripped.startswith("["):
        try:
            listed = json.loads(stripped)
        except ValueError:
            raise ConfigError("notify.urls is not a valid JSON list of URLs") from None
        if not isinstance(listed, list) or not all(isinstance(u, str) for u in listed):
            raise ConfigError("notify.urls must be a JSON list of URL strings")
        return [u.strip() for u in listed if u.strip()]
    lines = (line.strip() for line in stripped.splitlines())
    kept = " ".join(line for line in lines if line and not line.startswith("#"))
    return [u for u in _URL_BREAK.split(kept) if u]


class NotifySettings(Section):
    """`[notify]`: a nudge to the runner's phone after a run, a morning prompt, a red flag or a phase change, sent
    through Apprise (advisor.push) to the services the URLs name (ntfy, Gotify, Telegram, Signal, Matrix, email, a
    webhook...). The URLs hold tokens and passwords, so they are secrets: never read from the TOML."""

    urls: SecretStr | None = None
    """The default athlete's Apprise URLs, only as ADVISOR_NOTIFY__URLS: a JSON list, or URLs separated by spaces
    or commas."""
    urls_file: Path | None = None
    """A file holding them instead, one URL a line."""
    athletes_dir: Path | None = None
    """A clinic's folder of every other athlete's URLs: one file each, named as the athlete (default
    $ADVISOR_HOME/notify). An athlete without a file there gets no notifications, never the default athlete's."""
    morning_hour: int = Field(8, ge=0, le=23)
    """The local hour from which the morning prompt goes out (the athlete's own time zone)."""
    after_run: bool = True
    morning: bool = True
    alerts: bool = True
    """A red flag logged, and a change of phase."""
    timeout_s: float = Field(5.0, gt=0, le=60)
    """How long one service may take to connect, and then to answer: a dead one never holds up the daemon."""

    def resolved_urls(self) -> list[str]:
        """The default athlete's URLs, from the environment or `urls_file` (none: notifications are off)."""
        text = secret_value(self.urls, self.urls_file)
        return split_urls(text) if text else []
