"""The clinician's visit report (issue 22 item 3): `advisor report --out FILE.html|.pdf`, `/report` and
`/report.pdf` on the web page, and `advisor team report` for a clinic.

One 12-week history is built by hand, ending last Sunday (`AS_OF`), after six weeks of 26 km (6, 6, 6 and 8 km):

    week 1   6, 6, 6, 8 km              26 km
    week 2   6, 6, 6, 9                 27
    week 3   6, 6, 6, 10 (Sunday, 420 m down: the longest run)  28
    week 4   6, 6, 8, 9                 29
    week 5   6, 6 (Wed: 6/10 after the run, 4/10 the next morning: a flare)     12
    week 6   mornings 2 and 1 (settled), then 3, 3                               6
    week 7   3, 3; Thursday swelling (a red flag), no more running               6
    week 8   Friday a clinician clears the knee                                  0
    week 9   3, 3, 3, each 1/10 after                                            9
    week 10  4, 4, 4, each 1/10 after; Saturday a 12 km hike, 650 m down         12
    week 11  4, 4, 5, each 1/10 after                                           13
    week 12  5, 5, 5, each 1/10 after                                           15

and rehab sessions (three a week in weeks 1-4, two after), and notes on the flare, the swelling, a session and the
assessment. What a physio reads off it by hand: Build until the flare, Settle until the knee settled, Return, a
red-flag pause, Return after the clearance; the longest run the 10 km of week 3 (the 12 km hike is no run), the
biggest descent the hike's 650 m, then the 420 m run.
"""

from __future__ import annotations

import html
import io
import itertools
import os
import re
import stat
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from starlette.testclient import TestClient
from stored import stand_in_activity, stand_in_source
from test_phone_words import engine_texts_with_a_command
from test_web import csrf

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.render.visit_report import for_clinician, style_hash
from advisor.services.knee import PainInput, log_pain
from advisor.services.rehab import RehabInput, log_rehab, record_assessment
from advisor.store.models import Athlete
from advisor.web.app import create_app

_keys = itertools.count(1)
TODAY = datetime.now(UTC).date()
AS_OF = TODAY - timedelta(days=TODAY.weekday() + 1)
"""Last Sunday: the report's 12 weeks are whole weeks, and every date of the history is in the past."""
MON = AS_OF - timedelta(days=83)
"""The Monday of the report's first week."""
WEEK_KM = [26, 27, 28, 29, 12, 6, 6, 0, 9, 12, 13, 15]
"""Each week's running distance, worked out from the table in the docstring (the hike is no run)."""
FLARE_NOTE = "sharp pain below the kneecap going down stairs"
SWELLING_NOTE = "knee puffy after kneeling in the garden"
REHAB_NOTE = "wall sit 3 x 30 s without pain"
CLEARANCE_NOTE = "no effusion, full range: return gradually"


def day(week: int, weekday: int) -> date:
    """Day `weekday` (0 Monday) of the report's week `week` (1-12; 0 and below are the weeks before)."""
    return MON + timedelta(weeks=week - 1, days=weekday)


RUNS: list[tuple[date, float, float, str]] = [
    *((day(k, d), km, 0.0, "running") for k in range(-5, 1) for d, km in ((0, 6), (2, 6), (4, 6), (6, 8))),
    *((day(1, d), km, 0.0, "running") for d, km in ((0, 6), (2, 6), (4, 6), (6, 8))),
    *((day(2, d), km, 0.0, "running") for d, km in ((0, 6), (2, 6), (4, 6), (6, 9))),
    *((day(3, d), km, 0.0, "running") for d, km in ((0, 6), (2, 6), (4, 6))),
    (day(3, 6), 10.0, 420.0, "running"),
    *((day(4, d), km, 0.0, "running") for d, km in ((0, 6), (2, 6), (4, 8), (6, 9))),
    *((day(5, d), 6.0, 0.0, "running") for d in (0, 2)),
    *((day(6, d), 3.0, 0.0, "running") for d in (3, 5)),
    *((day(7, d), 3.0, 0.0, "running") for d in (0, 2)),
    *((day(9, d), 3.0, 0.0, "running") for d in (0, 2, 4)),
    *((day(10, d), 4.0, 0.0, "running") for d in (0, 2, 4)),
    (day(10, 5), 12.0, 650.0, "hiking"),
    *((day(11, d), km, 0.0, "running") for d, km in ((0, 4), (2, 4), (4, 5))),
    *((day(12, d), 5.0, 0.0, "running") for d in (0, 2, 4)),
]
RETURN_RUN_DAYS = [d for d, _, _, sport in RUNS if sport == "running" and d >= day(9, 0)]


def store_history(rt: Runtime) -> None:
    """The history of the module's docstring: runs written as the import stores them, the logs through their use
    cases (as `advisor pain log`, `rehab log` and `pain assessed` store them)."""
    with rt.db.transaction() as session:
        athlete_id = session.scalars(select(Athlete.id).where(Athlete.id == rt.athlete_id)).one()
        source = stand_in_source(session, athlete_id, datetime(2026, 1, 1, tzinfo=UTC))
        for when, km, descent, sport in RUNS:
            name = "Hill loop" if descent and sport == "running" else None
            start = datetime.combine(when, time(7), UTC)
            session.add(
                stand_in_activity(
                    athlete_id,
                    source,
                    f"visit-{next(_keys)}",
                    start,
                    km,
                    sport=sport,
                    name=name,
                    descent_m=descent,
                    elapsed_s=km * 330.0,
                )
            )

    def pain(on: date, score: int, when: str = "after", **more: object) -> None:
        log_pain(rt.db, rt.athlete_id, PainInput(score=score, when=when, day=on, **more), TODAY)  # type: ignore[arg-type]

    pain(day(5, 2), 6, note=FLARE_NOTE)
    pain(day(5, 3), 4, "morning")
    pain(day(6, 0), 2, "morning")
    pain(day(6, 1), 1, "morning")
    pain(day(7, 3), 3, swelling=True, note=SWELLING_NOTE)
    for on in RETURN_RUN_DAYS:
        pain(on, 1)
    for k in range(1, 13):
        for d in (0, 2, 4) if k <= 4 else (1, 4):
            note = REHAB_NOTE if (k, d) == (6, 1) else None
            log_rehab(rt.db, rt.athlete_id, RehabInput(day=day(k, d), note=note), TODAY)
    record_assessment(rt.db, rt.athlete_id, True, day(8, 4), CLEARANCE_NOTE, TODAY)


# --- what a physio works out from the history by hand ---------------------------------------------------------------

WEEK_RUNS = [4, 4, 4, 4, 2, 2, 2, 0, 3, 3, 3, 3]
WEEK_LONGEST_KM = [8, 9, 10, 9, 6, 3, 3, 0, 3, 4, 5, 5]
WEEK_PAIN_AFTER = [None, None, None, None, 6, None, 3, None, 1, 1, 1, 1]
"""The worst after-run score of each week: the flare's 6, the swelling's 3, then 1 after every Return run."""
WEEK_PAIN_MORNING = [None, None, None, None, 4, 2, None, None, None, None, None, None]
"""The flare's next morning 4, then the settling mornings 2 and 1 (the worst of them is 2)."""
WEEK_STRENGTH = [3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2]
"""Sessions logged: three a week in weeks 1-4, two after (each both strength and mobility)."""
WEEK_PHASES = [
    "Build", "Build", "Build", "Build",
    "Build, Settle",   # Wednesday's 6/10 after the run is a flare
    "Settle, Return",  # two mornings at 2/10 or less (Monday 2, Tuesday 1): settled, a graded restart
    "Return, Paused",  # Thursday's swelling is a red flag
    "Paused, Return",  # Friday's clearance
    "Return", "Return", "Return", "Return",
]  # fmt: skip
PHASES = [  # (first day, last day, phase)
    (day(1, 0), day(5, 1), "Build"),
    (day(5, 2), day(6, 0), "Settle"),
    (day(6, 1), day(7, 2), "Return"),
    (day(7, 3), day(8, 3), "Paused"),
    (day(8, 4), AS_OF, "Return"),
]
ROW = re.compile(
    r"^(?P<week>\d{4}-W\d\d) (?P<day>\d+ \w{3}) (?P<distance>[\d.]+) (?P<cap>[\d.]+|settle|paused|no cap yet) "
    r"(?P<kept>yes|over|—) (?P<runs>\d+) (?P<longest>[\d.]+) (?P<during>\d+|—) (?P<after>\d+|—) (?P<morning>\d+|—) "
    r"(?P<strength>\d+) (?P<mobility>\d+) (?P<step>\d+) (?P<phases>.+)$",
    re.M,
)


def shown(value: date) -> str:
    """A day as the page writes it: `Thu 22 Oct`."""
    return f"{value:%a} {value.day} {value:%b}"


def week_rows(text: str) -> dict[str, re.Match[str]]:
    """The week-by-week table's rows, by ISO week."""
    return {m["week"]: m for m in ROW.finditer(text)}


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def assert_weeks(text: str, per_km: float = 1.0, first: int = 1) -> None:
    """Every week from `first` on as the history says, distances in km (`per_km` 1) or miles."""
    rows = week_rows(text)
    for k in range(first, 13):
        row = rows[iso_week(day(k, 0))]
        i = k - 1
        assert row["distance"] == f"{WEEK_KM[i] * per_km:.1f}", (k, row[0])
        assert row["longest"] == f"{WEEK_LONGEST_KM[i] * per_km:.1f}", (k, row[0])
        assert int(row["runs"]) == WEEK_RUNS[i], (k, row[0])
        assert row["during"] == "—", (k, row[0])
        assert row["after"] == ("—" if WEEK_PAIN_AFTER[i] is None else str(WEEK_PAIN_AFTER[i])), (k, row[0])
        assert row["morning"] == ("—" if WEEK_PAIN_MORNING[i] is None else str(WEEK_PAIN_MORNING[i])), (k, row[0])
        assert int(row["strength"]) == int(row["mobility"]) == WEEK_STRENGTH[i], (k, row[0])
        assert row["phases"].strip() == WEEK_PHASES[i], (k, row[0])
    # The day before week 6 the knee was settling and the day before week 8 running was paused: no cap held at
    # their start. Week 5's 12 km is far under any Build cap after weeks of 26-29 km.
    assert rows[iso_week(day(6, 0))]["cap"] == "settle" and rows[iso_week(day(8, 0))]["cap"] == "paused"
    assert rows[iso_week(day(5, 0))]["kept"] == "yes"


def assert_the_rest(text: str, descent_unit: str = "m", per_m: float = 1.0, per_km: float = 1.0) -> None:
    """Phases, red flag, assessment, the longest runs and biggest descents, adherence and notes."""
    flat = " ".join(text.split())
    found = [(m[1], m[2], m[3]) for m in re.finditer(r"(\d+ \w{3}) (\d+ \w{3}) (Build|Settle|Return|Paused) ", flat)]
    assert found == [(f"{a.day} {a:%b}", f"{b.day} {b:%b}", name) for a, b, name in PHASES]
    assert f"{shown(day(7, 3))}: swelling (3/10 after a run)" in flat
    assert f"{shown(day(8, 4))}: clinician's assessment, cleared to run" in flat
    longest = flat.split("Longest runs")[1].split("Biggest descents")[0]
    # The 10 km hill loop of week 3 is the longest run; the 12 km hike is no run.
    assert f"{shown(day(3, 6))} {10 * per_km:.1f} {420 * per_m:.0f} Hill loop" in longest and "hike" not in longest
    descents = flat.split("Biggest descents")[1].split("What the runner wrote")[0]
    assert f"descent {descent_unit}" in descents
    hike = f"{shown(day(10, 5))} {650 * per_m:.0f} 0 {12 * per_km:.1f} hike"
    hill = f"{shown(day(3, 6))} {420 * per_m:.0f} 0 {10 * per_km:.1f} run"
    assert hike in descents and hill in descents and descents.index(hike) < descents.index(hill)
    assert "strength target (3 sessions) met in 4 of 12 weeks" in flat
    assert "ran on 0 days when the day before said not to run" in flat
    notes = flat.split("What the runner wrote")[1]
    for on, kind, note in (
        (day(5, 2), "pain 6/10 after", FLARE_NOTE),
        (day(6, 1), "rehab", REHAB_NOTE),
        (day(7, 3), "pain 3/10 after", SWELLING_NOTE),
        (day(8, 4), "assessment: cleared", CLEARANCE_NOTE),
    ):
        assert f"{shown(on)} {kind} {note}" in notes


def pdf_text(data: bytes) -> tuple[str, int]:
    """The PDF's text, pages joined, and how many pages it has."""
    pages = PdfReader(io.BytesIO(data)).pages
    return "\n".join(page.extract_text() for page in pages), len(pages)


def html_text(page: str) -> str:
    """What a reader sees of an HTML page: the body's text, a row of a table on a line of its own."""
    body = " ".join(page.split("<body>", 1)[1].split())
    body = re.sub(r"</tr>|<br>|</p>|</li>|</h\d>", "\n", body)
    body = re.sub(r"<[^>]+>", " ", body)
    body = html.unescape(body)
    return "\n".join(" ".join(line.split()) for line in body.splitlines() if line.strip())


# --- the tests ------------------------------------------------------------------------------------------------------


@pytest.fixture
def runner(cli, database_url: str) -> Runtime:
    """The history stored in the database the `cli` fixture's commands use."""
    rt = Runtime(load_settings())
    store_history(rt)
    yield rt
    rt.close()


@pytest.fixture
def pdf_ready() -> None:
    """WeasyPrint loads Pango from the system: without it the PDF tests skip, saying what to install, except under
    CI=true, where .ci/run installs it and a missing library is a failure."""
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"CI=true but WeasyPrint cannot load Pango ({error}): .ci/run installs it") from error
        pytest.skip(f"WeasyPrint cannot load Pango ({error}): apt-get install libpango-1.0-0 libpangoft2-1.0-0")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder for the reports (the test's ADVISOR_HOME is beside it)."""
    (tmp_path / "reports").mkdir()
    return tmp_path / "reports"


def test_the_pdf_shows_the_history_on_one_page(cli, runner: Runtime, folder: Path, pdf_ready: None) -> None:
    out = folder / "visit.pdf"
    result = cli("report", "--as-of", AS_OF.isoformat(), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"12 weeks to {AS_OF.isoformat()}" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # health data: the runner's alone
    assert [p.name for p in folder.iterdir()] == ["visit.pdf"]  # no temporary file left beside it
    text, pages = pdf_text(out.read_bytes())
    assert pages == 1, text
    assert f"12 weeks, {MON.day} {MON:%b %Y} to {AS_OF.day} {AS_OF:%b %Y}" in text
    assert "distances in km, descents in m" in text
    assert_weeks(text)
    assert_the_rest(text)


def test_the_html_in_miles_shows_no_km(cli, runner: Runtime, folder: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", "mi")
    out = folder / "visit.html"
    assert cli("report", "--as-of", AS_OF.isoformat(), "--out", str(out)).exit_code == 0
    page = out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert 'src="data:image/png;base64,' in page and "http" not in page.split("<body>")[1]  # stands alone
    text = html_text(page)
    per_km, per_m = 1000 / 1609.344, 1 / 0.3048  # a mile is 1609.344 m, a foot 0.3048 m
    assert_weeks(text, per_km)
    assert_the_rest(text, "ft", per_m, per_km)
    assert "distances in mi, descents in ft" in text
    assert not re.search(r"\bkm\b", text), [line for line in text.splitlines() if re.search(r"\bkm\b", line)]
    assert "`" not in text and "advisor pain" not in text  # the engine's commands are for the runner


def test_a_bad_suffix_or_an_existing_file_writes_nothing(cli, folder: Path) -> None:
    for name in ("visit.txt", "visit", "visit.pdf.zip"):
        result = cli("report", "--out", str(folder / name))
        assert result.exit_code == 2 and "should end in .html or .pdf" in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1  # one sentence
    assert list(folder.iterdir()) == []
    kept = folder / "visit.html"
    kept.write_text("the last visit's report")
    result = cli("report", "--out", str(kept))
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert kept.read_text() == "the last visit's report" and list(folder.iterdir()) == [kept]
    assert cli("report", "--weeks", "53", "--out", str(folder / "a.pdf")).exit_code == 2
    future = (TODAY + timedelta(days=1)).isoformat()
    result = cli("report", "--as-of", future, "--out", str(folder / "a.pdf"))
    assert result.exit_code == 2 and "is in the future" in result.stderr
    assert list(folder.iterdir()) == [kept]
    help_text = cli("report", "--help").stdout
    assert "Examples:" in help_text and "advisor report --out" in help_text and "Exit codes: 0" in help_text


PASSWORD = "knee-Report-2718"


@pytest.fixture
def sqlite_runner(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{isolated_home / 'advisor.db'}")
    rt = Runtime(load_settings())
    store_history(rt)
    yield rt
    rt.close()


def test_the_web_report_needs_the_login_and_shows_the_same_figures(sqlite_runner: Runtime, pdf_ready: None) -> None:
    rt = sqlite_runner
    with TestClient(create_app(rt.settings, password=PASSWORD, runtime=rt)) as client:
        for path in ("/report", "/report.pdf", "/report?weeks=4"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/login", path
        token = csrf(client.get("/login").text)
        assert client.post("/login", data={"password": PASSWORD, "csrf_token": token}).status_code == 200
        assert 'href="/report"' in client.get("/").text  # the home page links to it

        page = client.get("/report")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script" not in policy
        assert "unsafe-inline" not in policy and f"style-src {style_hash()};" in policy and "img-src data:" in policy
        text = html_text(page.text)
        # The web page's 12 weeks end with this week (nothing run in it yet): weeks 2 to 12 of the history.
        assert_weeks(text, first=2)
        assert f"{shown(day(7, 3))}: swelling (3/10 after a run)" in text
        for sign in ("`", "advisor pain", "advisor import", " --"):
            assert sign not in text, sign  # no command line on a page (advisor.web.phone_words)

        pdf = client.get("/report.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'attachment; filename="knee-report-{TODAY.isoformat()}.pdf"'
        pdf_words, pages = pdf_text(pdf.content)
        assert pages == 1
        assert_weeks(pdf_words, first=2)

        short = html_text(client.get("/report?weeks=4").text)
        assert "4 weeks," in short and iso_week(day(10, 0)) in short and iso_week(day(9, 0)) not in short
        refused = client.get("/report?weeks=53")
        assert refused.status_code == 400 and "1 to 52 weeks" in refused.text


def test_the_clinic_writes_one_report_per_athlete(cli, runner: Runtime, folder: Path) -> None:
    assert cli("athlete", "add", "ana", "--units", "mi").exit_code == 0
    typed = '<script>alert("knee")</script>'
    assert (
        cli("--athlete", "ana", "pain", "log", "--score", "2", "--date", AS_OF.isoformat(), "--note", typed).exit_code
        == 0
    )
    args = ("team", "report", "--out-dir", str(folder), "--format", "html", "--as-of", AS_OF.isoformat())
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    mine, hers = folder / f"default-{AS_OF.isoformat()}.html", folder / f"ana-{AS_OF.isoformat()}.html"
    assert sorted(folder.iterdir()) == sorted([mine, hers]) and str(hers) in result.stdout
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (mine, hers))
    assert_weeks(html_text(mine.read_text()))
    ana = html_text(hers.read_text())
    assert "Knee report for ana" in ana and "distances in mi" in ana and "No runs in these weeks." in ana
    assert "<script>" not in hers.read_text() and "&lt;script&gt;" in hers.read_text()  # her note is text
    assert f'{shown(AS_OF)} pain 2/10 after <script>alert("knee")</script>' in ana
    again = cli(*args)
    assert again.exit_code == 2 and "already exists" in again.stderr and len(list(folder.iterdir())) == 2
    assert "advisor team report --out-dir" in cli("team", "status").stdout


def test_the_page_names_no_command_the_engine_writes_for_the_runner() -> None:
    """The engine's sentences name commands for the runner (`advisor pain assessed --cleared`); the clinician's
    page says the rest of each sentence."""
    texts = engine_texts_with_a_command()
    assert texts
    for text in texts:
        said = for_clinician(text)
        assert "`" not in said and "advisor " not in said and "--" not in said, (text, said)
    paused = "Running advice resumes when a clinician clears you (`advisor pain assessed --cleared`)."
    assert for_clinician(paused) == "Running advice resumes when a clinician clears you."
