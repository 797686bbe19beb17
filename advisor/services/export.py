"""`advisor data export`: everything advisor stores about a runner, as one zip they can keep or take elsewhere.

A runner's data is theirs: the activities with every measured value (JSON, and a CSV a spreadsheet opens), the pain
log with its notes and signs, the rehab sessions, the clinician's assessments, the stairs, the profile and
thresholds in effect, and the activity files the inbox filed under `processed/` (files imported by hand with
`advisor import` are where the runner keeps them; the list of files names each with its SHA-256). The zip is
written beside its destination and renamed into place once whole, so an interrupted export leaves no half file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from advisor.domain.risk.model import SIGN_WORDS
from advisor.services.activities import activity_json, list_activities
from advisor.services.context import AthleteContext
from advisor.services.knee import list_pain, list_stairs
from advisor.services.rehab import list_assessments, list_rehab
from advisor.store.activities import read_sources

__all__ = ["export_data"]

README = """What advisor stored about you, exported on {day}.

activities.json / .csv  every activity (excluded ones too, marked), with what advisor measured and the file's own
                        session totals; metres, seconds, and km
pain.json / .csv        the pain log: day, when, score, the signs ticked, your notes
rehab.csv               the rehab sessions you logged
assessments.csv         the clinician's assessments you recorded
stairs.csv              floors per day, by source (your watch, Garmin, your own log)
files.csv               every file imported: its name, SHA-256, size, type, where it came from, when
profile.json            the profile and thresholds in effect for you
originals/              the activity files the inbox imported (files you imported by hand stay where you keep them)
"""


def export_data(rt: AthleteContext, destination: Path, inbox: Path | None, today: date) -> dict[str, int]:
    """Write the zip to `destination` (replaced only once whole); returns how many of each were exported."""
    tz = rt.settings.tz
    activities = [activity_json(a, tz) for a in list_activities(rt.db, rt.athlete_id, tz=tz, include_excluded=True)]
    pain = [_pain(p) for p in list_pain(rt.db, rt.athlete_id)]
    rehab = [asdict(r) for r in list_rehab(rt.db, rt.athlete_id)]
    assessments = [asdict(a) for a in list_assessments(rt.db, rt.athlete_id)]
    stairs = [asdict(s) for s in list_stairs(rt.db, rt.athlete_id)]
    files = [asdict(f) for f in read_sources(rt.db, rt.athlete_id)]
    originals = sorted(p for p in (inbox / "processed").rglob("*") if p.is_file()) if inbox else []
    profile = {
        "profile": rt.settings.profile.model_dump(mode="json"),
        "thresholds": rt.settings.thresholds.model_dump(mode="json"),
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".advisor-export-", suffix=".zip", dir=destination.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", README.format(day=today.isoformat()))
            archive.writestr("activities.json", _json({"activities": activities}))
            archive.writestr("activities.csv", _csv(activities))
            archive.writestr("pain.json", _json({"pain": pain}))
            archive.writestr("pain.csv", _csv(pain))
            archive.writestr("rehab.csv", _csv(rehab))
            archive.writestr("assessments.csv", _csv(assessments))
            archive.writestr("stairs.csv", _csv(stairs))
            archive.writestr("files.csv", _csv(files))
            archive.writestr("profile.json", _json(profile))
            for path in originals:
                archive.write(path, f"originals/{path.relative_to(inbox / 'processed').as_posix()}")  # type: ignore[operator]
        os.chmod(temporary, 0o600)  # health data: the owner's alone, like the database
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return {
        "activities": len(activities),
        "pain": len(pain),
        "rehab": len(rehab),
        "assessments": len(assessments),
        "stairs": len(stairs),
        "files": len(files),
        "originals": len(originals),
    }


def _pain(p: Any) -> dict[str, Any]:
    signs = {sign: getattr(p, sign) for sign in SIGN_WORDS}
    return {"id": p.id, "date": p.day, "when": p.when, "score": p.score, **signs, "no_red_flags": p.no_red_flags,
            "note": p.note}  # fmt: skip


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, default=_plain, ensure_ascii=False)


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """One row per item, the columns of the first (nested values, such as an activity's file totals, as JSON)."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(_flat(rows[0])), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(_flat(row) for row in rows)
    return out.getvalue()


def _flat(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v, default=_plain) if isinstance(v, dict | list) else _plain(v) for k, v in row.items()}
