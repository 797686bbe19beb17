"""advisor as a library: what the CLI prints, for a script or a notebook (sqlite-utils' lesson — the command line
is a thin layer over what a user can import, and both are tested against a real database).

    from datetime import date
    from advisor import Advisor

    with Advisor(home="~/advisor-data") as advisor:
        advisor.import_paths(["~/Downloads/export_12345.zip"])
        report = advisor.status(as_of=date(2026, 5, 1))
        print(report.phase.name, report.caps.weekly_distance_km)

Each method is the use case its command calls, with the same settings (the config file, `ADVISOR_*` variables,
and the keyword arguments given here over them): `status()` is the report `advisor status --json` prints (a pydantic
model; `.model_dump(mode="json")` is that JSON), `activities()` the list of `advisor activities --json`, and
`import_paths()` the per-file results `advisor import --json` lists, `plan()` the calendar feed's 7 days and
`visit_report()` the clinician's page's figures. Importing decodes in worker processes, so a
script that imports needs the usual `if __name__ == "__main__":` guard of Python multiprocessing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from advisor.bootstrap import Runtime, ensure_home
from advisor.config import load_settings

if TYPE_CHECKING:
    from advisor.domain.advice.plan import PlanDay
    from advisor.domain.advice.report import KneeReport
    from advisor.render.visit_view import VisitReport
    from advisor.services.importing import FileResult


class Advisor:
    """One athlete's advisor on one database: open it, call its methods, close it (or use `with`)."""

    def __init__(
        self,
        home: str | Path | None = None,
        *,
        config_file: str | Path | None = None,
        athlete: str | None = None,
        **settings: Any,
    ) -> None:
        """`home` is ADVISOR_HOME (the database, inbox and tokens live there); `athlete` one of a clinic's
        athletes (default: the config file's runner); other keyword arguments are settings sections, as in the
        config file (`database={"url": "postgresql://..."}`). A bad setting raises `advisor.errors.ConfigError`
        with the same sentence the CLI prints."""
        if home is not None:
            settings["home"] = Path(home).expanduser()
        self.settings = load_settings(Path(config_file).expanduser() if config_file else None, **settings)
        ensure_home(self.settings.home)
        self._rt = Runtime.for_athlete(self.settings, athlete)

    def import_paths(self, paths: Iterable[str | Path]) -> list[FileResult]:
        """Import files, folders and archives, as `advisor import` does: one result per file, none lost."""
        from advisor.services.importing import import_paths

        return import_paths(self._rt.import_context("file"), [Path(p).expanduser() for p in paths]).results

    def status(self, as_of: date | None = None) -> KneeReport:
        """The knee report as of the end of `as_of` (default: today in the runner's time zone)."""
        from advisor.services.current import report_for

        rt = self._rt
        today = rt.settings.today()
        return report_for(rt.db, rt.athlete_id, rt.settings, as_of or today, today)

    def activities(self, since: date | None = None) -> list[dict[str, object]]:
        """The stored activities, excluded ones too (marked), as `advisor activities --json` lists them."""
        from advisor.services.activities import activity_json, list_activities

        rt = self._rt
        tz = rt.settings.tz
        rows = list_activities(rt.db, rt.athlete_id, since=since, tz=tz, include_excluded=True)
        return [activity_json(a, tz) for a in rows]

    def log_pain(self, score: int, when: str = "after", day: date | None = None, **signs: bool) -> int:
        """Log a pain score (and any sign: `swelling=True`, `no_red_flags=True`...); returns the entry's id."""
        from advisor.services.knee import PainInput, log_pain

        rt = self._rt
        return log_pain(rt.db, rt.athlete_id, PainInput(score, when, day, **signs), rt.settings.today()).id

    def plan(self) -> list[PlanDay]:
        """The next 7 days' plan the calendar feed (`advisor calendar url`) shows: today first, as `status` says."""
        from advisor.domain.advice.plan import week_plan

        return week_plan(self.status(), self.settings.profile.units)

    def visit_report(self, weeks: int = 12, as_of: date | None = None) -> VisitReport:
        """What `advisor report` puts on the clinician's page, as plain values: the `weeks` ISO weeks ending with the
        week of `as_of` (default: today)."""
        from advisor.services.visit_report import visit_report

        return visit_report(self._rt, weeks, as_of)

    def close(self) -> None:
        self._rt.close()

    def __enter__(self) -> Advisor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


__all__ = ["Advisor"]
