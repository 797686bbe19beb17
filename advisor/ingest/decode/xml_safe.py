"""Parsing XML that came from the internet (GPX, TCX), safely, and telling GPX from TCX from other XML.

Why defusedxml: GPX and TCX files arrive from exports, e-mail and shared folders. The standard library's parsers
expand internal entities (the "billion laughs" bomb) and some configurations resolve external ones; defusedxml
wraps the same C parser (expat) and refuses any DTD outright (`forbid_dtd=True`), which no real GPX or TCX file
has, so entity tricks cannot even be declared. The cost is nil: it is the standard parser with handlers swapped.

Files are sniffed by content, not by name: FIT has `.FIT` at byte 8, XML starts with `<` (after an optional BOM and
whitespace — Strava's TCX files start with ten spaces before `<?xml`, which strict parsers reject, so leading
whitespace is stripped first), and the root element's local name says which XML dialect it is.

Depth is bounded (`MAX_DEPTH`) while the document is parsed, before any GPX/TCX library sees the tree: a real file
nests a handful of levels (gpx > trk > trkseg > trkpt > extensions > TrackPointExtension > hr is 7), and a
hostile one nesting 200,000 `<extensions>` made gpxpy's recursive copy overflow the C stack — a segmentation fault
no handler can catch, which took the importing process (or a pool worker) down with every file beside it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pyexpat import errors as expat_errors
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et

from advisor.domain.activity import DecodeError, TruncatedFileError

_BOMS: Final = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_TRUNCATION_CODES: Final = frozenset(
    expat_errors.codes[message]
    for message in (
        expat_errors.XML_ERROR_NO_ELEMENTS,
        expat_errors.XML_ERROR_UNCLOSED_TOKEN,
        expat_errors.XML_ERROR_PARTIAL_CHAR,
        expat_errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
    )
)
"""expat errors that mean "the data stopped", which is what a file still being copied looks like."""
MAX_DEPTH: Final = 64
"""Deepest element nesting accepted: ten times what real GPX and TCX files use, far below what recursion minds."""


def looks_like_xml(data: bytes) -> bool:
    """True when the bytes start (after a BOM and whitespace) like an XML document."""
    return strip_prolog_space(data)[:1] == b"<"


def strip_prolog_space(data: bytes) -> bytes:
    """The document without a UTF-8 BOM and without whitespace before its first `<` (Strava's TCX quirk)."""
    if data.startswith(_BOMS[0]):
        data = data[len(_BOMS[0]) :]
    return data.lstrip(b" \t\r\n")


def root_name(data: bytes) -> str:
    """The local name of the root element, read from the document's first tag only (the sniffer's question)."""
    with _one_sentence():
        for _, element in safe_et.iterparse(io.BytesIO(strip_prolog_space(data)), ("start",), forbid_dtd=True):
            return local(element.tag)
    raise DecodeError("malformed XML (no element found)")  # pragma: no cover - iterparse raises first


def walk(
    data: bytes, wanted: frozenset[str], opened: frozenset[str] = frozenset()
) -> Iterator[tuple[tuple[str, ...], Element]]:
    """Each complete element whose local name is in `wanted` (and that is not inside another wanted one), with the
    local names of its ancestors from the root, in document order — and nothing kept once the caller moves on.
    An element named in `opened` is handed over when it opens instead, with its attributes and no children yet
    (a container whose children are wanted: TCX's `<Activity Sport=...>`).

    Why: building the whole tree, and then gpxpy's objects, took about 11 × a GPX file's size (a 54 MB file peaked
    at 1.3 GB, per pool worker). Here every element is cut from the tree after its end (a wanted one after the
    caller has read it), so memory is one track point, not the document. Depth is bounded as in `parse`, and
    errors are the same one sentence.
    """
    with _one_sentence():
        yield from _walk(strip_prolog_space(data), wanted, opened)


def _walk(data: bytes, wanted: frozenset[str], opened: frozenset[str]) -> Iterator[tuple[tuple[str, ...], Element]]:
    stack: list[Element] = []
    names: list[str] = []
    inside = 0  # how many of the open elements are wanted ones: their children are read through them
    for event, element in safe_et.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
        if event == "start":
            stack.append(element)
            names.append(local(element.tag))
            inside += names[-1] in wanted
            if len(stack) > MAX_DEPTH:
                raise DecodeError(f"XML nested more than {MAX_DEPTH} levels deep: not an activity file a device wrote")
            if not inside and names[-1] in opened:
                yield tuple(names[:-1]), element
            continue
        stack.pop()
        name = names.pop()
        if name in wanted:
            inside -= 1
        if inside:
            continue  # part of a wanted element still open: its reader walks it
        if name in wanted:
            yield tuple(names), element
        if stack:
            _cut(stack[-1], element)


def _cut(parent: Element, done: Element) -> None:
    """Drop `done` and the siblings before it from `parent`. iterparse may already have appended the next sibling
    (it parses ahead in chunks), so `done` is found from the end rather than assumed last."""
    i = len(parent) - 1
    while i >= 0 and parent[i] is not done:
        i -= 1
    del parent[: i + 1]


@contextmanager
def _one_sentence() -> Iterator[None]:
    """defusedxml's and expat's errors as `DecodeError` / `TruncatedFileError`, in one sentence."""
    try:
        yield
    except defusedxml.DefusedXmlException:
        raise DecodeError("XML with a document type declaration is refused (entity expansion risk)") from None
    except ParseError as error:
        line, column = error.position
        if error.code in _TRUNCATION_CODES:
            raise TruncatedFileError(f"truncated XML (the document ends at line {line})") from None
        reason = str(error).split(":", 1)[0]
        raise DecodeError(f"malformed XML ({reason} at line {line}, column {column})") from None


def local(tag: object) -> str:
    """An element's name without its namespace: `{http://...}Trackpoint` -> `Trackpoint`."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


__all__ = ["local", "looks_like_xml", "root_name", "strip_prolog_space", "walk"]


def number(text: str | None) -> float | None:
    """A float as an XML file writes it, None when absent or not a number ("NaN" and "inf" pass through: the
    plausibility gates in metrics deal with those)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def time_of(text: str | None) -> datetime | None:
    """An ISO 8601 time as GPX and TCX write it (`Z`, an offset, or none: taken as UTC), in UTC; None when absent
    or unreadable (the point is then "without a time")."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
