"""PostgreSQL's statistics follow files that come one at a time too (issue 25 item 5).

`advisor import` of a whole export analyzes once at its end; the inbox job imports each drop on its own and a first
Garmin sync stores one download after another, and those add up the same: once `ANALYZE_AFTER_FILES` were stored,
the tables are analyzed. Read from PostgreSQL's own count of manual ANALYZEs (`pg_stat_user_tables.analyze_count`;
autovacuum's are counted apart), on a real server.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from test_summary import fit_run

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.services import importing

pytestmark = pytest.mark.postgres


def analyzed(url: str, table: str) -> int:
    """How many times `table` of the test's schema was analyzed by hand (a fresh connection: a fresh snapshot)."""
    base, _, options = url.partition("?options=-csearch_path%3D")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s", (options, table)
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_files_stored_one_at_a_time_are_analyzed_after_as_many(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "ANALYZE_AFTER_FILES", 3)
    rt = Runtime(load_settings(database={"url": database_url}))
    try:
        ctx = rt.import_context("garmin")
        today = rt.settings.today()
        counts = []
        for days_ago in range(1, 8):
            payload = fit_run(today - timedelta(days=days_ago), 4.0 + days_ago)
            assert importing.import_payload(ctx, f"run{days_ago}.fit", payload).status == "imported"
            counts.append(analyzed(database_url, "activities"))
        # A duplicate stores nothing, so it counts for nothing.
        assert importing.import_payload(ctx, "again.fit", fit_run(today - timedelta(days=7), 11.0)).status == (
            "duplicate"
        )
        counts.append(analyzed(database_url, "activities"))
    finally:
        rt.close()
    assert counts == [0, 0, 1, 1, 1, 2, 2, 2], "analyzed after the 3rd and the 6th file stored"
