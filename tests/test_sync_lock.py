"""Two Garmin syncs for one ADVISOR_HOME never run at once: the second round is skipped and says why."""

from __future__ import annotations

import fcntl

import pytest

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services.sync import sync_garmin


def test_a_second_sync_while_one_runs_is_skipped(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", database_url)
    rt = Runtime(load_settings())
    token_dir = rt.settings.garmin_token_dir
    token_dir.mkdir(parents=True, exist_ok=True)
    with open(token_dir / "sync.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        report = sync_garmin(rt)
    assert report.stopped == "busy" and "Another Garmin sync is running" in report.line()
    assert report.downloads == 0
    after = sync_garmin(rt)
    assert after.stopped != "busy"
    rt.close()
