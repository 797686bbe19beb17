"""The weekly summary chart: 12 weeks of distance against the cap and the pain threshold, with pain scores.

matplotlib costs a few hundred milliseconds to import, so it is imported inside :func:`weekly_chart_png`
only; ``advisor pain log`` and friends never pay for it. The figure is built with the object API
(``Figure`` + the Agg canvas) instead of pyplot: no global figure registry that a long-running daemon could
leak into, no GUI backend picked from the environment, and safe to call from a scheduler thread.

**One figure per size, drawn again for each chart.** A fresh figure cost ~150 ms a mail, most of it not the
drawing: two axes with their ticks and spines built anew, a new Agg renderer (and its pixel buffer), and every
piece of text measured again, because matplotlib caches text metrics per renderer. A clinic's weekly round drew
one per athlete. So the axes, their fixed decorations and the canvas are made once per (width, height, dpi) and
kept; each chart removes what the previous one drew (bars, lines, dots, texts, legend), sets everything that
depends on the data — ticks, limits, title — and saves. The PNG is byte for byte the one a fresh figure gives
(`tests/test_weekly_round_chart.py` draws charts in turn on the kept figure and on fresh ones). matplotlib is
not thread-safe, and the web page draws from a thread pool while the daemon may draw in another thread: one lock
serialises every draw (the GIL serialised most of it anyway).
"""

from __future__ import annotations

import functools
import io
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from advisor.domain.advice.summary import WeekPoint

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["WeekPoint", "weekly_chart_png"]

# Colour-blind-safe pairs (Okabe-Ito); cap and threshold also differ by line style, pain dots by marker.
_BAR = "#56B4E9"
_CAP = "#009E73"
_THRESHOLD = "#D55E00"
_PAIN_OK = "#0072B2"
_PAIN_HIGH = "#CC0000"
_ACCEPTABLE_PAIN = 2  # TREK rule: pain up to 2/10 during or after a run is acceptable

_DRAWING = threading.Lock()
"""Held for the whole of a draw: the kept figures, and matplotlib's own caches, are shared by every thread."""


def _steps(values: Sequence[float | None]) -> tuple[list[float], list[float]]:
    """A line that spans each week's full bar width, with a gap (NaN) where the value is None.

    matplotlib's ``steps-mid`` would start and end at bar centres and draw nothing at all for a week whose
    neighbours are None, which is exactly the common case of "a cap exists only for the current week".
    """
    xs: list[float] = []
    ys: list[float] = []
    for i, value in enumerate(values):
        if value is None:
            xs.append(float(i))
            ys.append(math.nan)
            continue
        xs += [i - 0.5, i + 0.5]
        ys += [float(value), float(value)]
    return xs, ys


def weekly_chart_png(
    weeks: Sequence[WeekPoint],
    *,
    title: str | None = "Last 12 weeks",
    width_px: int = 1200,
    height_px: int = 600,
    dpi: int = 150,
) -> bytes:
    """Render the chart and return PNG bytes of exactly ``width_px`` × ``height_px``.

    The default size is twice the ~600 px an email column shows, so it stays sharp on high-density screens;
    the template should set ``width="600"`` on the ``<img>``. Output is byte-for-byte deterministic for the same
    input (no timestamp or version in the PNG metadata), which keeps stored mails and test snapshots stable.

    Pass the last 12 weeks oldest first; the function draws whatever it is given, including nothing at all
    (a new user), in which case the chart says so instead of failing.
    """
    with _DRAWING:
        fig, ax, pain_ax = _kept_figure(width_px, height_px, dpi)
        _wipe(fig, ax, pain_ax)
        return _draw(fig, ax, pain_ax, weeks, title, dpi)


@functools.lru_cache(maxsize=4)
def _kept_figure(width_px: int, height_px: int, dpi: int) -> tuple[Figure, Axes, Axes]:
    """The figure kept for one size (the mail's, the web page's; a few more at most), called under `_DRAWING`."""
    return _new_figure(width_px, height_px, dpi)


def _new_figure(width_px: int, height_px: int, dpi: int) -> tuple[Figure, Axes, Axes]:
    """A figure with its two axes and what never changes between charts: labels, grid, the pain scale."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server; harmless if already chosen
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    pain_ax = ax.twinx()
    ax.set_ylabel("distance (km)")
    ax.grid(axis="y", color="#dddddd", zorder=0)
    ax.set_axisbelow(True)
    pain_ax.set_ylim(-0.3, 10.3)
    pain_ax.set_yticks(range(0, 11, 2))
    pain_ax.set_ylabel("knee pain (0-10)")
    return fig, ax, pain_ax


def _wipe(fig: Figure, ax: Axes, pain_ax: Axes) -> None:
    """Remove everything the previous chart drew; what is set on every draw (ticks, limits, title) stays to be
    overwritten."""
    for container in list(ax.containers):
        container.remove()
    for artist in [*ax.patches, *ax.lines, *ax.texts, *pain_ax.lines, *fig.legends]:
        artist.remove()


def _draw(fig: Figure, ax: Axes, pain_ax: Axes, weeks: Sequence[WeekPoint], title: str | None, dpi: int) -> bytes:
    """Draw `weeks` on a figure from `_new_figure` (or one `_wipe`d) and return its PNG."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    xs = list(range(len(weeks)))
    distances = [max(0.0, float(w.distance_km)) for w in weeks]
    caps = [w.cap_km for w in weeks]
    thresholds = [w.threshold_km for w in weeks]

    ax.bar(xs, distances, width=0.7, color=_BAR, label="distance (km)", zorder=2)
    if any(c is not None for c in caps):
        ax.plot(*_steps(caps), color=_CAP, linewidth=2, label="weekly cap", zorder=3)
    if any(t is not None for t in thresholds):
        ax.plot(
            *_steps(thresholds),
            color=_THRESHOLD,
            linewidth=2,
            linestyle="--",
            label="pain threshold",
            zorder=3,
        )

    # Pain dots: several scores in a week are spread a little sideways so equal scores do not hide each other.
    # One line of markers per colour, not one per dot (0.4 ms each, 84 for a runner who logs daily): a dot at or
    # under the acceptable score and one above it are a whole point apart on the pain axis, further than a marker
    # is wide, so they never overlap and the order between the two colours draws nothing different.
    dots: dict[bool, tuple[list[float], list[int]]] = {False: ([], []), True: ([], [])}
    for x, week in zip(xs, weeks, strict=True):
        scores = [min(10, max(0, int(s))) for s in week.pain_scores]
        n = len(scores)
        for i, score in enumerate(scores):
            offset = 0.0 if n == 1 else -0.25 + 0.5 * i / (n - 1)
            at, values = dots[score > _ACCEPTABLE_PAIN]
            at.append(x + offset)
            values.append(score)
    for high, (at, values) in dots.items():
        if at:
            pain_ax.plot(
                at,
                values,
                marker="D" if high else "o",
                markersize=6,
                linestyle="none",
                color=_PAIN_HIGH if high else _PAIN_OK,
                markeredgecolor="white",
                markeredgewidth=0.8,
                zorder=4,
            )

    top = max([*distances, *(v for v in caps + thresholds if v is not None), 1.0])
    ax.set_ylim(0, top * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.set_xticks(xs, [w.label for w in weeks], rotation=0, fontsize="small")
    ax.set_xlim(-0.6, max(len(weeks), 1) - 0.4)

    handles, labels = ax.get_legend_handles_labels()
    if any(w.pain_scores for w in weeks):
        handles += [
            Line2D([], [], marker="o", linestyle="none", color=_PAIN_OK, label="pain ≤ 2"),
            Line2D([], [], marker="D", linestyle="none", color=_PAIN_HIGH, label="pain ≥ 3"),
        ]
        labels += ["pain ≤ 2", "pain ≥ 3"]
    if weeks:
        # Below the plot, so it can never cover a bar or a line.
        fig.legend(handles, labels, loc="outside lower center", fontsize="small", ncols=len(labels), frameon=False)
    else:
        ax.set_xticks([])
        ax.text(
            0.5,
            0.5,
            "No runs recorded yet",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#666666",
        )
    if weeks and not any(distances):
        ax.text(0.5, 0.5, "No runs in these weeks", transform=ax.transAxes, ha="center", color="#666666")
    ax.set_title(title or "", loc="left", fontsize="medium")

    buffer = io.BytesIO()
    # metadata={"Software": None} drops the matplotlib version string; PNG output carries no timestamp.
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
