"""The web page's security promises: CSRF, escaping, the login gate, its cookie, the throttle, headers, secrets.

Through Starlette's test client on a real SQLite database; `advisor serve` itself in test_web_server.py.
"""

from __future__ import annotations

import logging
import re

import pytest
from starlette.testclient import TestClient
from test_web import csrf

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.knee import list_pain
from advisor.web.app import create_app

PASSWORD = "knee-Secret-4711"
PAGES = ("/", "/pain", "/rehab", "/activities", "/assessed", "/login")


@pytest.fixture
def rt(isolated_home, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{isolated_home / 'advisor.db'}")
    runtime = Runtime(load_settings())
    yield runtime
    runtime.close()


@pytest.fixture
def open_client(rt: Runtime) -> TestClient:
    with TestClient(create_app(rt.settings, runtime=rt)) as c:
        yield c


@pytest.fixture
def locked_client(rt: Runtime) -> TestClient:
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as c:
        yield c


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_session_token_is_refused_and_stores_nothing(
    open_client: TestClient, rt: Runtime, token: str | None
) -> None:
    open_client.get("/pain")  # the session (and its real token) exists; the POST does not carry it
    data = {"score": "3"} if token is None else {"score": "3", "csrf_token": token}
    answer = open_client.post("/pain", data=data)
    assert answer.status_code == 403
    assert list_pain(rt.db, rt.athlete_id) == []
    for path in ("/rehab", "/assessed", "/logout"):
        assert open_client.post(path, data={"strength_move": "clamshell", "cleared": "yes"}).status_code == 403


def test_a_token_from_another_session_is_refused(open_client: TestClient, rt: Runtime) -> None:
    with TestClient(create_app(rt.settings, runtime=rt)) as other:
        foreign = csrf(other.get("/pain").text)
    open_client.get("/pain")
    assert open_client.post("/pain", data={"score": "3", "csrf_token": foreign}).status_code == 403
    assert list_pain(rt.db, rt.athlete_id) == []


def test_what_the_runner_typed_is_escaped(open_client: TestClient, rt: Runtime) -> None:
    note = '<script>alert("knee")</script><img src=x onerror=alert(1)>'
    token = csrf(open_client.get("/pain").text)
    assert open_client.post("/pain", data={"csrf_token": token, "score": "2", "note": note}).status_code == 200
    [entry] = list_pain(rt.db, rt.athlete_id)
    assert entry.note == note  # stored as typed...
    page = open_client.get("/pain").text
    assert "<script>" not in page and "<img src=x" not in page  # ...and shown as text
    assert "&lt;script&gt;alert(&#34;knee&#34;)&lt;/script&gt;" in page
    bad = open_client.post("/pain", data={"csrf_token": csrf(page), "score": "1", "when": "<b>noon</b>"})
    assert bad.status_code == 400 and "<b>noon</b>" not in bad.text and "&lt;b&gt;noon&lt;/b&gt;" in bad.text


def test_every_answer_carries_the_security_headers(open_client: TestClient) -> None:
    for answer in (open_client.get("/"), open_client.get("/chart.png"), open_client.post("/pain", data={})):
        csp = answer.headers["content-security-policy"]
        assert "script-src" not in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-content-type-options"] == "nosniff"
    page = open_client.get("/pain").text
    assert "<script" not in page and "style=" not in page  # nothing the CSP would have to allow


def test_with_a_password_every_page_but_login_redirects(locked_client: TestClient, rt: Runtime) -> None:
    for path in (*PAGES[:-1], "/chart.png", "/activities/1"):
        answer = locked_client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    assert locked_client.post("/pain", data={"score": "3"}, follow_redirects=False).status_code == 303
    assert list_pain(rt.db, rt.athlete_id) == []
    login = locked_client.get("/login")
    assert login.status_code == 200 and 'name="password"' in login.text and 'type="password"' in login.text


def test_login_sets_a_signed_httponly_samesite_lax_cookie(locked_client: TestClient) -> None:
    token = csrf(locked_client.get("/login").text)
    answer = locked_client.post("/login", data={"csrf_token": token, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("advisor_session=")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags
    assert PASSWORD not in cookie
    assert locked_client.get("/", follow_redirects=False).status_code == 200
    # A cookie whose signature does not match is no session at all.
    value = cookie.split(";")[0].split("=", 1)[1]
    locked_client.cookies.clear()
    locked_client.cookies.set("advisor_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert locked_client.get("/", follow_redirects=False).status_code == 303


def test_a_link_opened_before_logging_in_is_where_the_login_lands(locked_client: TestClient) -> None:
    """A notification's "Log it" link on a phone without a session: the password first, then the prefilled form it
    pointed at, not the home page. Only this site's own pages: the target is kept in the signed session."""
    wanted = "/pain?date=2026-12-02&when=after"
    assert locked_client.get(wanted, follow_redirects=False).headers["location"] == "/login"
    token = csrf(locked_client.get("/login").text)
    answer = locked_client.post("/login", data={"csrf_token": token, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == wanted
    assert 'value="2026-12-02"' in locked_client.get(answer.headers["location"]).text


def test_the_login_form_itself_needs_its_csrf_token(locked_client: TestClient) -> None:
    locked_client.get("/login")
    answer = locked_client.post("/login", data={"password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert locked_client.get("/", follow_redirects=False).status_code == 303


def test_wrong_passwords_are_throttled(locked_client: TestClient) -> None:
    token = csrf(locked_client.get("/login").text)
    codes = [
        locked_client.post("/login", data={"csrf_token": token, "password": f"guess-{i}"}).status_code for i in range(7)
    ]
    assert codes == [401] * 5 + [429] * 2
    # Throttled means throttled: even the right password waits.
    right = locked_client.post("/login", data={"csrf_token": token, "password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 429
    assert locked_client.get("/", follow_redirects=False).status_code == 303


def test_the_password_is_on_no_page_and_in_no_log_line(
    locked_client: TestClient, rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = csrf(locked_client.get("/login").text)
    bodies = [locked_client.post("/login", data={"csrf_token": token, "password": PASSWORD + "x"}).text]
    locked_client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    bodies += [locked_client.get(path).text for path in PAGES]
    token = csrf(bodies[-2])
    bodies.append(locked_client.post("/pain", data={"csrf_token": token, "score": "99"}).text)
    assert all(PASSWORD not in body for body in bodies)
    assert all(re.search("Log out", body) for body in bodies[2:-1])
    assert not any(PASSWORD in record.getMessage() for record in caplog.records)


def _log_in(client: TestClient) -> str:
    """Log in and return the session cookie's value, as a copy of it (another device, a stolen cookie) would hold."""
    token = csrf(client.get("/login").text)
    answer = client.post("/login", data={"csrf_token": token, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 303 and client.get("/", follow_redirects=False).status_code == 200
    return answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]


def _logged_in_with(client: TestClient, cookie: str) -> bool:
    """Whether the page takes this cookie, sent alone (the client's own cookies are forgotten)."""
    client.cookies.clear()
    answer = client.get("/", headers={"cookie": f"advisor_session={cookie}"}, follow_redirects=False)
    client.cookies.clear()
    return answer.status_code == 200


def test_logout_ends_the_session_on_the_server(locked_client: TestClient, rt: Runtime) -> None:
    """The cookie is signed and valid for 30 days; after logging out, a saved copy of it is logged out too, and so
    is every other device's session (logging out on the laptop ends a lost phone's)."""
    saved = _log_in(locked_client)
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as phone:
        phone_cookie = _log_in(phone)
    token = csrf(locked_client.get("/pain").text)
    assert locked_client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert not _logged_in_with(locked_client, saved)
    assert not _logged_in_with(locked_client, phone_cookie)
    # A form of a page seen before the logout is refused, not stored in the logged-out session's name.
    stale = locked_client.post(
        "/pain",
        data={"csrf_token": token, "score": "3"},
        headers={"cookie": f"advisor_session={saved}"},
        follow_redirects=False,
    )
    assert stale.status_code == 303 and stale.headers["location"] == "/login"
    assert list_pain(rt.db, rt.athlete_id) == []
    locked_client.cookies.clear()
    assert _logged_in_with(locked_client, _log_in(locked_client))  # and logging in again works


def test_a_new_password_ends_every_session_even_when_changed_back(rt: Runtime) -> None:
    """Starting the page with another password ends the sessions made before; changing it back does not revive
    them (the signing key alone would: it is derived from the password)."""
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as client:
        saved = _log_in(client)
    with TestClient(create_app(rt.settings, password="another-Password-1", runtime=rt)) as client:
        assert not _logged_in_with(client, saved)
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as client:
        assert not _logged_in_with(client, saved)
        fresh = _log_in(client)
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as client:
        assert _logged_in_with(client, fresh)  # a restart with the same password keeps the phone logged in
