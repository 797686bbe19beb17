"""Read activity bytes — FIT, GPX or TCX — into one `DecodedActivity`, whatever the format and library.

FIT goes to the decoder library chosen by configuration (`[fit] decoder`). Two FIT backends exist because
python-fitparse and fitdecode each fail on files the other reads, and users pick one in config; both are held to
producing identical results (tests compare them on every sample file). GPX and TCX are read as a stream over
defusedxml (`xml_safe.walk`: one track point in memory at a time). The libraries are
imported lazily so a command never pays for importing the ones it does not use.

The format is sniffed from the content, not trusted from the name (`decode_activity`): a FIT header, an XML root
element. The name only decides what unrecognised bytes are: a `.fit` (or nameless) file that is not FIT is a
corrupt FIT file; a `.gpx`/`.tcx` that is not XML is malformed; anything else (`.txt`, `.csv`, `.kml`, images) is
"not an activity file" and is skipped, not failed.
"""

from __future__ import annotations

from typing import Final

from advisor.domain.activity import (
    UNKNOWN_SPORT,
    DailyClimb,
    DecodedActivity,
    DecodeError,
    RecordStream,
    SessionTotals,
    TruncatedFileError,
)

BACKENDS: Final = ("fitdecode", "fitparse", "fitfast")
ACTIVITY_SUFFIXES: Final = (".fit", ".gpx", ".tcx")
"""Names (after an optional `.gz`) that promise an activity file; other named files are not ours."""
NOT_AN_ACTIVITY: Final = "not an activity file"


def decode_fit(data: bytes, backend: str = "fitdecode") -> DecodedActivity:
    """Decode FIT bytes (chained files included).

    Raises `DecodeError` (one readable line, e.g. "bad CRC") for a file that cannot be decoded, and
    `ValueError` for a backend name not in `BACKENDS`.
    """
    if backend == "fitdecode":
        from advisor.ingest.decode import fitdecode_backend

        return fitdecode_backend.decode(data)
    if backend == "fitparse":
        from advisor.ingest.decode import fitparse_backend

        return fitparse_backend.decode(data)
    if backend == "fitfast":
        from advisor.ingest.decode import fitfast_backend

        return fitfast_backend.decode(data)
    raise ValueError(f"unknown FIT decoder {backend!r}; expected one of {', '.join(BACKENDS)}")


def decode_activity(data: bytes, name: str = "", backend: str = "fitdecode") -> DecodedActivity:
    """Decode FIT, GPX or TCX bytes, sniffing the format (see the module docstring); `name` is the file's name
    (a trailing `.gz` already undone or not). Raises `DecodeError` with one readable line."""
    from advisor.ingest.decode import xml_safe

    if len(data) >= 12 and data[8:12] == b".FIT":
        return decode_fit(data, backend)
    kind = _suffix(name)
    if data and xml_safe.looks_like_xml(data):
        tag = xml_safe.root_name(data)
        if tag == "gpx":
            from advisor.ingest.decode import gpx

            return gpx.decode(data)
        if tag == "TrainingCenterDatabase":
            from advisor.ingest.decode import tcx

            return tcx.decode(data)
        for _ in xml_safe.walk(data, frozenset()):  # the whole document is still checked: malformed is failed
            pass
        if kind in (".gpx", ".tcx"):
            raise DecodeError(f"not a {kind[1:].upper()} file (its root element is <{tag}>)")
        return DecodedActivity(file_type="unknown", source_format="xml", skip_reason=f"{NOT_AN_ACTIVITY} (<{tag}>)")
    if kind in (".gpx", ".tcx"):
        raise DecodeError(
            "empty file" if not data else f"malformed XML (a {kind[1:].upper()} file must start with '<')"
        )
    if kind in ("", ".fit"):
        return decode_fit(data, backend)
    return DecodedActivity(file_type="unknown", source_format="other", skip_reason=NOT_AN_ACTIVITY)


def _suffix(name: str) -> str:
    """'.fit', '.gpx', '.tcx' for names that promise one (also under `.gz`); '' for no suffix; else 'other'."""
    lower = name.lower().rsplit("/", 1)[-1].rsplit("!", 1)[-1].removesuffix(".gz")
    for suffix in ACTIVITY_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    return "" if "." not in lower else "other"


__all__ = [
    "ACTIVITY_SUFFIXES",
    "BACKENDS",
    "NOT_AN_ACTIVITY",
    "UNKNOWN_SPORT",
    "DailyClimb",
    "DecodeError",
    "DecodedActivity",
    "RecordStream",
    "SessionTotals",
    "TruncatedFileError",
    "decode_activity",
    "decode_fit",
]
