"""The errors every layer may raise and every entrypoint turns into one sentence, in a module that imports nothing.

They live here, not beside the code that raises them, so that `advisor --help` and the command modules can name
them without importing SQLAlchemy, pydantic-settings or the use cases (advisor.cli imports those only when a
command runs).
"""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem, worded for the user: which key, what is wrong, what is allowed."""


class StoreError(Exception):
    """The database cannot be opened or written; the message says why in one sentence."""


class InputError(ValueError):
    """Something the runner typed that cannot be stored; the message is one sentence saying what is allowed."""


class CorrectionError(Exception):
    """A correction that cannot be made (no such activity, an unknown sport), worded for the runner."""
