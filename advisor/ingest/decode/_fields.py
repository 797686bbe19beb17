"""A FIT data message as plain values, whichever library decoded it: its fields collected into a `Message`
(`fields_of`) and the converters from a field's value to a float, an int, a name or a datetime.

Why shared: the backends must give *identical* results. fitdecode and fitparse share the same `FieldData` shape
(`field_def`, `field`, `name`, `value`, `raw_value`) and apply scale/offset and component expansion with the same
arithmetic, so if both feed their fields through `fields_of` (and fitfast its own dicts into the same `Message`),
any difference left is a difference between the libraries themselves (profile version), not between two copies of
our code. The `Assembler` (`_assemble`) turns the messages into a `DecodedActivity`.

Rules applied here (documented once, for every backend):
- Developer fields are ignored: their names are free text ("Cadence", "speed") and could shadow native fields.
- A field written in the file wins over the same field produced by component expansion (e.g. a real
  `enhanced_speed` beats the one expanded from 16-bit `speed`); among equals the first non-empty value wins.
- Datetimes are timezone-aware UTC (fitparse renders naive UTC datetimes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from advisor.domain.activity import DecodeError

FIT_EPOCH_POSIX = 631065600
"""POSIX seconds at the FIT epoch (1989-12-31T00:00:00Z)."""


class FieldDataLike(Protocol):
    """The part of fitdecode's and fitparse's `FieldData` we rely on (same attribute names in both)."""

    field_def: Any
    field: Any
    value: Any
    raw_value: Any

    @property
    def name(self) -> str: ...


@dataclass(slots=True)
class Message:
    """One data message, reduced to plain dicts keyed by profile field name."""

    name: str
    values: dict[str, Any]
    raw: dict[str, Any]


RECORD_FIELDS = frozenset(
    {
        "timestamp",
        "distance",
        "enhanced_altitude",
        "altitude",
        "enhanced_speed",
        "speed",
        "heart_rate",
        "cadence",
        "fractional_cadence",
    }
)
"""The only `record` fields we use: a one-hour run has 3,600 records, so skipping the rest keeps decoding cheap."""


def fields_of(name: str, fields: Iterable[FieldDataLike]) -> Message:
    """Collect a message's native fields: explicit fields first, then component-expanded ones fill the gaps."""
    if name == "record":
        return _record_fields(fields)
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    expanded: list[FieldDataLike] = []
    for fd in fields:
        fld = fd.field
        if fld is None or getattr(fld, "field_type", "field") == "devfield":
            continue
        if fd.field_def is None:
            expanded.append(fd)
            continue
        _put(values, raw, fd)
    for fd in expanded:
        _put(values, raw, fd)
    return Message(name, values, raw)


def _record_fields(fields: Iterable[FieldDataLike]) -> Message:
    """`fields_of` for the message that makes up nearly all of an activity file, with the same precedence
    (explicit fields first, component-expanded ones fill gaps) but only for `RECORD_FIELDS` and without raw values.
    None of these fields has subfields, so the parent-name lookup `_put` does is not needed."""
    values: dict[str, Any] = {}
    expanded: dict[str, Any] | None = None
    for fd in fields:
        value = fd.value
        if value is None:
            continue
        name = fd.name
        if name not in RECORD_FIELDS or fd.field is None or getattr(fd.field, "field_type", "field") == "devfield":
            continue
        if type(value) is datetime and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if fd.field_def is not None:
            values.setdefault(name, value)
        else:
            if expanded is None:
                expanded = {}
            expanded.setdefault(name, value)
    if expanded:
        for name, value in expanded.items():
            values.setdefault(name, value)
    return Message("record", values, {})


def _put(values: dict[str, Any], raw: dict[str, Any], fd: FieldDataLike) -> None:
    """Store under the field's name and, for a resolved subfield, under its parent's name too.

    The parent name is what we look up: which subfields exist depends on the library's profile version (fitparse's
    newer profile turns a swim session's `avg_cadence` into `avg_swimming_cadence`; fitdecode's does not).
    """
    value = fd.value
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # fitparse renders naive UTC datetimes
    if value is None:
        return
    parent = getattr(fd, "parent_field", None)
    for name in (fd.name, parent.name if parent is not None else None):
        if name is not None and values.get(name) is None:
            values[name] = value
            raw[name] = fd.raw_value


def as_float(value: Any) -> float | None:
    """A scalar float, or None. Array fields (some devices write `enhanced_speed` as a 1-tuple) use element 0."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value)
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_int(value: Any) -> int | None:
    """`as_float`, truncated to an int (heart rates, counts, ids)."""
    number = as_float(value)
    return None if number is None else int(number)


def as_name(value: Any) -> str | None:
    """Enum names as the profile spells them; values unknown to the profile become their number as text."""
    if value is None:
        return None
    return str(value)


def as_datetime(value: Any) -> datetime | None:
    """The value when it is a datetime; a relative FIT time (a number) or anything else is None."""
    return value if isinstance(value, datetime) else None


def plus_fraction(whole: Any, fraction: Any) -> float | None:
    """A field with its `fractional_` companion added (cadence, ascent); None without the whole part."""
    base = as_float(whole)
    if base is None:
        return None
    return base + (as_float(fraction) or 0.0)


def check_prefix(data: bytes) -> None:
    """Reject what is plainly not FIT before a decoder sees it, so both backends give the same reason.

    (On zero bytes fitdecode yields nothing and fitparse raises an EOF error; on a few bytes they disagree on
    "truncated" versus "corrupt header".)
    """
    if not data:
        raise DecodeError("empty file")
    if len(data) < 12 or data[8:12] != b".FIT":
        raise DecodeError("not a FIT file (corrupt header)")


__all__ = [
    "FIT_EPOCH_POSIX",
    "RECORD_FIELDS",
    "FieldDataLike",
    "Message",
    "as_datetime",
    "as_float",
    "as_int",
    "as_name",
    "check_prefix",
    "fields_of",
    "plus_fraction",
]
