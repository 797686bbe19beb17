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
import re
from pyexpat import errors as expat_errors
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et

from advisor.decode.model import FitDecodeError, TruncatedFileError

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
_ENCODING: Final = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def looks_like_xml(data: bytes) -> bool:
    """True when the bytes start (after a BOM and whitespace) like an XML document."""
    return strip_prolog_space(data)[:1] == b"<"


def strip_prolog_space(data: bytes) -> bytes:
    """The document without a UTF-8 BOM and without whitespace before its first `<` (Strava's TCX quirk)."""
    if data.startswith(_BOMS[0]):
        data = data[len(_BOMS[0]) :]
    return data.lstrip(b" \t\r\n")


def parse(data: bytes) -> Element:
    """The root element; `FitDecodeError` (one sentence) for malformed or hostile XML, `TruncatedFileError` when
    the document simply stops."""
    try:
        return _bounded_tree(strip_prolog_space(data))
    except defusedxml.DefusedXmlException:
        raise FitDecodeError("XML with a document type declaration is refused (entity expansion risk)") from None
    except ParseError as error:
        line, column = error.position
        if error.code in _TRUNCATION_CODES:
            raise TruncatedFileError(f"truncated XML (the document ends at line {line})") from None
        reason = str(error).split(":", 1)[0]
        raise FitDecodeError(f"malformed XML ({reason} at line {line}, column {column})") from None


def _bounded_tree(data: bytes) -> Element:
    """The document's root, parsed as a stream so nesting deeper than `MAX_DEPTH` is refused as soon as it is met
    (the tree is then never built, let alone handed to a recursive library)."""
    depth = 0
    root: Element | None = None
    for event, element in safe_et.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if root is None:
            root = element
        if depth > MAX_DEPTH:
            raise FitDecodeError(f"XML nested more than {MAX_DEPTH} levels deep: not an activity file a device wrote")
    assert root is not None  # iterparse raises ParseError ("no element found") for a document without one
    return root


def text_of(data: bytes) -> str:
    """The document as text, decoded with its declared encoding (gpxpy wants `str`), prolog space stripped."""
    data = strip_prolog_space(data)
    if data.startswith(_BOMS[1:]):
        return data.decode("utf-16")
    match = _ENCODING.match(data)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def local(tag: object) -> str:
    """An element's name without its namespace: `{http://...}Trackpoint` -> `Trackpoint`."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


__all__ = ["local", "looks_like_xml", "parse", "strip_prolog_space", "text_of"]


def number(text: str | None) -> float | None:
    """A float as an XML file writes it, None when absent or not a number ("NaN" and "inf" pass through: the
    plausibility gates in metrics deal with those)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
