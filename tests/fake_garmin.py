"""A fake Garmin on 127.0.0.1 that answers what `garminconnect` 0.3.x and Garmin's Personal API client send.

Why a real HTTP server and not mocks: the point of the Garmin tests is that the *libraries* (their SSO flow,
token exchange and refresh, request building, error translation) meet answers shaped like Garmin's, and our
code copes with what comes back. The server is one origin standing in for every Garmin host
(sso., connect., connectapi., diauth., personal.connectapi.), which is what `garmin.base_url` points at.

Served (request shapes as the libraries send them, answers as Garmin's):
- SSO, iOS-app flow (garminconnect's first login strategy):
  GET  /mobile/sso/en_US/sign-in                      -> HTML + SESSION cookie
  POST /mobile/api/login {username,password,...}      -> {"responseStatus":{"type":"SUCCESSFUL"|"MFA_REQUIRED"|
                                                          "INVALID_USERNAME_PASSWORD"}, "serviceTicketId": "ST-.."}
  POST /mobile/api/mfa/verifyCode {mfaVerificationCode} (also /portal/api/mfa/verifyCode) -> same shape
- DI OAuth2: POST /di-oauth2-service/oauth/token, form grant_type=<service_ticket grant>|refresh_token
  -> {"access_token": JWT(exp, client_id), "refresh_token": .., "expires_in": ..}; bad grant -> 400
- Personal API: POST /personalapitoken-service/personal-api/personal-api-key/token with
  `Authorization: ApiKey K` -> the JWT as text/plain; bad key -> 401
- With `Authorization: Bearer <access token>` (else 401):
  GET /userprofile-service/socialProfile, /userprofile-service/userprofile/user-settings
  GET /activitylist-service/activities/search/activities?start&limit[&startDate&endDate&sortOrder]
  GET /download-service/files/activity/<id>          -> application/zip holding <id>_ACTIVITY.fit
  GET /wellness-service/wellness/floorsChartData/daily/<date>
  GET /usersummary-service/stats/steps/daily/<from>/<to>
  GET /usersummary-service/v2/dailysummaries?startDate&endDate  -> {"data": [...]}
Faults, armed per path fragment: any status (429 with Retry-After, 401, 500, ...), a delay before answering
(slow responses), a corrupt zip per activity, revoked tokens. Every request is logged for assertions.

Limits: only the iOS-app ("mobile") SSO strategy is served; the widget and portal strategies get 404, which
is fine because the library tries mobile first and stops at the first success, MFA or credential error.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import secrets
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FIT = REPO.parent / "shared" / "fit-samples" / "python-fitparse" / "2013-02-06-12-11-14.fit"
DI_SERVICE_TICKET_GRANT = "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket"
DI_CLIENT_ID = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2"
TOKEN_FILE_NAME = "garmin_tokens.json"


@functools.cache
def sample_fit_bytes(start: datetime | None = None) -> bytes:
    """A real running FIT file starting at `start`: a 1 km run from tests/fitgen.py, else a shared sample.

    Distinct starts give distinct files (so sync tests do not see every activity as a duplicate of the first),
    and the FIT's own start matches the activity list. Cached: fit-tool takes ~0.5 s per file.
    """
    try:
        import fitgen
    except ImportError:
        return SAMPLE_FIT.read_bytes()
    track = fitgen.track_from_segments([(1000.0, 0.0)], speed=3.0, noise_m=0.2, seed=7)
    if start is None:
        return fitgen.write_activity(None, track)
    return fitgen.write_activity(None, track, start=start)


def make_jwt(exp: float, client_id: str = DI_CLIENT_ID) -> str:
    """An HS256-shaped JWT (unsigned in substance): the libraries only read `exp` and `client_id`."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = {"exp": int(exp), "client_id": client_id, "jti": secrets.token_hex(6)}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.c2ln"


def zip_original(activity_id: int, fit: bytes) -> bytes:
    """The ORIGINAL download as Garmin serves it: a zip with one `<id>_ACTIVITY.fit`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{activity_id}_ACTIVITY.fit", fit)
    return buffer.getvalue()


@dataclass
class Fault:
    """Answer requests whose path contains `path` with `status` (or just delay them when status is None)."""

    path: str
    status: int | None = 500
    times: int = 1  # how many matching requests it applies to; -1 = forever
    retry_after: str | None = None
    delay_s: float = 0.0
    body: bytes = b'{"message": "fault injected"}'
    method: str | None = None


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    at: float
    authorization: str | None
    status: int = 0


@dataclass
class FakeGarmin:
    email: str = "runner@example.com"
    password: str = "correct horse battery staple"
    mfa_code: str | None = None  # set to require MFA
    api_keys: set[str] = field(default_factory=lambda: {"personal-key-1"})
    access_lifetime_s: float = 3600.0
    display_name: str = "fake-runner"

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.activities: dict[int, dict[str, Any]] = {}
        self.files: dict[int, tuple[datetime, bytes | None, bool]] = {}
        self.days: dict[date, dict[str, Any]] = {}
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.tickets: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FakeGarmin:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        # serve_forever's poll interval: shutdown() waits up to one of them (0.5 s by default) at every teardown
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-garmin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGarmin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- arranging state ---------------------------------------------------------------------------------

    def add_activity(
        self,
        activity_id: int,
        start_utc: datetime,
        *,
        type_key: str = "running",
        name: str | None = "Morning Run",
        utc_offset: timedelta = timedelta(hours=1),
        fit: bytes | None = None,
        corrupt: bool = False,
    ) -> None:
        local = start_utc.astimezone(UTC).replace(tzinfo=None) + utc_offset
        self.activities[activity_id] = {
            "activityId": activity_id,
            "activityName": name,
            "startTimeLocal": local.strftime("%Y-%m-%d %H:%M:%S"),
            "startTimeGMT": start_utc.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "activityType": {"typeId": 1, "typeKey": type_key, "parentTypeId": 17, "isHidden": False},
            "distance": 10012.3,
            "duration": 3011.5,
            "elevationGain": 54.0,
            "elevationLoss": 51.0,
            "hasPolyline": True,
        }
        self.files[activity_id] = (start_utc, fit, corrupt)  # zipped on first download: fit-tool is slow

    def set_day(self, day: date, *, floors_up: int, floors_down: int, steps: int) -> None:
        self.days[day] = {"up": floors_up, "down": floors_down, "steps": steps}

    def fail(
        self,
        path: str,
        status: int | None = 500,
        *,
        times: int = 1,
        retry_after: str | None = None,
        delay_s: float = 0.0,
        method: str | None = None,
    ) -> Fault:
        fault = Fault(path, status, times, retry_after, delay_s, method=method)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def issue_tokens(self, *, expired: bool = False) -> dict[str, str]:
        """Tokens as garminconnect stores them (`garmin_tokens.json`)."""
        exp = time.time() + (-60 if expired else self.access_lifetime_s)
        access, refresh = make_jwt(exp), "refresh-" + secrets.token_hex(8)
        with self.lock:
            self.access_tokens[access] = exp
            self.refresh_tokens.add(refresh)
        return {"di_token": access, "di_refresh_token": refresh, "di_client_id": DI_CLIENT_ID}

    def seed_token_dir(self, token_dir: Path, *, expired: bool = False) -> dict[str, str]:
        """Write a token file as `advisor garmin login` would have left it."""
        tokens = self.issue_tokens(expired=expired)
        token_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = token_dir / TOKEN_FILE_NAME
        path.write_text(json.dumps(tokens))
        path.chmod(0o600)
        return tokens

    def revoke_all(self) -> None:
        """As if the user signed out everywhere / changed the password: no token or refresh token works."""
        with self.lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens:
                self.access_tokens[token] = time.time() - 1

    def original(self, activity_id: int) -> bytes | None:
        """The bytes the download endpoint serves for `activity_id` (None: no such activity)."""
        entry = self.files.get(activity_id)
        if entry is None:
            return None
        start_utc, fit, corrupt = entry
        data = zip_original(activity_id, fit if fit is not None else sample_fit_bytes(start_utc))
        return data[: len(data) // 2] + b"\x00garbage" if corrupt else data

    # --- reading the log ----------------------------------------------------------------------------------

    def hits(self, fragment: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if fragment in r.path]

    # --- answering ------------------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path in path and (fault.method is None or fault.method == method) and fault.times:
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        with self.lock:
            exp = self.access_tokens.get(header[7:])
        return exp is not None and exp > time.time()

    def _new_ticket(self) -> str:
        ticket = "ST-" + secrets.token_hex(8) + "-cas"
        with self.lock:
            self.tickets.add(ticket)
        return ticket

    def _di_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        with self.lock:
            if grant == DI_SERVICE_TICKET_GRANT and form.get("service_ticket") in self.tickets:
                self.tickets.discard(form["service_ticket"])
            elif grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])  # rotate, as Garmin does
            else:
                return 400, {"error": "invalid_grant", "error_description": "grant is not valid"}
        tokens = self.issue_tokens()
        return 200, {
            "access_token": tokens["di_token"],
            "refresh_token": tokens["di_refresh_token"],
            "token_type": "bearer",
            "expires_in": int(self.access_lifetime_s),
            "scope": "CONNECT_READ",
        }

    def _search(self, query: dict[str, str]) -> list[dict[str, Any]]:
        start, limit = int(query.get("start", 0)), int(query.get("limit", 20))
        since, until = query.get("startDate"), query.get("endDate")
        rows = [
            a
            for a in self.activities.values()
            if (since is None or a["startTimeLocal"][:10] >= since)
            and (until is None or a["startTimeLocal"][:10] <= until)
        ]
        rows.sort(key=lambda a: a["startTimeGMT"], reverse=query.get("sortOrder") != "asc")
        return rows[start : start + limit]

    def _floors_chart(self, day: date) -> dict[str, Any]:
        values = self.days.get(day)
        rows = []
        if values:
            up, down = values["up"], values["down"]
            for hour, share_up, share_down in ((8, up // 2, down // 2), (18, up - up // 2, down - down // 2)):
                start = datetime(day.year, day.month, day.day, hour)
                rows.append(
                    [
                        start.strftime("%Y-%m-%dT%H:%M:%S.0"),
                        (start + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S.0"),
                        share_up,
                        share_down,
                    ]
                )
        return {
            "startTimestampGMT": f"{day}T00:00:00.0",
            "endTimestampGMT": f"{day + timedelta(days=1)}T00:00:00.0",
            "startTimestampLocal": f"{day}T00:00:00.0",
            "endTimestampLocal": f"{day + timedelta(days=1)}T00:00:00.0",
            "floorsValueDescriptorDTOList": [
                {"key": "startTimeGMT", "index": 0},
                {"key": "endTimeGMT", "index": 1},
                {"key": "floorsAscended", "index": 2},
                {"key": "floorsDescended", "index": 3},
            ],
            "floorValuesArray": rows,
        }

    def _days_between(self, first: str, last: str) -> list[date]:
        a, b = date.fromisoformat(first), date.fromisoformat(last)
        return [d for d in sorted(self.days) if a <= d <= b]

    def handle(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> _Answer:
        auth = headers.get("Authorization")
        fault = self._take_fault(method, path)
        if fault is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.status is not None:
                extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                return _Answer(fault.status, fault.body, "application/json", extra)

        # --- SSO (iOS app flow) and token endpoints: no bearer needed
        if path == "/mobile/sso/en_US/sign-in" and method == "GET":
            return _Answer(
                200,
                b"<html><title>GARMIN Authentication</title></html>",
                "text/html",
                {"Set-Cookie": "SESSION=fake-session; Path=/"},
            )
        if path == "/mobile/api/login" and method == "POST":
            creds = json.loads(body or b"{}")
            if creds.get("username") != self.email or creds.get("password") != self.password:
                return _json(200, {"responseStatus": {"type": "INVALID_USERNAME_PASSWORD"}})
            if self.mfa_code is not None:
                return _json(
                    200, {"responseStatus": {"type": "MFA_REQUIRED"}, "customerMfaInfo": {"mfaLastMethodUsed": "email"}}
                )
            return _json(200, {"responseStatus": {"type": "SUCCESSFUL"}, "serviceTicketId": self._new_ticket()})
        if path in ("/mobile/api/mfa/verifyCode", "/portal/api/mfa/verifyCode") and method == "POST":
            sent = json.loads(body or b"{}").get("mfaVerificationCode")
            if self.mfa_code is None or sent != self.mfa_code:
                return _json(200, {"responseStatus": {"type": "INVALID_MFA_CODE"}})
            return _json(200, {"responseStatus": {"type": "SUCCESSFUL"}, "serviceTicketId": self._new_ticket()})
        if path == "/di-oauth2-service/oauth/token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            return _json(*self._di_token(form))
        if path == "/personalapitoken-service/personal-api/personal-api-key/token" and method == "POST":
            key = (auth or "").removeprefix("ApiKey ").strip()
            if key not in self.api_keys:
                return _json(401, {"message": "Invalid API key"})
            exp = time.time() + 24 * 3600
            token = make_jwt(exp, client_id="PERSONAL_API")
            with self.lock:
                self.access_tokens[token] = exp
            return _Answer(200, token.encode(), "text/plain")

        # --- API tier: bearer required
        if not self._authorized(auth):
            return _json(401, {"message": "Token is not active"})
        if path == "/userprofile-service/socialProfile":
            return _json(200, {"displayName": self.display_name, "fullName": "Fake Runner", "profileId": 42})
        if path == "/userprofile-service/userprofile/user-settings":
            return _json(200, {"userData": {"measurementSystem": "metric"}})
        if path == "/activitylist-service/activities/search/activities":
            return _json(200, self._search(query))
        if match := re.fullmatch(r"/download-service/files/activity/(\d+)", path):
            data = self.original(int(match.group(1)))
            if data is None:
                return _json(404, {"message": "Not Found"})
            return _Answer(
                200, data, "application/zip", {"Content-Disposition": f'attachment; filename="{match.group(1)}.zip"'}
            )
        if match := re.fullmatch(r"/wellness-service/wellness/floorsChartData/daily/(\d{4}-\d\d-\d\d)", path):
            return _json(200, self._floors_chart(date.fromisoformat(match.group(1))))
        if match := re.fullmatch(r"/usersummary-service/stats/steps/daily/([\d-]+)/([\d-]+)", path):
            return _json(
                200,
                [
                    {
                        "calendarDate": d.isoformat(),
                        "totalSteps": self.days[d]["steps"],
                        "totalDistance": self.days[d]["steps"] * 0.8,
                        "stepGoal": 8000,
                    }
                    for d in self._days_between(match.group(1), match.group(2))
                ],
            )
        if path == "/usersummary-service/v2/dailysummaries":
            return _json(
                200,
                {
                    "data": [
                        {
                            "calendarDate": d.isoformat(),
                            "totalSteps": self.days[d]["steps"],
                            "floorsAscended": float(self.days[d]["up"]),
                            "floorsDescended": float(self.days[d]["down"]),
                        }
                        for d in self._days_between(query["startDate"], query["endDate"])
                    ]
                },
            )
        return _json(404, {"message": f"no such endpoint in the fake: {method} {path}"})


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, obj: Any) -> _Answer:
    return _Answer(status, json.dumps(obj).encode(), "application/json")


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out on a slow answer closes its socket; that is the test working, not noise.
        pass


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGarmin

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = Recorded(self.command, parts.path, query, time.monotonic(), self.headers.get("Authorization"))
        with self.fake.lock:
            self.fake.requests.append(record)
        answer = self.fake.handle(self.command, parts.path, query, self.headers, body)
        record.status = answer.status
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = _serve
    do_POST = _serve
