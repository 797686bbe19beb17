"""The web page's login state on the athlete's row: the session generation and the mark of the last password.

Kept on the athlete's row, in the database, because the daemon's page, `advisor serve` and a second machine may all
serve the same athlete: a count in one process's memory would leave the others' sessions running. This module only
reads and writes those two columns; what a generation or a mark means is the page's (`advisor.web.logins`).
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.store.db import Database


def session_generation(db: Database, athlete_id: int) -> int:
    """The athlete's current login generation, read on the fast read path (every request of a logged-in session
    asks, and on SQLite `Database.read` needs no SQLAlchemy)."""
    with db.read() as reader:
        [(generation,)] = reader.rows("SELECT web_session_generation FROM athletes WHERE id = :id", id=athlete_id)
    return int(generation)


def end_all_sessions(db: Database, athlete_id: int) -> None:
    """Count the athlete's generation up, in one UPDATE, so concurrent logouts on two servers both count."""
    from sqlalchemy import update

    from advisor.store.models import Athlete

    with db.transaction() as session:
        session.execute(
            update(Athlete)
            .where(Athlete.id == athlete_id)
            .values(web_session_generation=Athlete.web_session_generation + 1)
        )


def renew_password_mark(
    db: Database,
    athlete_id: int,
    is_current: Callable[[str | None], bool],
    fresh_mark: Callable[[], str | None],
) -> bool:
    """Unless `is_current(stored mark)`, store `fresh_mark()` and count the generation up; True when it did.

    One transaction holding the athlete's row (`FOR UPDATE` where the database has it), so two servers starting
    together with a new password count up once, not twice. The two callables are the page's hashing, so the store
    never learns the password's rules; `fresh_mark` is called only when the mark changes (a hash costs time).
    """
    from advisor.store.models import Athlete

    with db.transaction() as session:
        athlete = session.get(Athlete, athlete_id, with_for_update=True)
        assert athlete is not None, "the runtime's athlete exists"
        if is_current(athlete.web_password_mark):
            return False
        athlete.web_password_mark = fresh_mark()
        athlete.web_session_generation += 1
        return True
