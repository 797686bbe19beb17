"""No page shows a command line to a phone user (issue 19 item 6): the engine's commands are reworded for the page.

Two checks. Every string the engine's source writes with a command in backticks (`advisor …` or `--…`) comes out
of `for_phone` without one, so a message added later cannot reach a phone unnoticed. And the pages a runner sees
through a flare — a red flag (Paused), a clinician's "not cleared", a clearance (Return), a late morning score
(Settle), old data — print no backtick, no `advisor` command and no `--option`.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.knee import PainInput, log_pain
from advisor.web.app import create_app
from advisor.web.phone_words import for_phone

DOMAIN = Path(__file__).resolve().parents[1] / "advisor" / "domain"
COMMAND = re.compile(r"`(advisor [^`]*|--[^`]*)`")
PAGES = ("/", "/pain", "/rehab", "/activities", "/assessed")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def engine_texts_with_a_command() -> list[str]:
    """Every string constant in advisor/domain that writes a command in backticks, docstrings (a bare string as a
    statement, the module's, a class's, a function's or an attribute's) aside."""
    found = []
    for path in sorted(DOMAIN.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}  # and attributes'
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) and id(node) not in docstrings else None
            if isinstance(text, str) and COMMAND.search(text):
                found.append(text)
    return found


def test_every_command_the_engine_writes_has_its_phone_words() -> None:
    texts = engine_texts_with_a_command()
    assert len(texts) >= 5, "the engine names commands in its sentences; the scan must find them"
    for text in texts:
        assert not COMMAND.search(str(for_phone(text))), text


def phone_text(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    main = page.text.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


def assert_no_command(client: TestClient, state: str) -> None:
    for path in PAGES:
        text = phone_text(client, path)
        for sign in ("`", "advisor pain", "advisor import", "advisor sync", " --"):
            assert sign not in text, f"{state}, {path}: {sign!r} in {' '.join(text.split())[:1500]}"


@pytest.fixture
def client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    rt = Runtime(load_settings())
    with TestClient(create_app(rt.settings, runtime=rt)) as c:
        c.rt = rt  # type: ignore[attr-defined]
        yield c
    rt.close()


def test_the_phone_pages_through_a_flare_name_no_command(client: TestClient) -> None:
    rt: Runtime = client.rt  # type: ignore[attr-defined]
    today = rt.settings.today()
    assert_no_command(client, "no data")
    log_pain(rt.db, rt.athlete_id, PainInput(score=6, swelling=True, locking=True, day=today - timedelta(1)), today)
    assert "Paused" in phone_text(client, "/")
    assert_no_command(client, "a red flag")
    token = CSRF.search(client.get("/assessed").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/assessed", data={"csrf_token": token, "cleared": "no", "date": today.isoformat()})
    assert answer.status_code == 200 and "Paused" in phone_text(client, "/")
    assert_no_command(client, "not cleared")
    token = CSRF.search(client.get("/assessed").text).group(1)  # type: ignore[union-attr]
    client.post("/assessed", data={"csrf_token": token, "cleared": "yes", "date": today.isoformat()})
    assert_no_command(client, "cleared")
    log_pain(rt.db, rt.athlete_id, PainInput(score=5, when="morning", day=today), today)
    assert_no_command(client, "a bad morning")
