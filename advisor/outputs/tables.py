"""Rich tables for the terminal; the same data goes out as JSON with `--json`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from advisor.store.models import Activity
from advisor.usecases.listing import local_date


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def activities_table(rows: list[Activity], tz: ZoneInfo) -> None:
    table = Table(title=f"{len(rows)} activities", title_justify="left")
    for header in (
        "id",
        "date",
        "sport",
        "km",
        "moving",
        "pace/km",
        "ascent m",
        "descent m",
        "< -5% km",
        "< -10% km",
        "cadence",
        "HR",
        "load",
    ):
        table.add_column(header, justify="left" if header in ("date", "sport") else "right")
    for a in rows:
        pace = duration(a.moving_s / (a.distance_m / 1000)) if a.distance_m > 50 else "-"
        table.add_row(
            str(a.id),
            local_date(a, tz).isoformat(),
            a.sport if not a.sub_sport or a.sub_sport == "generic" else f"{a.sport}/{a.sub_sport}",
            f"{a.distance_m / 1000:.2f}",
            duration(a.moving_s),
            pace,
            f"{a.ascent_m:.0f}",
            f"{a.descent_m:.0f}",
            f"{a.distance_steep5_m / 1000:.2f}",
            f"{a.distance_steep10_m / 1000:.2f}",
            "-" if a.avg_cadence_spm is None else f"{a.avg_cadence_spm:.0f}",
            "-" if a.avg_heart_rate is None else f"{a.avg_heart_rate:.0f}",
            f"{a.load:.0f}",
        )
    Console().print(table)
