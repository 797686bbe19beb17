"""The chart drawn again on one kept figure per size (issue 25 item 5) is the chart a fresh figure draws.

The kept figure is wiped and redrawn for each mail; what could go wrong is something of the previous chart left
behind (a line, a dot, a legend, a title, tick labels, limits, a layout fitted to other labels). So every chart here
is drawn after a different one, and must come out byte for byte as on a figure made for it alone; and again with
several threads drawing at once (the web page draws from a thread pool).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from advisor.render.chart import _ACCEPTABLE_PAIN as ACCEPTABLE
from advisor.render.chart import WeekPoint, _draw, _kept_figure, _new_figure, weekly_chart_png

SIZES = [{}, {"width_px": 720, "height_px": 560, "dpi": 160}, {"width_px": 640, "height_px": 320, "dpi": 80}]


def charts() -> list[tuple[list[WeekPoint], dict[str, object]]]:
    """Charts unlike each other in everything the wipe must undo, in an order where each follows another kind."""
    rng = random.Random(5)
    out: list[tuple[list[WeekPoint], dict[str, object]]] = [
        ([], {}),
        ([WeekPoint("W01", 0.0, None, None, [])] * 12, {"title": None}),
        ([WeekPoint("W13", 5.0, 10.0, None, [])], {}),
    ]
    for i in range(9):
        weeks = [
            WeekPoint(
                label=f"W{(k + 7 * i) % 52 + 1:02d}",
                distance_km=rng.choice([0.0, rng.uniform(0, 30), rng.uniform(50, 180)]),
                cap_km=rng.choice([None, rng.uniform(5, 60)]),
                threshold_km=rng.choice([None, rng.uniform(5, 80)]),
                pain_scores=[rng.randint(0, 10) for _ in range(rng.choice([0, 1, 4, 7, 14]))],
            )
            for k in range(rng.choice([12, 12, 5]))
        ]
        out.append((weeks, {**SIZES[i % 3], "title": rng.choice([None, f"Last weeks to 2026-W{i + 10:02d}"])}))
    return out


def fresh(weeks: Sequence[WeekPoint], width_px: int = 1200, height_px: int = 600, dpi: int = 150, **kw) -> bytes:
    """The chart on a figure made for it alone."""
    return _draw(*_new_figure(width_px, height_px, dpi), weeks, kw.get("title", "Last 12 weeks"), dpi)


def test_each_chart_on_the_kept_figure_is_the_chart_on_a_fresh_one() -> None:
    cases = charts()
    expected = [fresh(weeks, **kw) for weeks, kw in cases]  # type: ignore[arg-type]
    assert len(set(expected)) == len(expected)
    for order in (cases, cases[::-1]):
        for weeks, kw in order:
            assert weekly_chart_png(weeks, **kw) == expected[cases.index((weeks, kw))]  # type: ignore[arg-type]


def test_charts_drawn_from_many_threads_at_once_are_each_their_own() -> None:
    cases = charts() * 2
    expected = [weekly_chart_png(weeks, **kw) for weeks, kw in cases]  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=6) as pool:
        drawn = list(pool.map(lambda case: weekly_chart_png(case[0], **case[1]), cases))  # type: ignore[arg-type]
    assert drawn == expected


@pytest.mark.parametrize("size", SIZES, ids=["mail", "web", "small"])
def test_dots_of_the_two_colours_never_overlap(size: dict[str, int]) -> None:
    """The dots are drawn one line per colour, so which colour is on top where they overlap would differ from
    drawing them in the order logged: they must not overlap. Worked out on the drawn figure: an acceptable score
    and the lowest high one are further apart in pixels than a marker (6 pt, with its 0.8 pt edge) is tall."""
    kw = {"width_px": 1200, "height_px": 600, "dpi": 150, **size}
    weekly_chart_png([WeekPoint("W01", 10.0, 12.0, 15.0, [0, ACCEPTABLE, ACCEPTABLE + 1, 10])], **kw)  # type: ignore[arg-type]
    fig, _, pain_ax = _kept_figure(kw["width_px"], kw["height_px"], kw["dpi"])
    (_, low), (_, high) = pain_ax.transData.transform([(0, ACCEPTABLE), (0, ACCEPTABLE + 1)])
    marker_px = (6 + 0.8) * fig.dpi / 72
    assert high - low > marker_px
