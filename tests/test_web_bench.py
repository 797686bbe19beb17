"""bench/web_bench.py's history is the one its docstring describes: the rows stored match the arithmetic (the
timings themselves are for reading, never asserted)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

from sqlalchemy import create_engine, text

BENCH = Path(__file__).resolve().parents[1] / "bench" / "web_bench.py"
LAST = date(2026, 3, 29)


def web_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("web_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("web_bench", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_two_years_of_history_stores_the_rows_the_arithmetic_says(database_url: str) -> None:
    bench = web_bench()
    days = bench.history_days(2, LAST)
    assert len(days) == 730 and days[-1] == LAST and days == sorted(set(days))
    runs = sum(1 for d in days if d.weekday() in (1, 3, 5, 6))
    episodes = sum(1 for n in bench.EPISODES if n < 730)  # a swollen morning; cleared 10 days later
    expected = {
        "activities": runs,
        "pain_entries": runs + episodes,
        "daily_stairs": 365,
        "rehab_sessions": sum(1 for d in days if d.weekday() in (0, 3)),
        "clinician_assessments": episodes,
    }
    assert 4 * 104 <= runs <= 4 * 105 and episodes == 1
    assert bench.seed(database_url, 2, LAST) == expected
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            stored = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in expected}
            first, last = conn.execute(text("SELECT min(start_utc), max(start_utc) FROM activities")).one()
    finally:
        engine.dispose()
    assert stored == expected
    assert str(first) >= days[0].isoformat() and str(last).startswith(LAST.isoformat())
