"""Reading stored activities back, for `advisor activities` and for the risk analysis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from advisor.errors import InputError
from advisor.store.activities import StoredActivity, read_activities
from advisor.store.db import Database
from advisor.store.rows import SPORT_WORDS, is_bike, is_on_foot, local_date, sport_matches

__all__ = ["activity_json", "is_bike", "is_on_foot", "list_activities", "local_date", "sport_matches"]


def list_activities(
    db: Database,
    athlete_id: int,
    since: date | None = None,
    until: date | None = None,
    tz: ZoneInfo = ZoneInfo("UTC"),
    *,
    include_excluded: bool = False,
    sport: str | None = None,
    limit: int | None = None,
) -> list[StoredActivity]:
    """Activities in start order; `since`/`until` are local dates (a day of margin, then an exact local cut).

    Excluded activities count nowhere, so they are left out unless `include_excluded` (the listing the runner
    corrects from shows them, marked). `sport` keeps those of that sport or sub-sport, or of that kind (`run`,
    `foot`, `bike`: see `sport_matches`); `limit` keeps the most recent N, still in start order.
    """
    if sport is not None:
        check_sport(sport)
    day = timedelta(days=1)
    rows = read_activities(
        db,
        athlete_id,
        since_utc=None if since is None else datetime.combine(since, datetime.min.time(), UTC) - day,
        until_utc=None if until is None else datetime.combine(until, datetime.min.time(), UTC) + 2 * day,
        include_excluded=include_excluded,
    )
    kept = [
        a
        for a in rows
        if (since is None or local_date(a, tz) >= since)
        and (until is None or local_date(a, tz) <= until)
        and (sport is None or sport_matches(a, sport))
    ]
    return kept[-limit:] if limit is not None and limit > 0 else kept


KINDS = ("run", "foot", "bike")


def check_sport(wanted: str) -> None:
    """`--sport` names a sport advisor knows (a FIT sport or sub-sport, a word it prints, or a kind), else an
    `InputError` that suggests the nearest: a typo would otherwise list nothing and look like no such runs."""
    import difflib

    from advisor.ingest.decode.sports import known_sport_words

    name = wanted.strip().lower().replace("-", "_").replace(" ", "_")
    known = known_sport_words() | set(SPORT_WORDS) | set(KINDS)
    if name in known:
        return
    near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f"did you mean {near[0].replace('_', ' ')!r}? " if near else ""
    raise InputError(f"--sport {wanted!r} is not a sport advisor knows; {hint}(run, foot, bike, or a sport name)")


def activity_json(activity: StoredActivity, tz: ZoneInfo) -> dict[str, object]:
    a = activity
    return {
        "id": a.id,
        "local_date": local_date(a, tz).isoformat(),
        "start_utc": a.start_utc.isoformat().replace("+00:00", "Z"),
        "utc_offset_s": a.utc_offset_s,
        "sport": a.sport,
        "sub_sport": a.sub_sport,
        "name": a.name,
        "distance_m": round(a.distance_m, 1),
        "distance_km": round(a.distance_m / 1000, 3),
        "elapsed_s": round(a.elapsed_s, 1),
        "moving_s": round(a.moving_s, 1),
        "pace_s_per_km": round(a.moving_s / (a.distance_m / 1000), 1) if a.distance_m > 0 else None,
        "ascent_m": round(a.ascent_m, 1),
        "descent_m": round(a.descent_m, 1),
        "descent_steep5_m": round(a.descent_steep5_m, 1),
        "distance_steep5_m": round(a.distance_steep5_m, 1),
        "descent_steep10_m": round(a.descent_steep10_m, 1),
        "distance_steep10_m": round(a.distance_steep10_m, 1),
        "avg_cadence_spm": None if a.avg_cadence_spm is None else round(a.avg_cadence_spm, 1),
        "avg_heart_rate": None if a.avg_heart_rate is None else round(a.avg_heart_rate, 1),
        "load": round(a.load, 1),
        "load_method": a.load_method,
        "session": {
            "distance_m": a.session_distance_m,
            "elapsed_s": a.session_elapsed_s,
            "timer_s": a.session_timer_s,
            "ascent_m": a.session_ascent_m,
            "descent_m": a.session_descent_m,
            "avg_heart_rate": a.session_avg_heart_rate,
            "avg_cadence": a.session_avg_cadence,
        },
        "garmin_activity_id": a.garmin_activity_id,
        "excluded": a.excluded,
        "file_sport": a.file_sport,
        "file_sub_sport": a.file_sub_sport,
        "speed_kmh": round(a.distance_m / 1000 / (a.moving_s / 3600), 2) if a.moving_s > 0 else None,
    }
