"""`advisor serve` as a real process, and the daemon serving the page with `serve.enabled`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from conftest import ProcessOutput
from test_web import csrf

TIMEOUT_S = 60
PASSWORD = "hill-Repeats-0815"


def env_for(home: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env |= {
        "ADVISOR_HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    return env


def test_serve_refuses_another_address_without_a_password(cli) -> None:
    result = cli("serve", "--host", "0.0.0.0")
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "ADVISOR_SERVE__PASSWORD" in message and "0.0.0.0" in message


def test_serve_prints_its_url_logs_no_password_and_exits_0_on_sigterm(isolated_home: Path, tmp_path: Path) -> None:
    env = env_for(isolated_home, tmp_path, ADVISOR_SERVE__PASSWORD=PASSWORD)
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    output = ProcessOutput(proc.stdout)
    try:
        match = output.wait_for(r"listening on (http://127\.0\.0\.1:\d+/)", TIMEOUT_S)
        with httpx2.Client(base_url=match.group(1), timeout=TIMEOUT_S) as client:
            assert client.get("/").headers.get("location") == "/login"
            token = csrf(client.get("/login").text)
            assert client.post("/login", data={"csrf_token": token, "password": "nope"}).status_code == 401
            assert client.post("/login", data={"csrf_token": token, "password": PASSWORD}).status_code == 303
            assert client.get("/pain").status_code == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(TIMEOUT_S)
        everything = output.rest(TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0
    assert PASSWORD not in everything


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_daemon_serves_the_page_when_enabled_and_stops_cleanly(isolated_home: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = env_for(isolated_home, tmp_path, ADVISOR_SERVE__ENABLED="true", ADVISOR_SERVE__PORT=str(port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", "daemon"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    output = ProcessOutput(proc.stdout)
    try:
        output.wait_for(rf"The web page is served on http://127\.0\.0\.1:{port}/", TIMEOUT_S)
        output.wait_for("The advisor daemon started", TIMEOUT_S)
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT_S) as client:
            page = client.get("/pain")
            assert page.status_code == 200 and 'name="score"' in page.text
        proc.send_signal(signal.SIGTERM)
        proc.wait(TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0


def test_daemon_refuses_to_serve_off_loopback_without_a_password(isolated_home: Path, tmp_path: Path) -> None:
    env = env_for(isolated_home, tmp_path, ADVISOR_SERVE__ENABLED="true", ADVISOR_SERVE__HOST="0.0.0.0")
    result = subprocess.run(
        [sys.executable, "-m", "advisor", "daemon"], env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 2
    assert "ADVISOR_SERVE__PASSWORD" in result.stderr


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True)])
def test_loopback_names(host: str, loopback: bool) -> None:
    from advisor.web.security import bind_problem, is_loopback

    assert is_loopback(host) is loopback
    assert bind_problem(host, None) is None
    assert bind_problem("192.168.1.20", None) is not None and bind_problem("192.168.1.20", "pw") is None
