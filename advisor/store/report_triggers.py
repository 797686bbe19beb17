"""The database marks a stored report stale itself: triggers count `stored_reports.data_version` up on every write
of a row the report reads, in the writer's own transaction.

Why triggers, not a call in each write path: a stale report shown to a runner is the one failure the stored report
must never have, and a trigger cannot be forgotten by the next write path (a new command, a migration, a fix typed
into `psql`). The read side (advisor.store.stored_reports) keeps a report only while the version it was computed
from is the current one.

On PostgreSQL the triggers are deferred constraint triggers: they run at commit, when the writer already holds
every other lock it will take, so the one row per athlete they update is held for the shortest time and two
importers of one athlete cannot deadlock on it. SQLite has one writer at a time and no deferred triggers; its
triggers run at once.

The same statements serve a fresh database (advisor.store.schema) and the migration to revision 0009; a test
compares the triggers both paths leave.
"""

from __future__ import annotations

REPORT_INPUTS = ("activities", "pain_entries", "daily_stairs", "clinician_assessments", "rehab_sessions")
"""Every table `advisor.store.history` reads for a report."""

_PG_FUNCTION = """CREATE OR REPLACE FUNCTION advisor_report_inputs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed integer;
BEGIN
    IF TG_TABLE_NAME = 'athletes' THEN
        changed := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        changed := OLD.athlete_id;
    ELSE
        changed := NEW.athlete_id;
    END IF;
    INSERT INTO stored_reports (athlete_id, data_version) VALUES (changed, 1)
        ON CONFLICT (athlete_id) DO UPDATE SET data_version = stored_reports.data_version + 1;
    IF TG_OP = 'UPDATE' THEN  -- nested: an expression naming OLD fails on an INSERT, whatever comes before it
        IF OLD.athlete_id <> NEW.athlete_id THEN
            INSERT INTO stored_reports (athlete_id, data_version) VALUES (OLD.athlete_id, 1)
                ON CONFLICT (athlete_id) DO UPDATE SET data_version = stored_reports.data_version + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$"""


def trigger_names(table: str) -> list[str]:
    """The names of the triggers on `table` (SQLite needs one per operation, PostgreSQL one in all)."""
    return [f"report_stale_{table}_{op}" for op in ("insert", "update", "delete")]


def create_statements(dialect: str) -> list[str]:
    """The DDL that makes every write of a report's input count its athlete's `data_version` up."""
    if dialect == "postgresql":
        statements = [_PG_FUNCTION]
        for table in REPORT_INPUTS:
            statements.append(
                f"CREATE CONSTRAINT TRIGGER report_stale_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION advisor_report_inputs_changed()"
            )
        statements.append(
            "CREATE TRIGGER report_stale_athletes AFTER INSERT ON athletes "
            "FOR EACH ROW EXECUTE FUNCTION advisor_report_inputs_changed()"
        )
        return statements
    statements = []
    for table in REPORT_INPUTS:
        insert, update, delete = trigger_names(table)
        statements.append(f"CREATE TRIGGER {insert} AFTER INSERT ON {table} BEGIN {_bump('NEW.athlete_id')} END")
        statements.append(
            f"CREATE TRIGGER {update} AFTER UPDATE ON {table} BEGIN "
            f"{_bump('NEW.athlete_id')} {_bump('OLD.athlete_id')} END"
        )
        statements.append(f"CREATE TRIGGER {delete} AFTER DELETE ON {table} BEGIN {_bump('OLD.athlete_id')} END")
    statements.append(f"CREATE TRIGGER report_stale_athletes AFTER INSERT ON athletes BEGIN {_bump('NEW.id')} END")
    return statements


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS report_stale_{table} ON {table}" for table in (*REPORT_INPUTS, "athletes")),
            "DROP FUNCTION IF EXISTS advisor_report_inputs_changed()",
        ]
    names = [name for table in REPORT_INPUTS for name in trigger_names(table)]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in (*names, "report_stale_athletes")]


def _bump(athlete: str) -> str:
    """SQLite: create the athlete's row if missing, then count its version up (two statements, as a trigger body
    may hold). Not `INSERT OR IGNORE`: a trigger's statements take the outer statement's conflict policy, and an
    outer `OR REPLACE` would replace the row, starting its version again from 0."""
    return (
        f"INSERT INTO stored_reports (athlete_id, data_version) SELECT {athlete}, 0 "
        f"WHERE NOT EXISTS (SELECT 1 FROM stored_reports WHERE athlete_id = {athlete}); "
        f"UPDATE stored_reports SET data_version = data_version + 1 WHERE athlete_id = {athlete};"
    )
