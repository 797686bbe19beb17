"""A pain score logged wrong on the phone is fixed on the phone (issue 19 item 4): each entry of the log opens in
the same form, filled in, to save changed or delete; bad input is the same one sentence as a new entry's, and
the report follows every change (it is never stale)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.current import report_for
from advisor.services.knee import assess_history, list_pain
from advisor.web.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(page: str) -> str:
    found = CSRF.search(page)
    assert found
    return found.group(1)


@pytest.fixture
def rt(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    runtime = Runtime(load_settings())
    yield runtime
    runtime.close()


def flags(rt: Runtime) -> set[str]:
    """The flags the pages show today."""
    today = rt.settings.today()
    return {f.code for f in report_for(rt.db, rt.athlete_id, rt.settings, today, today).flags}


def fresh(rt: Runtime) -> bool:
    """What the pages show is what the engine says now."""
    today = rt.settings.today()
    return report_for(rt.db, rt.athlete_id, rt.settings, today, today) == assess_history(
        rt.db, rt.athlete_id, rt.settings, today
    )


def test_a_wrong_score_is_changed_then_deleted_from_the_phone(rt: Runtime) -> None:
    with TestClient(create_app(rt.settings, runtime=rt)) as client:
        yesterday = (rt.settings.today() - timedelta(days=1)).isoformat()
        page = client.get("/pain").text
        client.post("/pain", data={"csrf_token": token(page), "score": "8", "when": "after", "date": yesterday})
        [entry] = list_pain(rt.db, rt.athlete_id)
        assert f'href="/pain/{entry.id}"' in client.get("/pain").text
        assert "pain_reported" in flags(rt) and fresh(rt)

        form = client.get(f"/pain/{entry.id}").text
        assert "Change a pain entry" in form and re.search(r'value="8"[^>]*checked', form)
        assert f'value="{yesterday}"' in form and f'action="/pain/{entry.id}/delete"' in form

        wrong = client.post(f"/pain/{entry.id}", data={"csrf_token": token(form), "score": "11", "date": yesterday})
        assert wrong.status_code == 400 and "Score must be a whole number from 0 (no pain) to 10" in wrong.text
        assert list_pain(rt.db, rt.athlete_id)[0].score == 8, "nothing changed"

        saved = client.post(
            f"/pain/{entry.id}", data={"csrf_token": token(form), "score": "2", "when": "after", "date": yesterday}
        )
        assert saved.status_code == 200 and "Changed." in saved.text
        [changed] = list_pain(rt.db, rt.athlete_id)
        assert (changed.id, changed.score, changed.day.isoformat()) == (entry.id, 2, yesterday)
        assert fresh(rt) and "pain_reported" not in flags(rt), "a 2/10 is no pain event"

        form = client.get(f"/pain/{entry.id}").text
        deleted = client.post(f"/pain/{entry.id}/delete", data={"csrf_token": token(form)})
        assert deleted.status_code == 200 and "Deleted." in deleted.text
        assert list_pain(rt.db, rt.athlete_id) == [] and fresh(rt)
        gone = client.get(f"/pain/{entry.id}")
        assert "There is no pain entry" in gone.text
