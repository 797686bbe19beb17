"""Each athlete's calendar feed token (`calendar_tokens`): kept, made once, replaced, and found again from a URL.

In the database, not a file, because a clinic's athletes share one PostgreSQL and several machines may serve their
feeds: a token made by `advisor calendar url` on one machine must open the feed on another, and a `calendar reset`
must end the old URL on all of them at once. The token is made by the caller (advisor.services.calendar); this
module only stores and finds it, in plain SQL on the store's short read and write paths.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from advisor.store.db import Database


@dataclass(frozen=True)
class TokenHolder:
    """The athlete a token belongs to."""

    athlete_id: int
    name: str


def token_digest(token: str) -> str:
    """The SHA-256 a token is looked up by: the index then compares digests, which tell nothing about the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def read_token(db: Database, athlete_id: int) -> str | None:
    """The athlete's token, None when none was made yet."""
    with db.read() as reader:
        rows = reader.rows("SELECT token FROM calendar_tokens WHERE athlete_id = :a", a=athlete_id)
    return str(rows[0][0]) if rows else None


def keep_token(db: Database, athlete_id: int, fresh: str, now: datetime) -> str:
    """The athlete's token, `fresh` stored as it when they had none. Two processes asking at once both get the one
    that was stored first (the insert of the second changes nothing)."""
    with db.write() as writer:
        writer.execute(
            "INSERT INTO calendar_tokens (athlete_id, token, token_sha256, created_at) "
            "VALUES (:a, :t, :h, :now) ON CONFLICT (athlete_id) DO NOTHING",
            a=athlete_id,
            t=fresh,
            h=token_digest(fresh),
            now=now,
        )
        [(token,)] = writer.rows("SELECT token FROM calendar_tokens WHERE athlete_id = :a", a=athlete_id)
    return str(token)


def replace_token(db: Database, athlete_id: int, fresh: str, now: datetime) -> None:
    """Store `fresh` as the athlete's token, in place of any older one, in one statement: from its commit the old
    URL finds nothing, on every machine that reads this database."""
    with db.write() as writer:
        writer.execute(
            "INSERT INTO calendar_tokens (athlete_id, token, token_sha256, created_at) "
            "VALUES (:a, :t, :h, :now) ON CONFLICT (athlete_id) DO UPDATE SET token = excluded.token, "
            "token_sha256 = excluded.token_sha256, created_at = excluded.created_at",
            a=athlete_id,
            t=fresh,
            h=token_digest(fresh),
            now=now,
        )


def token_holder(db: Database, token: str) -> TokenHolder | None:
    """The athlete whose token `token` is, or None. Found by digest, then the token itself compared in constant
    time (`hmac.compare_digest`), so neither step's timing says how much of a guess was right."""
    with db.read() as reader:
        rows = reader.rows(
            "SELECT t.athlete_id, t.token, a.name FROM calendar_tokens t JOIN athletes a ON a.id = t.athlete_id "
            "WHERE t.token_sha256 = :h",
            h=token_digest(token),
        )
    if not rows:
        return None
    athlete_id, stored, name = rows[0]
    if not hmac.compare_digest(str(stored).encode(), token.encode()):
        return None
    return TokenHolder(int(athlete_id), str(name))
