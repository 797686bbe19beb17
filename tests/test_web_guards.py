"""What the web page refuses before any route runs (issue 24): another host name (DNS rebinding), a body that is too
large or not a form, and a burst of concurrent password guesses.

Through Starlette's test client and through the real Uvicorn server (`ServerThread`, as the daemon runs it).
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator

import httpx2
import pytest
from starlette.testclient import TestClient
from test_web import csrf

from advisor.bootstrap import Runtime
from advisor.config import ConfigError, load_settings
from advisor.services.knee import MAX_NOTE_CHARS, list_pain
from advisor.web.app import create_app
from advisor.web.server import ServerThread

PASSWORD = "stride-Count-2718"
TIMEOUT_S = 60


@pytest.fixture
def rt(isolated_home, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{isolated_home / 'advisor.db'}")
    runtime = Runtime(load_settings())
    yield runtime
    runtime.close()


def _one_sentence(text: str) -> bool:
    return text.count("\n") <= 1 and text.strip().endswith(".") and len(text) < 300


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "EVIL.example.", "evil.example@127.0.0.1"])
def test_a_request_for_another_host_name_is_refused(rt: Runtime, host: str) -> None:
    """A site that points its own name at 127.0.0.1 gets no page, no form token and no pain log."""
    with TestClient(create_app(rt.settings, runtime=rt)) as client:
        token = csrf(client.get("/pain").text)
        client.post("/pain", data={"csrf_token": token, "score": "4", "note": "private"})
        for answer in (
            client.get("/pain", headers={"host": host}),
            client.post("/pain", headers={"host": host}, data={"csrf_token": token, "score": "5"}),
        ):
            assert answer.status_code == 400
            assert _one_sentence(answer.text) and "serve.allowed_hosts" in answer.text
            assert "private" not in answer.text and "csrf" not in answer.text
            assert answer.headers["x-frame-options"] == "DENY"
    assert [entry.score for entry in list_pain(rt.db, rt.athlete_id)] == [4]


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8765", "127.0.0.1", "127.0.0.1:8765", "[::1]", "[::1]:8765", "LocalHost."]
)
def test_loopback_names_are_answered(rt: Runtime, host: str) -> None:
    with TestClient(create_app(rt.settings, runtime=rt)) as client:
        assert client.get("/pain", headers={"host": host}).status_code == 200


def test_serve_allowed_hosts_and_the_bound_name_are_answered(rt: Runtime) -> None:
    settings = load_settings(serve={"allowed_hosts": ["Advisor.Home.Example", "[fd00::7]"]})
    with TestClient(create_app(settings, runtime=rt, host="runner-pc.lan")) as client:
        for host in ("advisor.home.example", "advisor.home.example:443", "[fd00::7]:8765", "runner-pc.lan:8765"):
            assert client.get("/", headers={"host": host}).status_code == 200, host
        for host in ("home.example", "other.home.example", "runner-pc.lan.evil.example", "[fd00::8]"):
            assert client.get("/", headers={"host": host}).status_code == 400, host
    with TestClient(create_app(rt.settings, runtime=rt, host="0.0.0.0")) as client:
        assert client.get("/", headers={"host": "0.0.0.0:8765"}).status_code == 400  # "every address" is no name


def test_allowed_hosts_from_the_environment(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ADVISOR_SERVE__ALLOWED_HOSTS` takes names separated by commas (or a JSON list)."""
    monkeypatch.setenv("ADVISOR_SERVE__ALLOWED_HOSTS", "proxy.example, Advisor.Home.Example")
    with TestClient(create_app(load_settings(), runtime=rt)) as client:
        assert client.get("/", headers={"host": "advisor.home.example"}).status_code == 200
        assert client.get("/", headers={"host": "proxy.example:443"}).status_code == 200
        assert client.get("/", headers={"host": "home.example"}).status_code == 400


@pytest.mark.parametrize("value", ["http://proxy.example", "proxy.example:8443", "proxy.example/advisor", "a@b"])
def test_a_bad_allowed_host_is_one_sentence(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(serve={"allowed_hosts": [value]})
    assert "serve.allowed_hosts" in str(caught.value) and "\n" not in str(caught.value)


@pytest.fixture
def server(isolated_home) -> Iterator[ServerThread]:
    running = ServerThread(load_settings(serve={"password": PASSWORD}), "127.0.0.1", 0).start()
    yield running
    running.stop()


def test_the_real_server_refuses_a_rebound_host_name(server: ServerThread) -> None:
    """`curl -H 'Host: evil.example' http://127.0.0.1:PORT/login`, as issue 24 found it answered."""
    port = server.url.rstrip("/").rsplit(":", 1)[1]
    with httpx2.Client(base_url=server.url, timeout=TIMEOUT_S) as client:
        refused = client.get("/login", headers={"host": "evil.example"})
        assert refused.status_code == 400 and 'name="password"' not in refused.text
        assert client.get("/login", headers={"host": f"localhost:{port}"}).status_code == 200
        assert client.get("/login").status_code == 200  # Host: 127.0.0.1:PORT


def _non_loopback_address() -> str | None:
    """This machine's address on its default route (a UDP socket sends nothing when it connects)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.123", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def test_a_server_on_every_address_answers_to_the_address_it_was_reached_at(isolated_home) -> None:
    """`advisor serve --host 0.0.0.0`, opened on the phone as http://THIS-MACHINE'S-IP:8765/ (README)."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    running = ServerThread(load_settings(serve={"password": PASSWORD}), "0.0.0.0", 0).start()
    try:
        port = running.url.rstrip("/").rsplit(":", 1)[1]
        with httpx2.Client(base_url=f"http://{address}:{port}", timeout=TIMEOUT_S) as client:
            assert client.get("/login").status_code == 200
            assert client.get("/login", headers={"host": "evil.example"}).status_code == 400
    finally:
        running.stop()


@pytest.fixture
def open_client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt.settings, runtime=rt)) as client:
        yield client


def test_a_multipart_body_is_refused_before_it_is_parsed(open_client: TestClient, rt: Runtime) -> None:
    """Even with the right form token inside, a file upload is never parsed (nor spooled to disk): 415."""
    token = csrf(open_client.get("/pain").text)
    upload = {"note": ("note.txt", b"x" * 1000, "text/plain")}
    answer = open_client.post("/pain", data={"csrf_token": token, "score": "3"}, files=upload)
    assert answer.status_code == 415 and _one_sentence(answer.text)
    assert list_pain(rt.db, rt.athlete_id) == []
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as locked:
        login_token = csrf(locked.get("/login").text)
        answer = locked.post("/login", data={"csrf_token": login_token, "password": PASSWORD}, files=upload)
        assert answer.status_code == 415 and _one_sentence(answer.text)
        assert locked.get("/", follow_redirects=False).status_code == 303  # not logged in
    # Any other kind of body is no form either.
    raw = open_client.post("/pain", content=b'{"score": 3}', headers={"content-type": "application/json"})
    assert raw.status_code == 415


def test_a_body_over_the_limit_is_refused_and_nothing_is_stored(open_client: TestClient, rt: Runtime) -> None:
    token = csrf(open_client.get("/pain").text)
    answer = open_client.post("/pain", data={"csrf_token": token, "score": "3", "note": "n" * 70_000})
    assert answer.status_code == 413 and _one_sentence(answer.text) and "64 KiB" in answer.text
    assert list_pain(rt.db, rt.athlete_id) == []
    # The longest note the use case takes, in letters that percent-encoding makes 6 and 9 bytes long, still fits.
    note = "\u00e9\u2603" * (MAX_NOTE_CHARS // 2)
    fits = open_client.post("/pain", data={"csrf_token": token, "score": "3", "note": note}, follow_redirects=False)
    assert fits.status_code == 303 and [entry.note for entry in list_pain(rt.db, rt.athlete_id)] == [note]


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives(isolated_home) -> None:
    """No Content-Length to check first: the real server counts the chunks and stops at the limit."""
    running = ServerThread(load_settings(), "127.0.0.1", 0).start()
    try:
        with httpx2.Client(base_url=running.url, timeout=TIMEOUT_S) as client:
            token = csrf(client.get("/pain").text)

            def chunks() -> Iterator[bytes]:
                yield f"csrf_token={token}&score=3&note=".encode()
                for _ in range(9):
                    yield b"n" * 8192

            answer = client.post(
                "/pain", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
            )
            assert answer.status_code == 413 and _one_sentence(answer.text)
        assert list_pain(running.app.state.rt.db, running.app.state.rt.athlete_id) == []
    finally:
        running.stop()


def test_concurrent_wrong_passwords_get_five_checks(server: ServerThread) -> None:
    """Sixty guesses sent at once from one client: five passwords are compared, the other 55 are 429."""
    with httpx2.Client(base_url=server.url, timeout=TIMEOUT_S) as first:
        token = csrf(first.get("/login").text)
        cookies = dict(first.cookies)
    guesses = 60
    start = threading.Barrier(guesses)
    codes: list[int] = []

    def guess(i: int) -> None:
        with httpx2.Client(base_url=server.url, timeout=TIMEOUT_S, cookies=cookies) as client:
            client.get("/favicon.ico")  # connected before the barrier, so the posts arrive together
            start.wait()
            codes.append(client.post("/login", data={"csrf_token": token, "password": f"guess-{i}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert Counter(codes) == {401: 5, 429: guesses - 5}
