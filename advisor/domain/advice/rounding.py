"""How a cap is rounded: down to whole metres. Its own module because every cap rule (build, return, the caps'
assembly) uses it, and none of them should import another just for this."""

from __future__ import annotations

import math


def floor_m(x: float) -> float:
    """Caps are floored to whole metres, so one derived from 0.9 × a threshold never ends a float crumb above it."""
    return float(math.floor(x + 1e-6))
