"""advisor: a knee-aware training load advisor for runners.

Data flows one way: sources -> decode -> metrics -> store -> risk -> advice -> outputs.
The packages are named after those steps; `advisor.services` ties them together, one transaction per use case.

`from advisor import Advisor` is the library a script uses (`advisor.library`): the same values the CLI prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.library import Advisor

__version__ = "0.1.0"
__all__ = ["Advisor", "__version__"]


def __getattr__(name: str) -> Any:
    """`Advisor` is imported on first use (PEP 562): `advisor --help` and the pool's workers import this package,
    and must not pay for the settings, the store and the engine that the library needs."""
    if name == "Advisor":
        from advisor.library import Advisor

        return Advisor
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
