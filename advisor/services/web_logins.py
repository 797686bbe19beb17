"""The web page's login sessions for one athlete, as the page asks for them: the generation a session must carry,
ending every session, and noticing a changed password.

Thin on purpose: the state is two columns of the athlete's row (`advisor.store.logins`) and its meaning is the
page's (`advisor.web.logins`); this module is the door between them, so the web floor never touches the store.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.services.context import AthleteContext
from advisor.store import logins


def session_generation(rt: AthleteContext) -> int:
    """The athlete's current login generation: a session made in an older one is logged out."""
    return logins.session_generation(rt.db, rt.athlete_id)


def end_all_sessions(rt: AthleteContext) -> None:
    """Log out every session of this athlete's page, on every server of this database."""
    logins.end_all_sessions(rt.db, rt.athlete_id)


def renew_password_mark(
    rt: AthleteContext, is_current: Callable[[str | None], bool], fresh_mark: Callable[[], str | None]
) -> bool:
    """Unless the stored password mark `is_current`, store `fresh_mark()` and end every session; True when it did."""
    return logins.renew_password_mark(rt.db, rt.athlete_id, is_current, fresh_mark)
