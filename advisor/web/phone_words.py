"""What the report says to a terminal user, said to a phone user: the few sentences of the engine (and of the
status page) that name a command are reworded for the page, where the runner has a form instead.

The engine's messages are written for every screen and some name the command that moves the runner on
("…once you log a check with none of the signs (`advisor pain log --score N --no-red-flags`)"). On the phone there
is no terminal: every text a page prints passes through `for_phone` (the templates' `finalize`), which turns each
known command into the form or tab that does the same. `tests/test_phone_words.py` finds every command written in
the engine's source and checks it has its phone words, so a new one cannot reach a phone unnoticed.
"""

from __future__ import annotations

import re

__all__ = ["PHONE_WORDS", "for_phone"]

PHONE_WORDS: dict[str, str] = {
    "(`advisor pain log --score N --no-red-flags`)": "(tick “None of these” on the Pain page)",
    "(`--no-red-flags`)": "(tick “None of these” on the Pain page)",
    "(`advisor pain assessed --cleared`)": "(record it on the Clinic page)",
    ", or `advisor pain log --score N --no-red-flags`)": ")",
    "Log it with `advisor pain assessed` when it has.": "Record it on the Clinic page when it has.",
    "(log your mornings with `advisor pain log --when morning`)": "(log your mornings on the Pain page)",
    "No activities yet: `advisor import PATH`, or `advisor sync` for Garmin; and `advisor profile set` your time "
    "zone, units and heart rates.": "No activities yet: import your runs, or sync Garmin, on the computer that runs "
    "advisor, and set your profile there.",
}
"""Each command as the engine writes it (with its brackets or sentence), and what the phone page says instead."""
_AS_OF = re.compile(r"; use `--as-of [0-9-]+` to see that week\.")


def for_phone(value: object) -> object:
    """`value` with each command reworded for a phone; anything that is not text is returned as it is."""
    if not isinstance(value, str) or "`" not in value:
        return value
    for command, words in PHONE_WORDS.items():
        value = value.replace(command, words)
    return _AS_OF.sub(".", value)
