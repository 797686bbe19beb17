"""Text that someone else wrote, made safe to print on a terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters but tab and newline: C0, DEL and C1 (ESC, CSI...)."""


def printable(text: str) -> str:
    """`text` with its control characters written as escapes (ESC as `\\x1b`), for text printed that the runner or
    a stranger wrote (a note, a file's or an activity's name): printed raw, an escape sequence in it would clear the
    screen, move the cursor or rename the terminal window. JSON output needs none of this: `json.dumps` escapes
    them itself."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", text)


__all__ = ["printable"]
